using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.GradientDescent;

/// <summary>
/// A trainable single linear self-attention layer in von Oswald et al.'s form (docs/science.md §3): no softmax, the query
/// not among the keys, tokens e_j = (x_j, y_j) and the query (x_q, 0), every token moved by P W_V sum_{j&lt;N} e_j (e_j^T W_K^T W_Q e_i).
/// W_K, W_Q, W_V and P are free [d+1, d+1] matrices; the prediction is read as minus the query's target slot, the sign
/// <see cref="GdLinearSelfAttention"/> uses, so the GD construction is one point of this model's parameter space.
/// </summary>
public sealed class LinearSelfAttentionModel : nn.Module
{
    private readonly Parameter key;
    private readonly Parameter query;
    private readonly Parameter value;
    private readonly Parameter projection;

    /// <summary>Weights N(0, <paramref name="initStd"/>^2) from <paramref name="seed"/>, in <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public LinearSelfAttentionModel(int dimension, long seed, double initStd = 0.05, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(LinearSelfAttentionModel))
    {
        RegressionChecks.AtLeast("Dimension", dimension, 1);
        RegressionChecks.Positive("InitStd", initStd);
        Dimension = dimension;
        using var gen = new Generator((ulong)seed);
        Parameter Draw() => new(randn(new long[] { dimension + 1, dimension + 1 }, ScalarType.Float64, generator: gen).mul_(initStd).to(dtype, device ?? CPU));
        key = Draw();
        query = Draw();
        value = Draw();
        projection = Draw();
        RegisterComponents();
    }

    public int Dimension { get; }
    /// <summary>W_K [d+1, d+1].</summary>
    public Tensor KeyWeight => key;
    /// <summary>W_Q [d+1, d+1].</summary>
    public Tensor QueryWeight => query;
    /// <summary>W_V [d+1, d+1].</summary>
    public Tensor ValueWeight => value;
    /// <summary>P [d+1, d+1].</summary>
    public Tensor Projection => projection;

    /// <summary>The four weights as (name, parameter), the form <see cref="Training.AdamWOptimizer"/> takes.</summary>
    public IReadOnlyList<(string Name, Tensor Parameter)> Weights() =>
        [("W_K", key), ("W_Q", query), ("W_V", value), ("P", projection)];

    /// <summary>x [b, N, d], y [b, N], xq [b, d] -> predictions [b] in x's dtype; differentiable in the weights and in xq.</summary>
    public Tensor PredictQuery(Tensor x, Tensor y, Tensor xq)
    {
        RegressionChecks.Pairs(x, y);
        GradientDescentStep.CheckQuery(xq, x);
        if (x.shape[2] != Dimension)
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"This layer reads d = {Dimension}; got x {RegressionChecks.Shape(x)}.", x);
        using var scope = NewDisposeScope();
        var context = cat(new[] { x, y.to(x.dtype, x.device).unsqueeze(-1) }, -1);                          // [b, N, d+1]
        var q = cat(new[] { xq.to(x.dtype, x.device), zeros(new[] { x.shape[0], 1L }, x.dtype, x.device) }, -1); // [b, d+1]
        // The weights follow the data's dtype, so a float32-trained layer can be evaluated in float64.
        Tensor W(Tensor m) => m.to(x.dtype, x.device);
        var scores = context.matmul(W(key).t()).matmul(W(query).matmul(q.unsqueeze(-1)));                  // [b, N, 1], no softmax
        var update = (context.matmul(W(value).t()) * scores).sum(1).matmul(W(projection).t());             // [b, d+1]
        return (-(q + update).select(-1, Dimension)).MoveToOuterDisposeScope();
    }
}
