using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.GradientDescent;

/// <summary>
/// Sequences of N context pairs and one query: x [b, N, d], y [b, N], the queries xq [b, d] and their targets yq [b].
/// Owns its tensors.
/// </summary>
public sealed class QueryBatch : IDisposable
{
    public QueryBatch(Tensor x, Tensor y, Tensor query, Tensor target)
    {
        RegressionChecks.Pairs(x, y);
        GradientDescentStep.CheckQuery(query, x);
        if (target.dim() != 1 || target.shape[0] != x.shape[0])
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"The query targets must be [b] for x {RegressionChecks.Shape(x)}; got {RegressionChecks.Shape(target)}.", target);
        (X, Y, Query, Target) = (x, y, query, target);
    }

    public Tensor X { get; }
    public Tensor Y { get; }
    public Tensor Query { get; }
    public Tensor Target { get; }
    public int BatchSize => (int)X.shape[0];
    public int ContextPoints => (int)X.shape[1];
    public int Dimension => (int)X.shape[2];

    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
        Query.Dispose();
        Target.Dispose();
    }
}
