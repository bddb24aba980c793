using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Baselines;

/// <summary>
/// dMMSE: the posterior mean under a uniform prior on the M pool tasks, w_k = sum_i softmax_i(-(1/(2 sigma^2)) sum_{j&lt;k}
/// (y_j - w_i.x_j)^2) w_i; Bayes-optimal for pretraining on that pool. w_1 is the pool mean.
/// </summary>
public sealed class DmmseBaseline : LinearEstimatorBaseline
{
    // Bounds each [chunk, K, M] temporary to 2^24 float64 values (128 MiB); a chunk's handful of them are freed before the next.
    private const long DefaultChunkElements = 1L << 24;

    /// <param name="pool">Task pool [M, D].</param>
    public DmmseBaseline(Tensor pool, double noiseVariance = 0.25) : this(pool, noiseVariance, DefaultChunkElements)
    {
    }

    /// <param name="chunkElements">Values of one [chunk, K, M] temporary (at least one row is taken whatever it says).</param>
    internal DmmseBaseline(Tensor pool, double noiseVariance, long chunkElements)
    {
        if (pool.dim() != 2 || pool.shape[0] < 1 || pool.shape[1] < 1 || !pool.is_floating_point())
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"The task pool must be a floating-point [M, D] tensor; got {RegressionChecks.Shape(pool)} {pool.dtype}.", pool);
        RegressionChecks.Positive("NoiseVariance", noiseVariance);
        Pool = pool;
        NoiseVariance = noiseVariance;
        ChunkElements = chunkElements;
    }

    /// <summary>The family's pool and noise variance.</summary>
    public static DmmseBaseline For(LinearTaskFamily family)
    {
        if (family.Pool is null)
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                "dMMSE needs a finite task pool; this linear family draws a fresh task per sequence (PoolSize is null).", family);
        return new DmmseBaseline(family.Pool, family.NoiseVariance);
    }

    public override string Name => "dmmse";
    public Tensor Pool { get; }
    public double NoiseVariance { get; }
    internal long ChunkElements { get; }

    private protected override Tensor EstimateWeights(Tensor x, Tensor y)
    {
        if (x.shape[2] != Pool.shape[1])
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"x has D = {x.shape[2]} but the pool's tasks have D = {Pool.shape[1]}.", x);
        var pool = Pool.to(ScalarType.Float64, x.device);                                         // [M, D]
        long b = x.shape[0], k = x.shape[1], m = pool.shape[0];
        return RowChunks.Concat(b, Math.Max(1, ChunkElements / (k * m)), (start, len) =>
        {
            var xs = x.narrow(0, start, len);
            var ys = y.narrow(0, start, len);
            var residual = ys.unsqueeze(-1) - xs.matmul(pool.t());                                // [c, K, M]
            var logLikelihood = PrefixSums.Exclusive(residual.square()) * (-0.5 / NoiseVariance);
            // softmax subtracts the maximum, so a long prefix with large residuals cannot underflow every weight to 0.
            return nn.functional.softmax(logLikelihood, -1).matmul(pool);                        // [c, K, D]
        });
    }
}
