using IclPs.Engine.Adapters;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Models;

/// <summary>GPT-2: learned positions, LayerNorm, tanh-GELU MLP, Conv1D weights stored as Hugging Face stores them.</summary>
public sealed class Gpt2Model : TransformerModel
{
    private readonly Gpt2Backbone transformer;

    internal Gpt2Model(ModelConfig config, Device device, ScalarType dtype) : base(config, device, dtype)
    {
        transformer = new Gpt2Backbone(config, device, dtype);
        lm_head = config.TieEmbeddings ? null : new LinearNoBias(config.DModel, config.VocabSize, device, dtype);
        RegisterComponents();
    }

    private readonly LinearNoBias? lm_head;

    public override Tensor HeadOutputWeights(int layer) =>
        LoraLayer.EffectiveWeight(transformer.h[layer].attn.c_proj).view(Config.Heads, Config.DHead, Config.DModel);

    public override Tensor HeadOutputBias(int layer) => transformer.h[layer].attn.c_proj.Bias;

    public override void Initialise(long seed)
    {
        using var _ = no_grad();
        // zero_ returns a fresh wrapper of its tensor; the scope releases those.
        using var scope = NewDisposeScope();
        using var gen = new Generator((ulong)seed, Device);
        var std = 0.02;
        var residualStd = 0.02 / Math.Sqrt(2.0 * Config.Layers);
        transformer.wte.Weight.normal_(0, std, gen);
        transformer.wpe.Weight.normal_(0, 0.01, gen);
        Gpt2Block.InitialiseStack(transformer.h, transformer.ln_f, gen, std, residualStd);
        lm_head?.Weight.normal_(0, std, gen);
    }

    // [b, t, d]
    private protected override Tensor Embed(Tensor ids, Tensor positions, HookSet? hooks) =>
        Hook(hooks, HookNames.Embed, transformer.wte.Forward(ids)) + Hook(hooks, HookNames.PosEmbed, transformer.wpe.Forward(positions));

    private protected override Tensor BlocksFrom(int firstLayer, Tensor x, Tensor positions, Tensor attnBias, HookSet? hooks, KeyValueCache? cache) =>
        Gpt2Stack(transformer.h, transformer.ln_f, firstLayer, x, attnBias, hooks, cache);

    private protected override Tensor Unembed(Tensor x) =>
        lm_head is null ? x.matmul(transformer.wte.Weight.t()) : lm_head.Forward(x);
}

internal sealed class Gpt2Backbone : nn.Module
{
    public readonly EmbeddingParams wte;
    public readonly EmbeddingParams wpe;
    public readonly TorchSharp.Modules.ModuleList<Gpt2Block> h;
    public readonly LayerNormParams ln_f;

    public Gpt2Backbone(ModelConfig c, Device device, ScalarType dtype) : base("transformer")
    {
        wte = new EmbeddingParams(c.VocabSize, c.DModel, device, dtype);
        wpe = new EmbeddingParams(c.ContextLength, c.DModel, device, dtype);
        h = new TorchSharp.Modules.ModuleList<Gpt2Block>(Enumerable.Range(0, c.Layers).Select(_ => new Gpt2Block(c, device, dtype)).ToArray());
        ln_f = new LayerNormParams(c.DModel, c.NormEps, device, dtype);
        RegisterComponents();
    }
}

internal sealed class Gpt2Block : nn.Module
{
    public readonly LayerNormParams ln_1;
    public readonly Gpt2Attention attn;
    public readonly LayerNormParams ln_2;
    public readonly Gpt2Mlp mlp;

    public Gpt2Block(ModelConfig c, Device device, ScalarType dtype) : base("block")
    {
        ln_1 = new LayerNormParams(c.DModel, c.NormEps, device, dtype);
        attn = new Gpt2Attention(c, device, dtype);
        ln_2 = new LayerNormParams(c.DModel, c.NormEps, device, dtype);
        mlp = new Gpt2Mlp(c, device, dtype);
        RegisterComponents();
    }

    /// <summary>GPT-2 initialisation of a block stack and its final norm: N(0, std) weights, N(0, residualStd) residual projections, unit norms, zero biases.</summary>
    public static void InitialiseStack(IEnumerable<Gpt2Block> blocks, LayerNormParams finalNorm, Generator gen, double std, double residualStd)
    {
        foreach (var block in blocks)
        {
            foreach (var ln in new[] { block.ln_1, block.ln_2 }) { ln.Weight.fill_(1); ln.Bias.zero_(); }
            block.attn.c_attn.Weight.normal_(0, std, gen); block.attn.c_attn.Bias.zero_();
            block.attn.c_proj.Weight.normal_(0, residualStd, gen); block.attn.c_proj.Bias.zero_();
            block.mlp.c_fc.Weight.normal_(0, std, gen); block.mlp.c_fc.Bias.zero_();
            block.mlp.c_proj.Weight.normal_(0, residualStd, gen); block.mlp.c_proj.Bias.zero_();
        }
        finalNorm.Weight.fill_(1);
        finalNorm.Bias.zero_();
    }
}

internal sealed class Gpt2Attention : nn.Module
{
    public readonly Conv1D c_attn;
    public readonly Conv1D c_proj;

    public Gpt2Attention(ModelConfig c, Device device, ScalarType dtype) : base("attn")
    {
        c_attn = new Conv1D(c.DModel, 3 * c.DModel, device, dtype);
        c_proj = new Conv1D(c.DModel, c.DModel, device, dtype);
        RegisterComponents();
    }
}

internal sealed class Gpt2Mlp : nn.Module
{
    public readonly Conv1D c_fc;
    public readonly Conv1D c_proj;

    public Gpt2Mlp(ModelConfig c, Device device, ScalarType dtype) : base("mlp")
    {
        c_fc = new Conv1D(c.DModel, c.MlpHidden, device, dtype);
        c_proj = new Conv1D(c.MlpHidden, c.DModel, device, dtype);
        RegisterComponents();
    }
}
