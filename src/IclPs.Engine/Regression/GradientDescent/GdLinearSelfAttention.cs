using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.GradientDescent;

/// <summary>
/// Von Oswald et al.'s construction: one linear self-attention layer (no softmax, the query not among the keys) over tokens
/// e_j = (x_j, y_j) and the query (x_q, -w_0.x_q) that performs one gradient-descent step on L(w) = 1/(2N) sum (w.x_i - y_i)^2
/// from w_0. With W_K = W_Q = [[I_d, 0], [0, 0]], W_V = [[0, 0], [w_0, -1]] and P = eta/N on the y row, every token becomes
/// e_i + P W_V sum_j e_j (e_j^T W_K^T W_Q e_i) = (x_i, y_i - (w_1 - w_0).x_i), so the query's target slot ends at -w_1.x_q.
/// </summary>
public sealed class GdLinearSelfAttention : IDisposable
{
    private GdLinearSelfAttention(Tensor key, Tensor query, Tensor value, Tensor projection, Tensor initialWeights, double learningRate, int contextCount)
    {
        KeyWeight = key;
        QueryWeight = query;
        ValueWeight = value;
        Projection = projection;
        InitialWeights = initialWeights;
        LearningRate = learningRate;
        ContextCount = contextCount;
    }

    /// <summary>The layer for one GD step of size <paramref name="learningRate"/> from w0 [d] over N = <paramref name="contextCount"/> pairs; weights in w0's dtype.</summary>
    public static GdLinearSelfAttention OneGdStep(Tensor w0, double learningRate, int contextCount)
    {
        if (w0.dim() != 1 || w0.shape[0] < 1 || !w0.is_floating_point())
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"w0 must be a floating-point [d] vector; got {RegressionChecks.Shape(w0)} {w0.dtype}.", w0);
        RegressionChecks.AtLeast("ContextCount", contextCount, 1);
        if (!double.IsFinite(learningRate))
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"LearningRate must be finite; got {learningRate}.", learningRate);
        using var scope = NewDisposeScope();
        var d = w0.shape[0];
        var xBlock = zeros(new[] { d + 1, d + 1 }, w0.dtype, w0.device);
        xBlock.narrow(0, 0, d).narrow(1, 0, d).copy_(eye(d, dtype: w0.dtype, device: w0.device));
        var value = zeros(new[] { d + 1, d + 1 }, w0.dtype, w0.device);
        value[d].narrow(0, 0, d).copy_(w0);
        value[d, d] = tensor(-1.0, w0.dtype, w0.device);
        var projection = zeros(new[] { d + 1, d + 1 }, w0.dtype, w0.device);
        projection[d, d] = tensor(learningRate / contextCount, w0.dtype, w0.device);
        return new GdLinearSelfAttention(
            xBlock.MoveToOuterDisposeScope(), xBlock.clone().MoveToOuterDisposeScope(), value.MoveToOuterDisposeScope(),
            projection.MoveToOuterDisposeScope(), w0.clone().MoveToOuterDisposeScope(), learningRate, contextCount);
    }

    /// <summary>W_K [d+1, d+1].</summary>
    public Tensor KeyWeight { get; }
    /// <summary>W_Q [d+1, d+1].</summary>
    public Tensor QueryWeight { get; }
    /// <summary>W_V [d+1, d+1].</summary>
    public Tensor ValueWeight { get; }
    /// <summary>P [d+1, d+1].</summary>
    public Tensor Projection { get; }
    /// <summary>w_0 [d].</summary>
    public Tensor InitialWeights { get; }
    public double LearningRate { get; }
    /// <summary>N, the number of context tokens (the keys and values); the step size inside P is eta/N.</summary>
    public int ContextCount { get; }
    public int Dimension => (int)InitialWeights.shape[0];

    /// <summary>
    /// tokens [b, T, d+1] whose first N are the context -> [b, T, d+1] with every token i moved by
    /// P W_V sum_{j &lt; N} e_j (e_j^T W_K^T W_Q e_i).
    /// </summary>
    public Tensor Forward(Tensor tokens)
    {
        if (tokens.dim() != 3 || tokens.shape[1] < ContextCount || tokens.shape[2] != Dimension + 1)
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"Expected tokens [b, T >= {ContextCount}, {Dimension + 1}]; got {RegressionChecks.Shape(tokens)}.", tokens);
        using var scope = NewDisposeScope();
        Tensor W(Tensor m) => m.to(tokens.dtype, tokens.device);
        var context = tokens.narrow(1, 0, ContextCount);                             // [b, N, d+1]
        var keys = context.matmul(W(KeyWeight).t());                                 // [b, N, d+1]
        var values = context.matmul(W(ValueWeight).t());                             // [b, N, d+1]
        var queries = tokens.matmul(W(QueryWeight).t());                             // [b, T, d+1]
        var scores = queries.matmul(keys.transpose(1, 2));                           // [b, T, N], no softmax
        return (tokens + scores.matmul(values).matmul(W(Projection).t())).MoveToOuterDisposeScope();
    }

    /// <summary>x [b, N, d], y [b, N], xq [b, d] -> tokens [b, N+1, d+1]: (x_j, y_j), then (x_q, -w_0.x_q).</summary>
    public Tensor Tokens(Tensor x, Tensor y, Tensor xq)
    {
        RegressionChecks.Pairs(x, y);
        GradientDescentStep.CheckQuery(xq, x);
        if (x.shape[1] != ContextCount || x.shape[2] != Dimension)
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"This layer was built for N = {ContextCount} pairs of dimension {Dimension}; got x {RegressionChecks.Shape(x)}.", x);
        using var scope = NewDisposeScope();
        var q = xq.to(x.dtype, x.device);
        var context = cat(new[] { x, y.to(x.dtype, x.device).unsqueeze(-1) }, -1);                        // [b, N, d+1]
        var target = -(q * InitialWeights.to(x.dtype, x.device)).sum(-1, keepdim: true);                   // [b, 1]
        var query = cat(new[] { q, target }, -1).unsqueeze(1);                                             // [b, 1, d+1]
        return cat(new[] { context, query }, 1).MoveToOuterDisposeScope();
    }

    /// <summary>The layer's prediction w_1.x_q [b]: minus the query's target slot after <see cref="Forward"/>.</summary>
    public Tensor PredictQuery(Tensor x, Tensor y, Tensor xq)
    {
        using var scope = NewDisposeScope();
        var output = Forward(Tokens(x, y, xq));
        return (-output.select(1, ContextCount).select(-1, Dimension)).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        KeyWeight.Dispose();
        QueryWeight.Dispose();
        ValueWeight.Dispose();
        Projection.Dispose();
        InitialWeights.Dispose();
    }
}
