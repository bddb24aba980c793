using IclPs.Engine.Models;

namespace IclPs.Engine.Tests.Reference;

/// <summary>
/// A float64, loop-by-loop pre-norm causal decoder for ONE unpadded prompt, the yardstick the TorchSharp models are
/// tested against. The block skeleton (attention, heads, residuals, capture points) is shared; each family supplies
/// its norms, projections, position scheme and MLP.
/// </summary>
public abstract class ReferenceTransformer
{
    private protected ReferenceTransformer(ModelConfig config, ReferenceWeights weights)
    {
        Config = config;
        W = weights;
    }

    public ModelConfig Config { get; }
    private protected ReferenceWeights W { get; }
    private protected int D => Config.DModel;
    private protected int Heads => Config.Heads;
    private protected int KvHeads => Config.KvHeads;
    private protected int DHead => Config.DHead;

    public static ReferenceTransformer For(ModelConfig config, ReferenceWeights weights) => config.Family switch
    {
        ModelFamily.Gpt2 => new ReferenceGpt2(config, weights),
        ModelFamily.Llama => new ReferenceLlama(config, weights),
        _ => throw new ArgumentOutOfRangeException(nameof(config)),
    };

    public static ReferenceTransformer For(TransformerModel model) => For(model.Config, ReferenceWeights.FromModel(model));

    /// <summary>
    /// Forward pass of <paramref name="tokens"/>. Position ids are firstPosition, firstPosition + 1, ...; a real prompt
    /// starts at 0, and tests shift it to show what wrong position ids would do.
    /// </summary>
    public ReferenceRun Run(IReadOnlyList<int> tokens, ReferenceInterventions? interventions = null, int firstPosition = 0)
    {
        var captures = new Dictionary<string, RefTensor>(StringComparer.Ordinal);
        var positions = Enumerable.Range(firstPosition, tokens.Count).ToArray();
        var x = Embed(tokens, positions, captures);
        for (var l = 0; l < Config.Layers; l++) x = Block(l, x, positions, captures, interventions);
        return new ReferenceRun(Finish(x, captures), captures);
    }

    /// <summary>Feeds a residual stream [pos][d] entering block <paramref name="layer"/> through the remaining blocks; returns logits.</summary>
    public double[][] LogitsFrom(int layer, double[][] residual, int firstPosition = 0)
    {
        var captures = new Dictionary<string, RefTensor>(StringComparer.Ordinal);
        var positions = Enumerable.Range(firstPosition, residual.Length).ToArray();
        var x = residual;
        for (var l = layer; l < Config.Layers; l++) x = Block(l, x, positions, captures, null);
        return Finish(x, captures);
    }

    /// <summary>Token (and, for GPT-2, position) embeddings, [pos][d]; records hook_embed (and hook_pos_embed).</summary>
    private protected abstract double[][] Embed(IReadOnlyList<int> tokens, int[] positions, Dictionary<string, RefTensor> captures);

    private protected abstract double[] AttentionNorm(int layer, double[] x);

    /// <summary>Queries [H][d_head] and keys, values [KV][d_head] of one position, position encoding applied.</summary>
    private protected abstract (double[][] Q, double[][] K, double[][] V) QueryKeyValue(int layer, double[] normed, int position);

    /// <summary>Head <paramref name="head"/>'s share of the output projection: z_h W_O[h], [d].</summary>
    private protected abstract double[] HeadResult(int layer, int head, double[] z);

    private protected abstract double[]? AttentionOutputBias(int layer);

    private protected abstract double[] MlpNorm(int layer, double[] x);

    private protected abstract double[] Mlp(int layer, double[] normed);

    private protected abstract double[] FinalNorm(double[] x);

    private protected abstract double[] Unembed(double[] x);

    private double[][] Block(int l, double[][] x, int[] positions, Dictionary<string, RefTensor> captures, ReferenceInterventions? interventions)
    {
        var t = x.Length;
        captures[HookNames.ResidPre(l)] = RefTensor.FromRows(x);

        var q = new double[t][][];
        var k = new double[t][][];
        var v = new double[t][][];
        for (var p = 0; p < t; p++) (q[p], k[p], v[p]) = QueryKeyValue(l, AttentionNorm(l, x[p]), positions[p]);

        // Causal softmax attention; query head h reads key/value head h / (H / KV) (grouped-query attention).
        var group = Heads / KvHeads;
        var pattern = new double[Heads * t * t];
        var z = new double[t][][];
        for (var p = 0; p < t; p++) z[p] = new double[Heads][];
        for (var h = 0; h < Heads; h++)
        {
            var kv = h / group;
            for (var i = 0; i < t; i++)
            {
                var scores = new double[i + 1];
                for (var j = 0; j <= i; j++) scores[j] = RefMath.Dot(q[i][h], k[j][kv]) / Math.Sqrt(DHead);
                var weights = RefMath.Softmax(scores);
                var zi = new double[DHead];
                for (var j = 0; j <= i; j++)
                {
                    pattern[(h * t + i) * t + j] = weights[j];
                    for (var e = 0; e < DHead; e++) zi[e] += weights[j] * v[j][kv][e];
                }
                z[i][h] = zi;
            }
        }
        captures[HookNames.Pattern(l)] = new RefTensor([Heads, t, t], pattern);
        interventions?.ApplyToZ(l, z);
        captures[HookNames.Z(l)] = RefTensor.FromRows(z);

        var result = z.Select(zp => Enumerable.Range(0, Heads).Select(h => HeadResult(l, h, zp[h])).ToArray()).ToArray();
        captures[HookNames.Result(l)] = RefTensor.FromRows(result);

        var bias = AttentionOutputBias(l);
        var attnOut = result.Select(rp => rp.Aggregate(bias ?? new double[D], RefMath.Add)).ToArray();
        captures[HookNames.AttnOut(l)] = RefTensor.FromRows(attnOut);

        var mid = x.Select((xp, p) => RefMath.Add(xp, attnOut[p])).ToArray();
        captures[HookNames.ResidMid(l)] = RefTensor.FromRows(mid);

        var mlpOut = mid.Select(mp => Mlp(l, MlpNorm(l, mp))).ToArray();
        captures[HookNames.MlpOut(l)] = RefTensor.FromRows(mlpOut);

        var post = mid.Select((mp, p) => RefMath.Add(mp, mlpOut[p])).ToArray();
        interventions?.ApplyToResidPost(l, post);
        captures[HookNames.ResidPost(l)] = RefTensor.FromRows(post);
        return post;
    }

    private double[][] Finish(double[][] x, Dictionary<string, RefTensor> captures)
    {
        var normed = x.Select(FinalNorm).ToArray();
        captures[HookNames.FinalNormalized] = RefTensor.FromRows(normed);
        return normed.Select(Unembed).ToArray();
    }
}
