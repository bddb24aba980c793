using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>
/// Contexts of N labelled points and one query: inputs X [b, N+1, d] (the query last), labels [b, N+1] (int64; the query's
/// label is the target and never shown to a model), and the generator's true p(c | x_q) [b, C] in float64, which gives the
/// Bayes-optimal prediction. Owns its tensors.
/// </summary>
public sealed class CategoricalBatch : IDisposable
{
    public CategoricalBatch(Tensor x, Tensor labels, Tensor queryProbabilities)
    {
        if (x.dim() != 3 || labels.dim() != 2 || queryProbabilities.dim() != 2 || x.shape[0] != labels.shape[0] || x.shape[1] != labels.shape[1]
            || queryProbabilities.shape[0] != x.shape[0] || x.shape[1] < 2)
            throw new IclPsException(CategoricalErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"Expected x [b, N+1, d], labels [b, N+1] and query probabilities [b, C]; got {Shape(x)}, {Shape(labels)} and {Shape(queryProbabilities)}.", x);
        (X, Labels, QueryProbabilities) = (x, labels, queryProbabilities);
    }

    public Tensor X { get; }
    public Tensor Labels { get; }
    public Tensor QueryProbabilities { get; }
    public int Count => (int)X.shape[0];
    /// <summary>N, the context points (the query excluded).</summary>
    public int ContextPoints => (int)X.shape[1] - 1;
    public int Dimension => (int)X.shape[2];
    public int Categories => (int)QueryProbabilities.shape[1];
    /// <summary>The query labels [b].</summary>
    public Tensor QueryLabels => Labels.select(1, ContextPoints);

    /// <summary>The contexts at <paramref name="indices"/> (int64 [m]) as a new batch.</summary>
    public CategoricalBatch Select(Tensor indices)
    {
        using var scope = NewDisposeScope();
        return new CategoricalBatch(X.index_select(0, indices).MoveToOuterDisposeScope(), Labels.index_select(0, indices).MoveToOuterDisposeScope(),
            QueryProbabilities.index_select(0, indices).MoveToOuterDisposeScope());
    }

    /// <summary>Contexts [start, start + count) as a new batch (copies).</summary>
    public CategoricalBatch Slice(int start, int count)
    {
        using var scope = NewDisposeScope();
        return new CategoricalBatch(X.narrow(0, start, count).clone().MoveToOuterDisposeScope(), Labels.narrow(0, start, count).clone().MoveToOuterDisposeScope(),
            QueryProbabilities.narrow(0, start, count).clone().MoveToOuterDisposeScope());
    }

    /// <summary>The same contexts with X in <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public CategoricalBatch To(ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        return new CategoricalBatch(X.to(dtype, device).clone().MoveToOuterDisposeScope(), Labels.to(device).clone().MoveToOuterDisposeScope(),
            QueryProbabilities.to(device).clone().MoveToOuterDisposeScope());
    }

    internal static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";

    public void Dispose()
    {
        X.Dispose();
        Labels.Dispose();
        QueryProbabilities.Dispose();
    }
}
