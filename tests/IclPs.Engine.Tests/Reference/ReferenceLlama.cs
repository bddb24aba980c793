using IclPs.Engine.Models;

namespace IclPs.Engine.Tests.Reference;

/// <summary>
/// LLaMA as Hugging Face stores it: RMSNorm, rotary positions (rotate-half, rope_theta), SwiGLU MLP, grouped-query
/// attention (num_key_value_heads), no biases, Linear weights [out, in].
/// </summary>
public sealed class ReferenceLlama : ReferenceTransformer
{
    public ReferenceLlama(ModelConfig config, ReferenceWeights weights) : base(config, weights)
    {
        var (v, d, f, kv) = (config.VocabSize, config.DModel, config.MlpHidden, config.KvHeads * config.DHead);
        W["model.embed_tokens.weight"].Expect("model.embed_tokens.weight", v, d);
        for (var l = 0; l < config.Layers; l++)
        {
            var p = P(l);
            W[p + "self_attn.q_proj.weight"].Expect(p + "self_attn.q_proj.weight", d, d);
            W[p + "self_attn.k_proj.weight"].Expect(p + "self_attn.k_proj.weight", kv, d);
            W[p + "self_attn.v_proj.weight"].Expect(p + "self_attn.v_proj.weight", kv, d);
            W[p + "self_attn.o_proj.weight"].Expect(p + "self_attn.o_proj.weight", d, d);
            W[p + "mlp.gate_proj.weight"].Expect(p + "mlp.gate_proj.weight", f, d);
            W[p + "mlp.up_proj.weight"].Expect(p + "mlp.up_proj.weight", f, d);
            W[p + "mlp.down_proj.weight"].Expect(p + "mlp.down_proj.weight", d, f);
        }
        if (!config.TieEmbeddings) W["lm_head.weight"].Expect("lm_head.weight", v, d);
    }

    private static string P(int l) => $"model.layers.{l}.";

    private protected override double[][] Embed(IReadOnlyList<int> tokens, int[] positions, Dictionary<string, RefTensor> captures)
    {
        var embed = tokens.Select(W["model.embed_tokens.weight"].Row).ToArray();
        captures[HookNames.Embed] = RefTensor.FromRows(embed);
        return embed;
    }

    private protected override double[] AttentionNorm(int l, double[] x) =>
        RefMath.RmsNorm(x, W[P(l) + "input_layernorm.weight"], Config.NormEps);

    private protected override (double[][] Q, double[][] K, double[][] V) QueryKeyValue(int l, double[] normed, int position)
    {
        var q = RefMath.SplitHeads(RefMath.OutIn(normed, W[P(l) + "self_attn.q_proj.weight"]), Heads);
        var k = RefMath.SplitHeads(RefMath.OutIn(normed, W[P(l) + "self_attn.k_proj.weight"]), KvHeads);
        var v = RefMath.SplitHeads(RefMath.OutIn(normed, W[P(l) + "self_attn.v_proj.weight"]), KvHeads);
        return (q.Select(h => RefMath.Rope(h, position, Config.RopeTheta)).ToArray(),
                k.Select(h => RefMath.Rope(h, position, Config.RopeTheta)).ToArray(),
                v);
    }

    private protected override double[] HeadResult(int l, int head, double[] z)
    {
        // Columns h*d_head .. (h+1)*d_head of o_proj.weight [d, d] are head h's W_O (transposed).
        var wO = W[P(l) + "self_attn.o_proj.weight"];
        var y = new double[D];
        for (var m = 0; m < D; m++)
            for (var e = 0; e < DHead; e++) y[m] += wO[m, head * DHead + e] * z[e];
        return y;
    }

    private protected override double[]? AttentionOutputBias(int l) => null;

    private protected override double[] MlpNorm(int l, double[] x) =>
        RefMath.RmsNorm(x, W[P(l) + "post_attention_layernorm.weight"], Config.NormEps);

    private protected override double[] Mlp(int l, double[] normed)
    {
        var gate = RefMath.OutIn(normed, W[P(l) + "mlp.gate_proj.weight"]);
        var up = RefMath.OutIn(normed, W[P(l) + "mlp.up_proj.weight"]);
        var hidden = gate.Select((g, i) => RefMath.Silu(g) * up[i]).ToArray();
        return RefMath.OutIn(hidden, W[P(l) + "mlp.down_proj.weight"]);
    }

    private protected override double[] FinalNorm(double[] x) => RefMath.RmsNorm(x, W["model.norm.weight"], Config.NormEps);

    private protected override double[] Unembed(double[] x) =>
        RefMath.OutIn(x, Config.TieEmbeddings ? W["model.embed_tokens.weight"] : W["lm_head.weight"]);
}
