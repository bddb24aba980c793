using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>
/// The token layout z_i = [x_i; w_{e,y_i}; E_i; f_i] of width d + 3 d' (docs/science.md §4), and the slot views the blocks
/// read and write. Tokens are rows: h [b, T, width] with the N context tokens first and the query last.
/// </summary>
public readonly record struct CategoricalTokens(int Dimension, int EmbeddingDim)
{
    public int Width => Dimension + 3 * EmbeddingDim;
    public int LabelOffset => Dimension;
    public int ExpectationOffset => Dimension + EmbeddingDim;
    public int FunctionOffset => Dimension + 2 * EmbeddingDim;

    /// <summary>x [.., d].</summary>
    public Tensor X(Tensor h) => h.narrow(-1, 0, Dimension);
    /// <summary>w_{e,y} [.., d'] (zero for the query).</summary>
    public Tensor Label(Tensor h) => h.narrow(-1, LabelOffset, EmbeddingDim);
    /// <summary>E [.., d'], the embedding the model currently expects.</summary>
    public Tensor Expectation(Tensor h) => h.narrow(-1, ExpectationOffset, EmbeddingDim);
    /// <summary>f [.., d'], the function value.</summary>
    public Tensor Function(Tensor h) => h.narrow(-1, FunctionOffset, EmbeddingDim);

    /// <summary>
    /// The initial tokens for x [b, N+1, d] and labels [b, N+1] with the embedding W_e [d', C]: the label slot holds
    /// w_{e,y_i} for context tokens and zeros for the query, E the mean embedding (1/C) sum_c w_{e,c}, f zero.
    /// </summary>
    public Tensor Build(Tensor x, Tensor labels, Tensor embedding)
    {
        if (x.dim() != 3 || x.shape[2] != Dimension || labels.dim() != 2 || labels.shape[0] != x.shape[0] || labels.shape[1] != x.shape[1]
            || embedding.dim() != 2 || embedding.shape[0] != EmbeddingDim)
            throw new IclPsException(CategoricalErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"Expected x [b, N+1, {Dimension}], labels [b, N+1] and W_e [{EmbeddingDim}, C]; got {CategoricalBatch.Shape(x)}, {CategoricalBatch.Shape(labels)} and {CategoricalBatch.Shape(embedding)}.", x);
        using var scope = NewDisposeScope();
        var (b, t) = (x.shape[0], x.shape[1]);
        var w = embedding.to(x.dtype, x.device);
        var label = w.t().index_select(0, labels.reshape(-1).to(x.device)).reshape(b, t, EmbeddingDim);       // [b, T, d']
        var isContext = ones(new long[] { 1, t, 1 }, x.dtype, x.device);
        isContext[0, t - 1, 0] = tensor(0.0, x.dtype, x.device);
        var mean = w.mean(new long[] { 1 }).expand(b, t, EmbeddingDim);                                       // [b, T, d']
        return cat(new[] { x, label * isContext, mean, zeros(new[] { b, t, (long)EmbeddingDim }, x.dtype, x.device) }, -1).MoveToOuterDisposeScope();
    }

    /// <summary>A block's update [.., width] that writes <paramref name="expectation"/> into E and <paramref name="function"/> into f, zero elsewhere.</summary>
    public Tensor Write(Tensor? expectation, Tensor? function, Tensor like)
    {
        var shape = like.shape[..^1];
        Tensor Zeros(int width) => zeros(shape.Append((long)width).ToArray(), like.dtype, like.device);
        return cat(new[] { Zeros(Dimension + EmbeddingDim), expectation ?? Zeros(EmbeddingDim), function ?? Zeros(EmbeddingDim) }, -1);
    }
}

/// <summary>The attention patterns of head 1 (the kernel) and of the authors' eraser, shared by both models.</summary>
public static class CategoricalKernels
{
    /// <summary>lambda of the authors' erase head: scores lambda^2 x_i.x_j / sqrt(width), a near-hard argmax.</summary>
    public const double AuthorsEraserScale = 1e5;

    /// <summary>
    /// queries [.., T, m], keys [.., N, m] -> the pattern [.., T, N] of <paramref name="kernel"/> with parameter
    /// <paramref name="scale"/> (beta; a tensor so it can be learned): softmax_j(beta q.k / sqrt(width)); beta q.k / N; or
    /// exp(-||q - k||^2 / (2 beta^2)) / N.
    /// </summary>
    public static Tensor Pattern(CategoricalKernel kernel, Tensor queries, Tensor keys, Tensor scale, int width)
    {
        var n = keys.shape[^2];
        return kernel switch
        {
            CategoricalKernel.Softmax => nn.functional.softmax(queries.matmul(keys.transpose(-1, -2)) * scale / Math.Sqrt(width), -1),
            CategoricalKernel.Linear => queries.matmul(keys.transpose(-1, -2)) * scale / n,
            CategoricalKernel.Rbf => (-SquaredDistances(queries, keys) / (scale.square() * 2)).exp() / n,
            _ => throw new IclPsException(CategoricalErrorIds.UnknownKernel, IclErrorKind.InvalidArgument, $"Unknown kernel '{kernel}'.", kernel),
        };
    }

    /// <summary>The authors' erase pattern over x: softmax_j(lambda^2 x_i.x_j / sqrt(width)) [.., T, N].</summary>
    public static Tensor AuthorsErasePattern(Tensor queries, Tensor keys, int width) =>
        nn.functional.softmax(queries.matmul(keys.transpose(-1, -2)) * (AuthorsEraserScale * AuthorsEraserScale / Math.Sqrt(width)), -1);

    /// <summary>
    /// The share of context tokens whose authors' erase head picks another token: argmax_j x_i.x_j != i over the N context
    /// tokens of x [b, N+1, d] (the query excluded, as it never feeds the GD step).
    /// </summary>
    public static double OtherTokenShare(Tensor x)
    {
        using var scope = NewDisposeScope();
        var n = x.shape[1] - 1;
        var context = x.narrow(1, 0, n).to(ScalarType.Float64);
        var picked = context.matmul(context.transpose(1, 2)).argmax(-1);                                 // [b, N]
        var self = arange(n, ScalarType.Int64, x.device).unsqueeze(0);
        return (picked != self).to(ScalarType.Float64).mean().item<double>();
    }

    internal static Tensor SquaredDistances(Tensor queries, Tensor keys) =>
        (queries.square().sum(-1, keepdim: true) + keys.square().sum(-1).unsqueeze(-2) - queries.matmul(keys.transpose(-1, -2)) * 2).clamp_min(0);
}
