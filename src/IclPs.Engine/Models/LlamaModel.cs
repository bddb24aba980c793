using IclPs.Engine.Adapters;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Models;

/// <summary>LLaMA: RMSNorm, rotary positions (rotate-half convention), SwiGLU MLP, grouped-query attention, no biases.</summary>
public sealed class LlamaModel : TransformerModel
{
    private readonly LlamaBackbone model;
    private readonly LinearNoBias? lm_head;
    private readonly Tensor _inverseFrequencies;

    internal LlamaModel(ModelConfig config, Device device, ScalarType dtype) : base(config, device, dtype)
    {
        model = new LlamaBackbone(config, device, dtype);
        lm_head = config.TieEmbeddings ? null : new LinearNoBias(config.DModel, config.VocabSize, device, dtype);
        RegisterComponents();
        // Not a parameter: derived from rope_theta, kept in float32 as Hugging Face does; disposed with the model.
        using var scope = NewDisposeScope();
        _inverseFrequencies = (1.0 / pow(config.RopeTheta, arange(0, config.DHead, 2, dtype: ScalarType.Float64) / config.DHead))
            .to(ScalarType.Float32, device).DetachFromDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inverseFrequencies.Dispose();
        base.Dispose(disposing);
    }

    public override Tensor HeadOutputWeights(int layer) =>
        // o_proj.weight is [d_model, H*d_head]; head h's slice of W_O^T is [d_head, d_model].
        LoraLayer.EffectiveWeight(model.layers[layer].self_attn.o_proj).t().reshape(Config.Heads, Config.DHead, Config.DModel);

    /// <summary>Null: LLaMA's o_proj has no bias.</summary>
    public override Tensor? HeadOutputBias(int layer) => null;

    public override void Initialise(long seed)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var gen = new Generator((ulong)seed, Device);
        var std = 0.02;
        var residualStd = 0.02 / Math.Sqrt(2.0 * Config.Layers);
        model.embed_tokens.Weight.normal_(0, std, gen);
        foreach (var layer in model.layers)
        {
            layer.input_layernorm.Weight.fill_(1);
            layer.post_attention_layernorm.Weight.fill_(1);
            foreach (var p in new[] { layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj, layer.mlp.gate_proj, layer.mlp.up_proj })
                p.Weight.normal_(0, std, gen);
            layer.self_attn.o_proj.Weight.normal_(0, residualStd, gen);
            layer.mlp.down_proj.Weight.normal_(0, residualStd, gen);
        }
        model.norm.Weight.fill_(1);
        lm_head?.Weight.normal_(0, std, gen);
    }

    private protected override Tensor Embed(Tensor ids, Tensor positions, HookSet? hooks) =>
        Hook(hooks, HookNames.Embed, model.embed_tokens.Forward(ids));

    private protected override Tensor BlocksFrom(int firstLayer, Tensor x, Tensor positions, Tensor attnBias, HookSet? hooks, KeyValueCache? cache)
    {
        // cos, sin: [b, 1, t, d_head]
        var freqs = positions.to(ScalarType.Float32).unsqueeze(-1) * _inverseFrequencies.view(1, 1, -1);
        var angles = cat([freqs, freqs], -1);
        var cos = angles.cos().to(DType).unsqueeze(1);
        var sin = angles.sin().to(DType).unsqueeze(1);
        for (var l = firstLayer; l < Config.Layers; l++)
        {
            x = BlockForward(model.layers[l], l, x, attnBias, cos, sin, hooks, cache);
        }
        return Hook(hooks, HookNames.FinalNormalized, model.norm.Forward(x));
    }

    private protected override Tensor Unembed(Tensor x) =>
        lm_head is null ? x.matmul(model.embed_tokens.Weight.t()) : lm_head.Forward(x);

    private Tensor BlockForward(LlamaBlock block, int layer, Tensor x, Tensor attnBias, Tensor cos, Tensor sin, HookSet? hooks, KeyValueCache? cache)
    {
        var names = LayerHooks[layer];
        var (b, t) = (x.shape[0], x.shape[1]);
        var (heads, kvHeads, dHead) = (Config.Heads, Config.KvHeads, Config.DHead);
        x = Hook(hooks, names.ResidPre, x);
        var h = block.input_layernorm.Forward(x);
        // q: [b, H, t, d_head]; k, v: [b, KV, t, d_head]
        var q = block.self_attn.q_proj.Forward(h).view(b, t, heads, dHead).transpose(1, 2);
        var k = block.self_attn.k_proj.Forward(h).view(b, t, kvHeads, dHead).transpose(1, 2);
        var v = block.self_attn.v_proj.Forward(h).view(b, t, kvHeads, dHead).transpose(1, 2);
        q = q * cos + RotateHalf(q) * sin;
        k = k * cos + RotateHalf(k) * sin;
        if (cache is not null) (k, v) = cache.Apply(layer, x, k, v);
        if (kvHeads != heads)
        {
            k = k.repeat_interleave(heads / kvHeads, dim: 1);
            v = v.repeat_interleave(heads / kvHeads, dim: 1);
        }
        var z = Attend(q, k, v, attnBias, hooks, names.Pattern).transpose(1, 2);
        var attnOut = ProjectHeads(z, layer, hooks, block.self_attn.o_proj.Forward, null);
        x = Hook(hooks, names.ResidMid, x + Hook(hooks, names.AttnOut, attnOut));
        var h2 = block.post_attention_layernorm.Forward(x);
        var mlp = block.mlp;
        var mlpOut = Hook(hooks, names.MlpOut, mlp.down_proj.Forward(nn.functional.silu(mlp.gate_proj.Forward(h2)) * mlp.up_proj.Forward(h2)));
        return Hook(hooks, names.ResidPost, x + mlpOut);
    }

    private static Tensor RotateHalf(Tensor x)
    {
        var half = x.shape[^1] / 2;
        return cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
    }
}

