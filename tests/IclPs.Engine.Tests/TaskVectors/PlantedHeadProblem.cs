using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.TaskVectors;
using IclPs.Engine.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TaskVectors;

/// <summary>
/// A task carried by one attention head, on a tiny random regression-family model (2 layers, 4 heads, d_model 16, d_in 4).
/// Prompts are random token vectors (2 shots + 1 tokens; the query alone for zero-shot). The target of a prompt is the model's
/// own prediction when <see cref="PlantedWeight"/> times u* is added to block <see cref="PlantedLayer"/>'s output at the
/// prediction position, where u* = mean over <see cref="ReferencePrompts"/> clean prompts (<see cref="ReferenceShots"/> shots,
/// seed <see cref="ReferenceSeed"/>) of the planted head's output through W_O (hook_result).
/// <para>
/// With <c>silenceOtherHeads</c>, every other head's block of W_O is zero, so its output through W_O is exactly zero in every
/// pass: no weight on another head changes any prediction (its gradient is exactly 0), while the planted head's weight alone
/// reaches zero loss. The planted head is the only useful one by construction, not by chance. Without it, every head writes to
/// the residual stream (for gradient checks). Predictions are the read-out at the last position; loss is squared error.
/// </para>
/// <para>
/// With <see cref="PlantedTarget.MeanActivation"/> the target is instead the prediction when the planted head's z at the
/// prediction position is replaced by its mean over the reference prompts: patching that head with its mean activation (a
/// function vector's causal-indirect-effect probe) reaches zero loss, which no other head's patch can beat.
/// </para>
/// </summary>
public sealed class PlantedHeadProblem : TaskVectorProblem, IDisposable
{
    public const int ReferencePrompts = 64;
    public const int ReferenceShots = 3;
    private readonly RegressionModel _model;
    private readonly Tensor _planted; // [d_model]: PlantedWeight * u*, or [d_head]: the planted head's mean z
    private readonly PlantedTarget _target;

    private PlantedHeadProblem(RegressionModel model, int layer, int head, double weight, int referenceSeed, PlantedTarget target)
    {
        _model = model;
        _target = target;
        (PlantedLayer, PlantedHead, PlantedWeight, ReferenceSeed) = (layer, head, weight, referenceSeed);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var inputs = Inputs(TaskPromptKind.Clean, TaskDataSplit.Train, ReferenceShots, ReferencePrompts, referenceSeed).to(model.DType);
        var hook = target == PlantedTarget.AddedMeanOutput ? HookNames.Result(layer) : HookNames.Z(layer);
        using var hooks = new HookSet().Capture(hook, PositionFilter.Last);
        model.Predict(inputs, ones(inputs.shape[0], inputs.shape[1], dtype: ScalarType.Int64), hooks);
        var sum = hooks.Captured[hook].select(1, head).sum(dim: 0); // [b, H, d] -> [d]
        _planted = target == PlantedTarget.AddedMeanOutput
            ? (sum * (weight / ReferencePrompts)).MoveToOuterDisposeScope()
            : (sum / ReferencePrompts).MoveToOuterDisposeScope();
    }

    public int PlantedLayer { get; }
    public int PlantedHead { get; }
    public double PlantedWeight { get; }
    public int ReferenceSeed { get; }

    /// <summary>The task-carrying head defaults to (0, 2): not the first head, and in a layer whose injection passes through a later block.</summary>
    public static PlantedHeadProblem Create(bool silenceOtherHeads = true, ScalarType dtype = ScalarType.Float32, int layer = 0, int head = 2,
        double weight = 2.0, int referenceSeed = 0, long modelSeed = 5, PlantedTarget target = PlantedTarget.AddedMeanOutput)
    {
        TorchNativeLoader.EnsureLoaded();
        var config = ModelConfig.Regression(inputDim: 4, dModel: 16, layers: 2, heads: 4, contextLength: 32);
        var model = (RegressionModel)TransformerModel.Create(config, CPU, dtype, modelSeed);
        // Weights at a scale where attention is far from uniform and every nonlinearity bends (the engine's 0.02 would not);
        // float64 noise so the float32 and float64 problems hold the same values up to rounding.
        TestModels.Scramble(model, modelSeed, ScalarType.Float64);
        if (silenceOtherHeads)
        {
            using var _ = no_grad();
            for (var l = 0; l < config.Layers; l++)
                for (var h = 0; h < config.Heads; h++)
                    if ((l, h) != (layer, head)) model.HeadOutputWeights(l)[h].zero_();
        }
        return new PlantedHeadProblem(model, layer, head, weight, referenceSeed, target);
    }

