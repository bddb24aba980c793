using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Baselines;

/// <summary>Least squares, minimum-norm when the prefix underdetermines w: w_k = X^+ y (pseudo-inverse by SVD). w_1 = 0.</summary>
public sealed class LeastSquaresBaseline : LinearEstimatorBaseline
{
    public override string Name => "least-squares";

    private protected override Tensor EstimateWeights(Tensor x, Tensor y)
    {
        long b = x.shape[0], k = x.shape[1], d = x.shape[2];
        var weights = new Tensor[k];
        weights[0] = zeros(new[] { b, d }, ScalarType.Float64, x.device);
        for (var n = 1; n < k; n++)
        {
            // One batched pinv per prefix length: the prefixes of one length share a shape.
            weights[n] = linalg.pinv(x.narrow(1, 0, n)).matmul(y.narrow(1, 0, n).unsqueeze(-1)).squeeze(-1);
        }
        return stack(weights, 1);
    }
}