internal sealed class LlamaBackbone : nn.Module
{
    public readonly EmbeddingParams embed_tokens;
    public readonly TorchSharp.Modules.ModuleList<LlamaBlock> layers;
    public readonly RmsNorm norm;

    public LlamaBackbone(ModelConfig c, Device device, ScalarType dtype) : base("model")
    {
        embed_tokens = new EmbeddingParams(c.VocabSize, c.DModel, device, dtype);
        layers = new TorchSharp.Modules.ModuleList<LlamaBlock>(Enumerable.Range(0, c.Layers).Select(_ => new LlamaBlock(c, device, dtype)).ToArray());
        norm = new RmsNorm(c.DModel, c.NormEps, device, dtype);
        RegisterComponents();
    }
}

internal sealed class LlamaBlock : nn.Module
{
    public readonly RmsNorm input_layernorm;
    public readonly LlamaAttention self_attn;
    public readonly RmsNorm post_attention_layernorm;
    public readonly LlamaMlp mlp;

    public LlamaBlock(ModelConfig c, Device device, ScalarType dtype) : base("layer")
    {
        input_layernorm = new RmsNorm(c.DModel, c.NormEps, device, dtype);
        self_attn = new LlamaAttention(c, device, dtype);
        post_attention_layernorm = new RmsNorm(c.DModel, c.NormEps, device, dtype);
        mlp = new LlamaMlp(c, device, dtype);
        RegisterComponents();
    }
}

internal sealed class LlamaAttention : nn.Module
{
    public readonly LinearNoBias q_proj;
    public readonly LinearNoBias k_proj;
    public readonly LinearNoBias v_proj;
    public readonly LinearNoBias o_proj;

    public LlamaAttention(ModelConfig c, Device device, ScalarType dtype) : base("self_attn")
    {
        var kv = c.KvHeads * c.DHead;
        q_proj = new LinearNoBias(c.DModel, c.DModel, device, dtype);
        k_proj = new LinearNoBias(c.DModel, kv, device, dtype);
        v_proj = new LinearNoBias(c.DModel, kv, device, dtype);
        o_proj = new LinearNoBias(c.DModel, c.DModel, device, dtype);
        RegisterComponents();
    }
}

internal sealed class LlamaMlp : nn.Module
{
    public readonly LinearNoBias gate_proj;
    public readonly LinearNoBias up_proj;
    public readonly LinearNoBias down_proj;

    public LlamaMlp(ModelConfig c, Device device, ScalarType dtype) : base("mlp")
    {
        gate_proj = new LinearNoBias(c.DModel, c.MlpHidden, device, dtype);
        up_proj = new LinearNoBias(c.DModel, c.MlpHidden, device, dtype);
        down_proj = new LinearNoBias(c.MlpHidden, c.DModel, device, dtype);
        RegisterComponents();
    }
}
