using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Baselines;

/// <summary>Garg et al.'s averaging estimator: w_k = mean over the prefix of y_j x_j. w_1 = 0.</summary>
public sealed class AveragingBaseline : LinearEstimatorBaseline
{
    public override string Name => "averaging";

    private protected override Tensor EstimateWeights(Tensor x, Tensor y)
    {
        var counts = PrefixSums.Counts(x.shape[1], x.device).clamp_min(1).unsqueeze(-1);   // [1, K, 1]; element 0 sums nothing
        return PrefixSums.Moment(x, y) / counts;
    }
}
