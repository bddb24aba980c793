using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Baselines;

/// <summary>A baseline that estimates a weight vector w_k from each prefix and predicts y_k = w_k.x_k.</summary>
public abstract class LinearEstimatorBaseline : IRegressionBaseline
{
    public abstract string Name { get; }

    /// <summary>x [b, K, D], y [b, K] -> w [b, K, D] (float64): w[:, k] is estimated from the pairs j &lt; k.</summary>
    public Tensor Weights(Tensor x, Tensor y)
    {
        RegressionChecks.Pairs(x, y);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return EstimateWeights(x.to(ScalarType.Float64), y.to(ScalarType.Float64, x.device)).MoveToOuterDisposeScope();
    }

    public Tensor Predict(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        var w = Weights(x, y);
        return (w * x.to(ScalarType.Float64)).sum(-1).MoveToOuterDisposeScope();
    }

    /// <summary>x [b, K, D], y [b, K], both float64 on one device, already checked.</summary>
    private protected abstract Tensor EstimateWeights(Tensor x, Tensor y);
}
