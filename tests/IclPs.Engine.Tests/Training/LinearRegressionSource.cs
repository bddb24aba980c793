using IclPs.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Training;

/// <summary>
/// Test data per docs/science.md §2, written inline: x ~ N(0, I_D), w ~ N(0, I_D) fresh per sequence or, with a
/// <paramref name="poolSize"/>, picked uniformly from a pool of that many drawn once from seed 2024, y = w.x + N(0, noise^2); tokens x_k = [0, x, 0-padding], y_k = [y, 0...] interleaved over 2K positions of
/// <paramref name="width"/> channels; y_k is the target at the x_k position, which alone is scored.
/// </summary>
internal sealed class LinearRegressionSource(int dimensions, int points, int width, double noise = 0.0, int? poolSize = null) : IBatchSource
{
    private readonly Tensor? _pool = poolSize is int m ? randn([m, dimensions, 1], generator: new Generator(2024)) : null;

    public int Dimensions { get; } = dimensions;
    public int Points { get; } = points;
    /// <summary>The task pool [M, D, 1], or null for fresh tasks.</summary>
    public Tensor? Pool => _pool;

    public string Description => $"test linear regression D={Dimensions} K={Points} width={width} noise={noise} pool={poolSize?.ToString() ?? "fresh"}";

    public TrainingBatch Next(int step, int batchSize, Generator generator)
    {
        using var scope = NewDisposeScope();
        var x = randn([batchSize, Points, Dimensions], generator: generator);
        var w = _pool is null
            ? randn([batchSize, Dimensions, 1], generator: generator)
            : _pool.index_select(0, randint(0, _pool.shape[0], [batchSize], dtype: ScalarType.Int64, generator: generator));
        var y = x.matmul(w).squeeze(-1) + noise * randn([batchSize, Points], generator: generator);
        var inputs = zeros(batchSize, Points, 2, width);
        inputs[.., .., 0, 1..(Dimensions + 1)] = x;
        inputs[.., .., 1, 0] = y;
        var targets = stack([y, zeros_like(y)], 2).view(batchSize, 2 * Points);
        var mask = stack([ones_like(y), zeros_like(y)], 2).view(batchSize, 2 * Points);
        return new TrainingBatch(
            inputs.view(batchSize, 2 * Points, width).MoveToOuterDisposeScope(),
            targets.MoveToOuterDisposeScope(),
            mask.MoveToOuterDisposeScope());
    }
}
