using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Baselines;

/// <summary>
/// Lasso for sparse tasks, with scikit-learn's objective (1/(2n)) ||y - X w||^2 + alpha ||w||_1 over the n = k-1 prefix pairs,
/// no intercept, solved by cyclic coordinate descent on every prefix of every sequence at once. w_1 = 0.
/// </summary>
public sealed class LassoBaseline : LinearEstimatorBaseline
{
    public LassoBaseline(double alpha, int maxSweeps = 10_000, double tolerance = 1e-10)
    {
        RegressionChecks.Positive("Alpha", alpha);
        RegressionChecks.AtLeast("MaxSweeps", maxSweeps, 1);
        RegressionChecks.Positive("Tolerance", tolerance);
        Alpha = alpha;
        MaxSweeps = maxSweeps;
        Tolerance = tolerance;
    }

    public override string Name => "lasso";
    public double Alpha { get; }

    /// <summary>Upper bound on full passes over the coordinates; the iterate after the last pass is returned.</summary>
    public int MaxSweeps { get; }

    /// <summary>Descent stops once no coordinate of any problem moved by more than this in a pass.</summary>
    public double Tolerance { get; }

    private protected override Tensor EstimateWeights(Tensor x, Tensor y)
    {
        long b = x.shape[0], k = x.shape[1], d = x.shape[2];
        // The objective only sees X through X^T X / n and X^T y / n, which every prefix gets from a cumulative sum.
        var n = PrefixSums.Counts(k, x.device).clamp_min(1);                       // [1, K]
        var gram = PrefixSums.Gram(x) / n.unsqueeze(-1).unsqueeze(-1);             // [b, K, D, D]
        var moment = PrefixSums.Moment(x, y) / n.unsqueeze(-1);                    // [b, K, D]
        var diagonal = gram.diagonal(0, -2, -1);                                   // [b, K, D]
        var usable = diagonal.gt(0);
        var safeDiagonal = where(usable, diagonal, ones_like(diagonal));
        var w = zeros(new[] { b, k, d }, ScalarType.Float64, x.device);
        for (var sweep = 0; sweep < MaxSweeps; sweep++)
        {
            using var sweepScope = NewDisposeScope();
            var moved = 0.0;
            for (var j = 0; j < d; j++)
            {
                var wj = w.select(-1, j);
                var gjj = diagonal.select(-1, j);
                // rho_j = c_j - sum_{l != j} G_jl w_l
                var rho = moment.select(-1, j) - (gram.select(-2, j) * w).sum(-1) + gjj * wj;
                var shrunk = rho.sign() * (rho.abs() - Alpha).clamp_min(0);
                var updated = where(usable.select(-1, j), shrunk / safeDiagonal.select(-1, j), zeros_like(rho));
                moved = Math.Max(moved, (updated - wj).abs().max().item<double>());
                wj.copy_(updated);
            }
            if (moved <= Tolerance) break;
        }
        return w;
    }
}
