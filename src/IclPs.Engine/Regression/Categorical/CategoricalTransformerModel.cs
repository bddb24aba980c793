using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>
/// The "trained transformer": the blocks of <see cref="CategoricalAttentionModel"/> with every projection free, as the authors'
/// TransformerInterleaved. Per layer l: self-attention with two heads h = 0 (the kernel head) and 1 (a softmax head),
/// queries W_Q[l,h] z_i over all tokens, keys W_K[l,h] z_j and values W_V[l,h] z_j over the context, output
/// sum_h P[l,h] (pattern_h values_h); cross-attention with query W_Q2[l] z_i, keys W_K2[l] w_{e,c}, values W_V2[l] w_{e,c}
/// over the C columns of W_e, softmax without scaling, output P2[l] (pattern values). Projections start N(0, s^2) with the
/// authors' s = 0.002 / L; W_e ~ N(0, 1).
/// </summary>
public sealed class CategoricalTransformerModel : CategoricalAttentionModel
{
    private readonly Parameter selfQuery;   // [L, 2, w, w]
    private readonly Parameter selfKey;     // [L, 2, w, w]
    private readonly Parameter selfValue;   // [L, 2, w, w]
    private readonly Parameter selfOut;     // [L, 2, w, w]
    private readonly Parameter crossQuery;  // [L, w, w]
    private readonly Parameter crossKey;    // [L, w, d']
    private readonly Parameter crossValue;  // [L, w, d']
    private readonly Parameter crossOut;    // [L, w, w]
    private readonly Parameter embedding;   // [d', C]
    private readonly Tensor one;

    public CategoricalTransformerModel(CategoricalModelConfig config, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(CategoricalTransformerModel), config)
    {
        if (config.Kind != CategoricalModelKind.Transformer)
            throw new IclPsException(CategoricalErrorIds.ModelKindMismatch, IclErrorKind.InvalidArgument, $"A transformer needs a Transformer config; got {config.Kind}.", config.Kind);
        long L = config.Layers, w = config.Width, e = config.EmbeddingDim;
        var s = config.EffectiveInitScale;
        using var gen = new Generator((ulong)seed);
        Parameter Draw(long[] shape, double scale) => new(randn(shape, ScalarType.Float64, generator: gen).mul_(scale).to(dtype, device ?? CPU));
        // The authors' draw order.
        selfQuery = Draw([L, 2, w, w], s);
        selfKey = Draw([L, 2, w, w], s);
        crossQuery = Draw([L, w, w], s);
        crossKey = Draw([L, w, e], s);
        selfValue = Draw([L, 2, w, w], s);
        crossValue = Draw([L, w, e], s);
        selfOut = Draw([L, 2, w, w], s);
        crossOut = Draw([L, w, w], s);
        embedding = Draw([e, config.Categories], 1.0);
        one = ones(new long[] { 1 }, dtype, device ?? CPU);
        RegisterComponents();
    }

    public override Tensor Embedding => embedding;

    public override IReadOnlyList<(string Name, Tensor Parameter)> Weights() =>
    [
        ("self_query", selfQuery), ("self_key", selfKey), ("self_value", selfValue), ("self_out", selfOut),
        ("cross_query", crossQuery), ("cross_key", crossKey), ("cross_value", crossValue), ("cross_out", crossOut), ("embedding", embedding),
    ];

    protected override Tensor SelfAttention(int layer, Tensor h, int contextPoints)
    {
        var width = Tokens.Width;
        var context = h.narrow(1, 0, contextPoints);                                                      // [b, N, w]
        var queries = Heads(h, selfQuery[layer]);                                                         // [b, 2, T, w]
        var keys = Heads(context, selfKey[layer]);                                                        // [b, 2, N, w]
        var values = Heads(context, selfValue[layer]);                                                    // [b, 2, N, w]
        var kernelHead = CategoricalKernels.Pattern(Config.Kernel, queries.select(1, 0), keys.select(1, 0), one, width);
        var softmaxHead = nn.functional.softmax(queries.select(1, 1).matmul(keys.select(1, 1).transpose(-1, -2)) / Math.Sqrt(width), -1);
        var heads = stack(new[] { kernelHead, softmaxHead }, 1).matmul(values);                          // [b, 2, T, w]
        // sum_h heads_h P_h^T as one product: [b, T, 2w] x [2w, w].
        var outputs = heads.permute(0, 2, 1, 3).reshape(h.shape[0], h.shape[1], 2 * width);
        return outputs.matmul(cat(new[] { selfOut[layer, 0], selfOut[layer, 1] }, 1).t());              // [b, T, w]
    }

