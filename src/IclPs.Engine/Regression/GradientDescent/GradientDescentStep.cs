using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.GradientDescent;

/// <summary>
/// One plain gradient-descent step on L(w) = 1/(2N) sum_i (w.x_i - y_i)^2 from w_0 (von Oswald et al., scalar targets):
/// w_1 = w_0 - (eta/N) sum_i (w_0.x_i - y_i) x_i. Computed in x's dtype, the reference the attention construction must match.
/// </summary>
public static class GradientDescentStep
{
    /// <summary>x [b, N, d], y [b, N], w0 [d] or [b, d] -> w_1 [b, d].</summary>
    public static Tensor Step(Tensor x, Tensor y, Tensor w0, double learningRate)
    {
        RegressionChecks.Pairs(x, y);
        CheckWeights(w0, x);
        using var scope = NewDisposeScope();
        var w = w0.to(x.dtype, x.device).expand(x.shape[0], x.shape[2]);
        var residual = x.matmul(w.unsqueeze(-1)).squeeze(-1) - y.to(x.dtype, x.device);       // [b, N]
        var gradient = (residual.unsqueeze(-1) * x).mean(new long[] { 1 });                     // [b, d]
        return (w - gradient * learningRate).MoveToOuterDisposeScope();
    }

    /// <summary>The prediction w_1.x_q for queries xq [b, d] -> [b].</summary>
    public static Tensor Predict(Tensor x, Tensor y, Tensor xq, Tensor w0, double learningRate)
    {
        CheckQuery(xq, x);
        using var scope = NewDisposeScope();
        return (Step(x, y, w0, learningRate) * xq.to(x.dtype, x.device)).sum(-1).MoveToOuterDisposeScope();
    }

    internal static void CheckWeights(Tensor w0, Tensor x)
    {
        var ok = (w0.dim() == 1 && w0.shape[0] == x.shape[2]) || (w0.dim() == 2 && w0.shape[0] == x.shape[0] && w0.shape[1] == x.shape[2]);
        if (!ok)
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"w0 must be [d] or [b, d] for x {RegressionChecks.Shape(x)}; got {RegressionChecks.Shape(w0)}.", w0);
    }

    internal static void CheckQuery(Tensor xq, Tensor x)
    {
        if (xq.dim() != 2 || xq.shape[0] != x.shape[0] || xq.shape[1] != x.shape[2])
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"The query must be [b, d] for x {RegressionChecks.Shape(x)}; got {RegressionChecks.Shape(xq)}.", xq);
    }
}
