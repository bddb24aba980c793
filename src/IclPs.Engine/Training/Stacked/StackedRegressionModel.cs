using IclPs.Engine.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using GeluApproximation = TorchSharp.Modules.GELU.Approximate;

namespace IclPs.Engine.Training.Stacked;

/// <summary>
/// G regression transformers of one shape held as one: every parameter of <see cref="RegressionModel"/> becomes a tensor
/// [G, ...] (model g's tensor at index g), and the forward pass runs each matmul once for all G models as a batched
/// matmul over that leading axis. The models never mix: model g's predictions depend on slice g of the parameters and
/// of the inputs alone, so its gradients are those of training it on its own. Built from G ordinary models (their weights
/// are copied in, so each keeps the initialisation its own seed gave) and written back into them with <see cref="CopyTo"/>,
/// so checkpoints, measurement and resuming see ordinary models. Unpadded inputs only (training batches have no padding).
/// </summary>
public sealed class StackedRegressionModel : IDisposable
{
    private readonly Dictionary<string, Parameter> _byName;
    private readonly (string Name, Tensor Tensor)[] _parameters;

    /// <param name="models">One or more regression models of one configuration, dtype and device, without adapters.</param>
    public StackedRegressionModel(IReadOnlyList<RegressionModel> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0)
            throw new IclPsException(StackedTrainingErrorIds.InvalidStack, IclErrorKind.InvalidArgument, "A stack needs at least one model.", models.Count);
        var first = models[0];
        for (var g = 0; g < models.Count; g++)
        {
            var m = models[g];
            if (m.Config != first.Config || m.DType != first.DType || m.Device.type != first.Device.type || m.Device.index != first.Device.index)
                throw new IclPsException(StackedTrainingErrorIds.InvalidStack, IclErrorKind.InvalidArgument,
                    $"Stacked models share one shape, dtype and device: model {g} is {m.Config} {m.DType} on {m.Device}, model 0 is {first.Config} {first.DType} on {first.Device}.", g);
            if (m.Adapter is not null)
                throw new IclPsException(StackedTrainingErrorIds.InvalidStack, IclErrorKind.InvalidOperation,
                    $"Model {g} carries a LoRA adapter kept separate; merge it before training the whole model.", g);
        }
        (Config, DType, Device, Count) = (first.Config, first.DType, first.Device, models.Count);
        using var noGrad = no_grad();
        var names = first.CheckpointTensors().Select(p => p.Name).ToArray();
        var perModel = models.Select(m => m.CheckpointTensors().ToDictionary(p => p.Name, p => p.Tensor)).ToArray();
        // As the models' own layers make theirs: no scope of its own, which would release the parameters with it.
        _byName = names.ToDictionary(n => n, n => new Parameter(stack(perModel.Select(t => t[n]).ToArray(), 0), requires_grad: true));
        _parameters = names.Select(n => (n, (Tensor)_byName[n])).ToArray();
    }

    public ModelConfig Config { get; }
    public ScalarType DType { get; }
    public Device Device { get; }
    /// <summary>G, the number of models in the stack.</summary>
    public int Count { get; }

    /// <summary>The stacked parameters [G, ...] under the models' checkpoint names, in checkpoint order.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> Parameters => _parameters;

    /// <summary>Writes model <paramref name="index"/>'s slice of every parameter into <paramref name="model"/>.</summary>
    public void CopyTo(int index, RegressionModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        if (model.Config != Config)
            throw new IclPsException(StackedTrainingErrorIds.InvalidStack, IclErrorKind.InvalidArgument,
                $"Model {model.Config} does not have the stack's shape {Config}.", model.Config);
        using var noGrad = no_grad();
        foreach (var (name, target) in model.CheckpointTensors())
        {
            using var slice = _byName[name][index];
            target.copy_(slice);
        }
    }

    /// <summary>
    /// Predictions [G, b, t] for token vectors <paramref name="inputs"/> [G, b, t, d_in] (model g reads inputs[g]), each
    /// equal to <see cref="RegressionModel.Predict"/> of model g on its slice without a mask. Gradients flow.
    /// </summary>
    public Tensor Predict(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.dim() != 4 || inputs.shape[0] != Count || inputs.shape[3] != Config.InputDim)
            throw new IclPsException("RegressionInputShape", IclErrorKind.InvalidArgument,
                $"stacked regression inputs must be [{Count}, batch, positions, {Config.InputDim}], got [{string.Join(", ", inputs.shape)}].", inputs.shape);
        var (b, t) = (inputs.shape[1], inputs.shape[2]);
        if (t > Config.ContextLength)
            throw new IclPsException("PromptTooLong", IclErrorKind.LimitsExceeded,
                $"{t} positions exceed the model's context window of {Config.ContextLength}.", t);
        using var scope = NewDisposeScope();
        var (g, d) = ((long)Count, Config.DModel);
        // Rows of all b sequences of a model side by side: [G, b*t, .] so each projection is one bmm.
        var x = inputs.to(DType, Device).reshape(g, b * t, Config.InputDim).bmm(P("read_in.weight").transpose(1, 2));
        x = (x.view(g, b, t, d) + P("transformer.wpe.weight").narrow(1, 0, t).unsqueeze(1)).view(g, b * t, d);
        using Scalar fill = TransformerModel.MaskedScore(DType);
        var causal = ones(t, t, dtype: ScalarType.Bool, device: Device).tril();
        var attnBias = zeros(t, t, dtype: DType, device: Device).masked_fill(causal.logical_not(), fill).view(1, 1, t, t).expand(g * b, 1, t, t);
        for (var l = 0; l < Config.Layers; l++) x = Block(l, x, b, t, attnBias);
        x = Norm(x, "transformer.ln_f");
        var y = x.bmm(P("read_out.weight").transpose(1, 2)).add_(P("read_out.bias").unsqueeze(1));
        return y.view(g, b, t).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Each model's training loss [G] on a stacked batch (inputs [G, b, t, d_in], targets and loss mask [G, b, t]):
    /// sum(mask * (prediction - target)^2) / sum(mask) per model, as <see cref="IclTrainer.Loss"/> computes it for one.
    /// Their sum has, for each model's parameters, exactly that model's loss gradient.
    /// </summary>
    public Tensor Losses(Tensor inputs, Tensor targets, Tensor lossMask)
    {
        using var scope = NewDisposeScope();
        var predictions = Predict(inputs);
        if (!targets.shape.SequenceEqual(predictions.shape) || !lossMask.shape.SequenceEqual(predictions.shape))
            throw new IclPsException(TrainingErrorIds.InvalidBatch, IclErrorKind.InvalidData,
                $"a stacked batch needs targets and loss mask shaped [{string.Join(", ", predictions.shape)}]; " +
                $"got targets [{string.Join(", ", targets.shape)}] and mask [{string.Join(", ", lossMask.shape)}].", targets.shape);
        var weights = lossMask.to(DType, Device);
        var perPosition = (predictions - targets.to(DType, Device)).square();
        return ((perPosition * weights).sum([1, 2]) / weights.sum([1, 2]).clamp_min(1)).MoveToOuterDisposeScope();
    }

    private Tensor P(string name) => _byName[name];

    /// <summary>GPT-2's block (LayerNorm, causal attention, LayerNorm, tanh-GELU MLP) on x [G, b*t, d].</summary>
    private Tensor Block(int layer, Tensor x, long b, long t, Tensor attnBias)
    {
        var prefix = $"transformer.h.{layer}.";
        var (g, heads, dHead) = ((long)Count, Config.Heads, Config.DHead);
        var qkv = Project(Norm(x, prefix + "ln_1"), prefix + "attn.c_attn");
        // q, k, v: [G*b, H, t, d_head]
        var split = qkv.view(g * b, t, 3, heads, dHead).permute(2, 0, 3, 1, 4);
        var attended = nn.functional.scaled_dot_product_attention(split[0], split[1], split[2], attnBias);
        var z = attended.transpose(1, 2).reshape(g, b * t, Config.DModel);
        x = x + Project(z, prefix + "attn.c_proj");
        var hidden = nn.functional.gelu(Project(Norm(x, prefix + "ln_2"), prefix + "mlp.c_fc"), GeluApproximation.tanh);
        return x + Project(hidden, prefix + "mlp.c_proj");
    }

    /// <summary>GPT-2's Conv1D per model: x [G, n, in] bmm weight [G, in, out] plus bias [G, out].</summary>
    private Tensor Project(Tensor x, string name) => x.bmm(P(name + ".weight")).add_(P(name + ".bias").unsqueeze(1));

    /// <summary>LayerNorm over the last axis with each model's own gain and bias [G, d].</summary>
    private Tensor Norm(Tensor x, string name) =>
        P(name + ".bias").unsqueeze(1).addcmul(nn.functional.layer_norm(x, [Config.DModel], eps: Config.NormEps), P(name + ".weight").unsqueeze(1), 1);

    public void Dispose()
    {
        foreach (var p in _byName.Values) p.Dispose();
    }
}
