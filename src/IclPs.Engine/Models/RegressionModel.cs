using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Models;

/// <summary>
/// The regression variant (docs/science.md §2): a read-in Linear(d_in -> d_model) without bias in place of the token
/// embedding, GPT-2's learned positions and block stack, and a read-out Linear(d_model -> 1). Checkpoint names:
/// <c>read_in.weight</c> [d_model, d_in], <c>transformer.wpe.weight</c>, <c>transformer.h.{l}.*</c> (GPT-2 Conv1D layout),
/// <c>transformer.ln_f.*</c>, <c>read_out.weight</c> [1, d_model], <c>read_out.bias</c> [1]. Hook points are GPT-2's,
/// with <c>hook_embed</c> holding the read-in output.
/// </summary>
public sealed class RegressionModel : TransformerModel
{
    private readonly LinearNoBias read_in;
    private readonly RegressionBackbone transformer;
    private readonly LinearWithBias read_out;

    internal RegressionModel(ModelConfig config, Device device, ScalarType dtype) : base(config, device, dtype)
    {
        read_in = new LinearNoBias(config.InputDim, config.DModel, device, dtype);
        transformer = new RegressionBackbone(config, device, dtype);
        read_out = new LinearWithBias(config.DModel, config.VocabSize, device, dtype);
        RegisterComponents();
    }

    /// <summary>
    /// Predictions [b, t] for token vectors <paramref name="inputs"/> [b, t, d_in] (any float dtype or device), channel 0 of
    /// the read-out at every position. <paramref name="attentionMask"/> [b, t] is 1 for real tokens, 0 for left padding.
    /// Gradients flow unless the caller disables them.
    /// </summary>
    public Tensor Predict(Tensor inputs, Tensor? attentionMask = null, HookSet? hooks = null)
    {
        using var scope = NewDisposeScope();
        // [b, t, 1] -> [b, t]
        return Decode(CheckedInputs(inputs, attentionMask), attentionMask, hooks, read: null).squeeze(-1).MoveToOuterDisposeScope();
    }

    private protected override Tensor CheckedInputs(Tensor inputs, Tensor? attentionMask)
    {
        if (inputs.dim() != 3 || inputs.shape[2] != Config.InputDim)
            throw new IclPsException("RegressionInputShape", IclErrorKind.InvalidArgument,
                $"regression inputs must be [batch, positions, {Config.InputDim}], got [{string.Join(", ", inputs.shape)}].", inputs.shape);
        if (!inputs.is_floating_point())
            throw new IclPsException("RegressionInputDType", IclErrorKind.InvalidArgument,
                $"regression inputs must be floating point, got {inputs.dtype}.", inputs.dtype);
        var t = inputs.shape[1];
        if (t > Config.ContextLength)
            throw new IclPsException("PromptTooLong", IclErrorKind.LimitsExceeded,
                $"{t} positions exceed the model's context window of {Config.ContextLength}.", t);
        if (attentionMask is not null && !attentionMask.shape.SequenceEqual(inputs.shape[..2]))
            throw new IclPsException("AttentionMaskShapeMismatch", IclErrorKind.InvalidArgument,
                $"attention mask [{string.Join(", ", attentionMask.shape)}] does not match inputs [{string.Join(", ", inputs.shape[..2])}].", attentionMask.shape);
        return inputs.to(DType, Device);
    }

    public override Tensor HeadOutputWeights(int layer) =>
        transformer.h[layer].attn.c_proj.Weight.view(Config.Heads, Config.DHead, Config.DModel);

    public override Tensor HeadOutputBias(int layer) => transformer.h[layer].attn.c_proj.Bias;

    /// <summary>GPT-2's initialisation; read-in and read-out N(0, 0.02), read-out bias 0.</summary>
    public override void Initialise(long seed)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var gen = new Generator((ulong)seed, Device);
        var std = 0.02;
        var residualStd = 0.02 / Math.Sqrt(2.0 * Config.Layers);
        read_in.Weight.normal_(0, std, gen);
        transformer.wpe.Weight.normal_(0, 0.01, gen);
        Gpt2Block.InitialiseStack(transformer.h, transformer.ln_f, gen, std, residualStd);
        read_out.Weight.normal_(0, std, gen);
        read_out.Bias.zero_();
    }

    // [b, t, d]
    private protected override Tensor Embed(Tensor inputs, Tensor positions, HookSet? hooks) =>
        Hook(hooks, HookNames.Embed, read_in.Forward(inputs)) + Hook(hooks, HookNames.PosEmbed, transformer.wpe.Forward(positions));

    private protected override Tensor BlocksFrom(int firstLayer, Tensor x, Tensor positions, Tensor attnBias, HookSet? hooks, KeyValueCache? cache) =>
        Gpt2Stack(transformer.h, transformer.ln_f, firstLayer, x, attnBias, hooks, cache);

    private protected override Tensor Unembed(Tensor x) => read_out.Forward(x);
}

/// <summary>GPT-2's backbone without the token embedding: positions, blocks, final norm.</summary>
internal sealed class RegressionBackbone : nn.Module
{
    public readonly EmbeddingParams wpe;
    public readonly TorchSharp.Modules.ModuleList<Gpt2Block> h;
    public readonly LayerNormParams ln_f;

    public RegressionBackbone(ModelConfig c, Device device, ScalarType dtype) : base("transformer")
    {
        wpe = new EmbeddingParams(c.ContextLength, c.DModel, device, dtype);
        h = new TorchSharp.Modules.ModuleList<Gpt2Block>(Enumerable.Range(0, c.Layers).Select(_ => new Gpt2Block(c, device, dtype)).ToArray());
        ln_f = new LayerNormParams(c.DModel, c.NormEps, device, dtype);
        RegisterComponents();
    }
}
