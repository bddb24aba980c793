using IclPs.Engine.Models;

namespace IclPs.Engine.Tests.Reference;

/// <summary>
/// GPT-2 as Hugging Face stores it: learned positions, LayerNorm (eps from config), tanh-GELU MLP, Conv1D weights
/// [in, out] (c_attn packs q | k | v along its output), unembedding tied to wte unless lm_head.weight exists.
/// </summary>
public sealed class ReferenceGpt2 : ReferenceTransformer
{
    public ReferenceGpt2(ModelConfig config, ReferenceWeights weights) : base(config, weights)
    {
        var (v, d, f) = (config.VocabSize, config.DModel, config.MlpHidden);
        W["transformer.wte.weight"].Expect("transformer.wte.weight", v, d);
        W["transformer.wpe.weight"].Expect("transformer.wpe.weight", config.ContextLength, d);
        for (var l = 0; l < config.Layers; l++)
        {
            var p = $"transformer.h.{l}.";
            W[p + "attn.c_attn.weight"].Expect(p + "attn.c_attn.weight", d, 3 * d);
            W[p + "attn.c_proj.weight"].Expect(p + "attn.c_proj.weight", d, d);
            W[p + "mlp.c_fc.weight"].Expect(p + "mlp.c_fc.weight", d, f);
            W[p + "mlp.c_proj.weight"].Expect(p + "mlp.c_proj.weight", f, d);
        }
        if (!config.TieEmbeddings) W["lm_head.weight"].Expect("lm_head.weight", v, d);
    }

    private static string P(int l) => $"transformer.h.{l}.";

    private protected override double[][] Embed(IReadOnlyList<int> tokens, int[] positions, Dictionary<string, RefTensor> captures)
    {
        var tokenEmbed = tokens.Select(W["transformer.wte.weight"].Row).ToArray();
        var positionEmbed = positions.Select(W["transformer.wpe.weight"].Row).ToArray();
        captures[HookNames.Embed] = RefTensor.FromRows(tokenEmbed);
        captures[HookNames.PosEmbed] = RefTensor.FromRows(positionEmbed);
        return tokenEmbed.Select((e, p) => RefMath.Add(e, positionEmbed[p])).ToArray();
    }

    private protected override double[] AttentionNorm(int l, double[] x) =>
        RefMath.LayerNorm(x, W[P(l) + "ln_1.weight"], W[P(l) + "ln_1.bias"], Config.NormEps);

    private protected override (double[][] Q, double[][] K, double[][] V) QueryKeyValue(int l, double[] normed, int position)
    {
        var qkv = RefMath.InOut(normed, W[P(l) + "attn.c_attn.weight"], W[P(l) + "attn.c_attn.bias"]);
        return (RefMath.SplitHeads(qkv[..D], Heads), RefMath.SplitHeads(qkv[D..(2 * D)], Heads), RefMath.SplitHeads(qkv[(2 * D)..], Heads));
    }

    private protected override double[] HeadResult(int l, int head, double[] z)
    {
        // Rows h*d_head .. (h+1)*d_head of c_proj.weight [d, d] are head h's W_O.
        var wO = W[P(l) + "attn.c_proj.weight"];
        var y = new double[D];
        for (var e = 0; e < DHead; e++)
            for (var m = 0; m < D; m++) y[m] += z[e] * wO[head * DHead + e, m];
        return y;
    }

    private protected override double[]? AttentionOutputBias(int l) => W[P(l) + "attn.c_proj.bias"].Data;

    private protected override double[] MlpNorm(int l, double[] x) =>
        RefMath.LayerNorm(x, W[P(l) + "ln_2.weight"], W[P(l) + "ln_2.bias"], Config.NormEps);

    private protected override double[] Mlp(int l, double[] normed)
    {
        var hidden = RefMath.InOut(normed, W[P(l) + "mlp.c_fc.weight"], W[P(l) + "mlp.c_fc.bias"]).Select(RefMath.GeluTanh).ToArray();
        return RefMath.InOut(hidden, W[P(l) + "mlp.c_proj.weight"], W[P(l) + "mlp.c_proj.bias"]);
    }

    private protected override double[] FinalNorm(double[] x) =>
        RefMath.LayerNorm(x, W["transformer.ln_f.weight"], W["transformer.ln_f.bias"], Config.NormEps);

    private protected override double[] Unembed(double[] x) =>
        RefMath.OutIn(x, Config.TieEmbeddings ? W["transformer.wte.weight"] : W["lm_head.weight"]);
}