    public override TransformerModel Network => _model;
    public override string ModelName => "planted-head";
    public override string Source => $"planted head ({PlantedLayer}, {PlantedHead}) weight {PlantedWeight}";
    public override string MetricName => "SquaredError";
    public override bool HigherMetricIsBetter => false;

    /// <summary>Seeded random prompts, identical for the same arguments whatever the batch size; targets carry the planted injection.</summary>
    public override IEnumerable<TaskPromptBatch> Prompts(TaskPromptKind kind, TaskDataSplit split, int shots, int count, int batchSize, int seed)
    {
        using var all = Inputs(kind, split, shots, count, seed);
        for (var start = 0; start < count; start += batchSize)
            yield return Batch(all, start, Math.Min(batchSize, count - start));
    }

    /// <summary>The prompts' token vectors [count, t, d_in] (float64), fixed by the arguments.</summary>
    private Tensor Inputs(TaskPromptKind kind, TaskDataSplit split, int shots, int count, int seed)
    {
        var length = kind == TaskPromptKind.ZeroShot ? 1 : 2 * shots + 1;
        using var gen = new Generator((ulong)(seed * 7919L + (int)split * 104729L + (int)kind * 13L + shots) & long.MaxValue, CPU);
        return randn(new long[] { count, length, _model.Config.InputDim }, dtype: ScalarType.Float64, generator: gen);
    }

    /// <summary>Prompts first .. first + n of <paramref name="all"/> [count, t, d_in] with their planted targets; no dispose scope stays open across the iterator's yield.</summary>
    private TaskPromptBatch Batch(Tensor all, int first, int n)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var length = (int)all.shape[1];
        var inputs = all.narrow(0, first, n).to(_model.DType).clone();
        var mask = ones(n, length, dtype: ScalarType.Int64);
        using var hooks = _target == PlantedTarget.AddedMeanOutput
            ? new HookSet().AddVectorAt(HookNames.ResidPost(PlantedLayer), _planted, -1)
            : new HookSet().ReplaceHeadZ(PlantedLayer, PlantedHead, _planted, PositionFilter.Last);
        var targets = _model.Predict(inputs, mask, hooks).select(1, -1).contiguous();
        return new TaskPromptBatch(inputs, mask, targets, Enumerable.Range(first, n).Select(i => $"prompt {i}").ToArray());
    }

    public override Tensor Predict(TaskPromptBatch batch, HookSet? hooks) => _model.Predict(batch.Inputs, batch.Mask, hooks).select(1, -1);

    /// <summary>The regression read-out [.., 1] of the cached last-column passes, as predictions [..].</summary>
    public override Tensor FromReadOut(Tensor readOut) => readOut.select(-1, 0);

    public override Tensor Loss(Tensor output, TaskPromptBatch batch) => (output - batch.Targets).square();

    public override Tensor Score(Tensor output, TaskPromptBatch batch) => -Loss(output, batch);

    public override Tensor Metric(Tensor output, TaskPromptBatch batch) => Loss(output, batch) / _model.Config.InputDim;

    public void Dispose()
    {
        _planted.Dispose();
        _model.Dispose();
    }
}

/// <summary>How a <see cref="PlantedHeadProblem"/>'s targets are made from the planted head.</summary>
public enum PlantedTarget
{
    /// <summary>PlantedWeight times the head's mean output through W_O, added to its block's output (what an LTV can learn).</summary>
    AddedMeanOutput,
    /// <summary>The head's z replaced by its mean z (what a function vector's indirect-effect probe does).</summary>
    MeanActivation,
}
