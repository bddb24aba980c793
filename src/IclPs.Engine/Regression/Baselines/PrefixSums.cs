using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Baselines;

/// <summary>Sufficient statistics of every prefix at once: element k sums over the pairs j &lt; k (so element 0 is zero).</summary>
internal static class PrefixSums
{
    /// <summary>Exclusive cumulative sum along dim 1: out[:, k] = sum_{j &lt; k} t[:, j].</summary>
    public static Tensor Exclusive(Tensor t)
    {
        // Shifting a cumsum right (not subtracting the current term) keeps every sum exact to its own rounding.
        var sums = t.cumsum(1).narrow(1, 0, t.shape[1] - 1);
        return cat(new[] { zeros_like(t.narrow(1, 0, 1)), sums }, 1);
    }

    /// <summary>X^T X of each prefix: x [b, K, D] -> [b, K, D, D].</summary>
    public static Tensor Gram(Tensor x) => Exclusive(x.unsqueeze(-1) * x.unsqueeze(-2));

    /// <summary>X^T y of each prefix: [b, K, D].</summary>
    public static Tensor Moment(Tensor x, Tensor y) => Exclusive(x * y.unsqueeze(-1));

    /// <summary>Number of context pairs k of element k, shaped [1, K] for broadcasting.</summary>
    public static Tensor Counts(long points, Device device) => arange(points, ScalarType.Float64, device).unsqueeze(0);
}
