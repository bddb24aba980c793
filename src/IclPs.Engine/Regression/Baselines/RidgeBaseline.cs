using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Baselines;

/// <summary>
/// Ridge: the posterior mean under w ~ N(0, I_D) and noise variance sigma^2, w_k = (X^T X + sigma^2 I)^-1 X^T y over the
/// prefix; Bayes-optimal for the Gaussian task prior. w_1 = 0.
/// </summary>
public sealed class RidgeBaseline : LinearEstimatorBaseline
{
    public RidgeBaseline(double noiseVariance = 0.25)
    {
        RegressionChecks.Positive("NoiseVariance", noiseVariance);
        NoiseVariance = noiseVariance;
    }

    public override string Name => "ridge";
    public double NoiseVariance { get; }

    private protected override Tensor EstimateWeights(Tensor x, Tensor y)
    {
        var d = x.shape[2];
        var system = PrefixSums.Gram(x) + eye(d, dtype: ScalarType.Float64, device: x.device) * NoiseVariance;   // [b, K, D, D]
        return linalg.solve(system, PrefixSums.Moment(x, y).unsqueeze(-1)).squeeze(-1);
    }
}
