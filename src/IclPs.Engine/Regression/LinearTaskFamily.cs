using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression;

/// <summary>
/// Noisy linear regression (Raventós et al.): y = w.x + eps, x ~ N(0, I_D), eps ~ N(0, sigma^2). Training tasks come from a
/// pool of M weight vectors w_i ~ N(0, I_D) drawn once from the task seed, each sequence picking one uniformly; without a pool
/// (M = infinity) every sequence gets a fresh w.
/// </summary>
public sealed class LinearTaskFamily : IRegressionTaskFamily, IDisposable
{
    private const long TaskStream = 1, InputStream = 2;

    /// <param name="poolSize">M; null means infinitely many tasks (a fresh w per sequence).</param>
    public LinearTaskFamily(int dimension = 8, double noiseVariance = 0.25, int? poolSize = null, long taskSeed = 0, RegressionInputOptions? inputs = null)
    {
        RegressionChecks.AtLeast("Dimension", dimension, 1);
        RegressionChecks.NonNegative("NoiseVariance", noiseVariance);
        if (poolSize is { } m) RegressionChecks.AtLeast("PoolSize", m, 1);
        Dimension = dimension;
        NoiseVariance = noiseVariance;
        PoolSize = poolSize;
        TaskSeed = taskSeed;
        Inputs = inputs ?? RegressionInputOptions.Default;
        if (poolSize is { } size)
        {
            using var gen = new Generator((ulong)taskSeed);
            Pool = randn(new long[] { size, dimension }, ScalarType.Float64, generator: gen).DetachFromDisposeScope();
        }
    }

    public string Name => "linear";
    public int Dimension { get; }
    public double NoiseVariance { get; }
    public RegressionInputOptions Inputs { get; }

    /// <summary>M, or null for infinitely many tasks.</summary>
    public int? PoolSize { get; }
    public long TaskSeed { get; }

    /// <summary>The task pool [M, D] (float64, CPU); null when M is infinite. The dMMSE baseline needs it.</summary>
    public Tensor? Pool { get; }

    /// <summary>"Pretrain" sequences: tasks from the pool (fresh when there is none), fresh x and noise.</summary>
    public RegressionBatch Sample(int batchSize, int points, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Draw(batchSize, points, seed, fromPool: Pool is not null, dtype, device);

    /// <summary>"True" sequences for evaluation: a fresh w ~ N(0, I_D) per sequence whatever the pool. Same seed, same x as <see cref="Sample"/>.</summary>
    public RegressionBatch SampleFresh(int batchSize, int points, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Draw(batchSize, points, seed, fromPool: false, dtype, device);

    public void Dispose() => Pool?.Dispose();

    private RegressionBatch Draw(int batchSize, int points, long seed, bool fromPool, ScalarType dtype, Device? device)
    {
        RegressionChecks.AtLeast("BatchSize", batchSize, 1);
        RegressionChecks.AtLeast("Points", points, 1);
        using var scope = NewDisposeScope();
        using var taskGen = RegressionInputs.Stream(seed, TaskStream);
        using var inputGen = RegressionInputs.Stream(seed, InputStream);
        Tensor? index = null;
        Tensor w;
        if (fromPool)
        {
            index = randint(Pool!.shape[0], new long[] { batchSize }, ScalarType.Int64, generator: taskGen);
            w = Pool.index_select(0, index);
        }
        else
        {
            w = randn(new long[] { batchSize, Dimension }, ScalarType.Float64, generator: taskGen);
        }
        var x = RegressionInputs.Sample(inputGen, batchSize, points, Dimension, Inputs);
        var noise = randn(new long[] { batchSize, points }, ScalarType.Float64, generator: inputGen) * Math.Sqrt(NoiseVariance);
        var y = x.matmul(w.unsqueeze(-1)).squeeze(-1) + noise;
        return RegressionBatch.From(x, y, w, index, dtype, device);
    }
}