    // Both heads' projections of tokens [b, T, w] by W [2, w, w] in one product, as [b, 2, T, w].
    private static Tensor Heads(Tensor tokens, Tensor weights)
    {
        var (b, t, w) = (tokens.shape[0], tokens.shape[1], tokens.shape[2]);
        return tokens.matmul(weights.reshape(2 * w, w).t()).view(b, t, 2, w).permute(0, 2, 1, 3);
    }

    protected override Tensor CrossAttention(int layer, Tensor h)
    {
        var keys = crossKey[layer].matmul(embedding).t();                                                 // [C, w]
        var values = crossValue[layer].matmul(embedding).t();                                             // [C, w]
        var pattern = nn.functional.softmax(h.matmul(crossQuery[layer].transpose(-1, -2)).matmul(keys.t()), -1);   // [b, T, C]
        return pattern.matmul(values).matmul(crossOut[layer].transpose(-1, -2));                          // [b, T, w]
    }

    /// <summary>
    /// The transformer whose projections are the GD model's construction (the authors' TransformerGDInterleaved written out):
    /// head 0 scores x only (softmax and linear: W_Q = beta I, W_K = I on x; RBF: W_Q = W_K = I / beta) and moves
    /// diag(alpha_l) (label - E) into f; head 1 is the authors' eraser (W_Q = W_K = 1e5 I on x, W_V = I on E, P = -I); the
    /// cross-attention reads f (W_Q2, W_K2 = I on f), writes E (W_V2 = I on E). Same logits as <paramref name="gd"/>, in its dtype.
    /// The exact eraser has no counterpart in this family (a softmax head over the context cannot pick token i itself), so a
    /// GD model with it is accepted only up to L = 2: in block 1 every E is the mean embedding and both erasers clear it
    /// exactly, and the E that block 2's eraser leaves only feeds a block 3, so the logits are the same.
    /// </summary>
    public static CategoricalTransformerModel FromGd(CategoricalGdModel gd)
    {
        var c = gd.Config;
        if (c.Eraser == CategoricalEraser.Exact && c.Layers > 2)
            throw new IclPsException(CategoricalErrorIds.NotRepresentable, IclErrorKind.InvalidArgument,
                $"The exact eraser has no transformer counterpart beyond two layers (this GD model has {c.Layers}); train the GD model with the authors' eraser.", c.Eraser);
        var config = c with { Kind = CategoricalModelKind.Transformer, Eraser = CategoricalEraser.Learned };
        var model = new CategoricalTransformerModel(config, 0, gd.DType, gd.Embedding.device);
        var z = model.Tokens;
        int d = c.Dimension, e = c.EmbeddingDim, w = z.Width;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var dtype = gd.DType;
        var beta = gd.Beta.to(ScalarType.Float64).item<double>();
        Tensor Block(Tensor m, int row, int col, Tensor value) => m.narrow(-2, row, value.shape[0]).narrow(-1, col, value.shape[1]).copy_(value);
        Tensor Eye(long n, double scale) => eye(n, dtype: dtype, device: gd.Embedding.device) * scale;
        foreach (var p in model.Weights().Select(p => p.Parameter)) p.zero_();
        for (var l = 0; l < c.Layers; l++)
        {
            var (queryScale, keyScale) = c.Kernel == CategoricalKernel.Rbf ? (1 / beta, 1 / beta) : (beta, 1.0);
            Block(model.selfQuery[l, 0], 0, 0, Eye(d, queryScale));
            Block(model.selfKey[l, 0], 0, 0, Eye(d, keyScale));
            var alpha = diag(gd.Alpha[l].detach());
            Block(model.selfValue[l, 0], z.FunctionOffset, z.LabelOffset, alpha);
            Block(model.selfValue[l, 0], z.FunctionOffset, z.ExpectationOffset, -alpha);
            model.selfOut[l, 0].copy_(Eye(w, 1));
            Block(model.selfQuery[l, 1], 0, 0, Eye(d, CategoricalKernels.AuthorsEraserScale));
            Block(model.selfKey[l, 1], 0, 0, Eye(d, CategoricalKernels.AuthorsEraserScale));
            Block(model.selfValue[l, 1], z.ExpectationOffset, z.ExpectationOffset, Eye(e, 1));
            model.selfOut[l, 1].copy_(Eye(w, -1));
            Block(model.crossQuery[l], z.FunctionOffset, z.FunctionOffset, Eye(e, 1));
            Block(model.crossKey[l], z.FunctionOffset, 0, Eye(e, 1));
            Block(model.crossValue[l], z.ExpectationOffset, 0, Eye(e, 1));
            model.crossOut[l].copy_(Eye(w, 1));
        }
        model.embedding.copy_(gd.Embedding);
        return model;
    }
}
