using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Baselines;

/// <summary>
/// A per-row computation run over the rows of a batch a chunk at a time, each chunk inside its own dispose scope: only a
/// chunk's result outlives it, so the temporaries alive at once are one chunk's however many rows there are.
/// </summary>
internal static class RowChunks
{
    /// <summary>
    /// Concatenates <paramref name="compute"/>(start, length) over rows [0, <paramref name="rows"/>) in chunks of
    /// <paramref name="chunkRows"/> along dim 0; the result joins the caller's dispose scope.
    /// </summary>
    public static Tensor Concat(long rows, long chunkRows, Func<long, long, Tensor> compute)
    {
        if (chunkRows < 1) throw new ArgumentOutOfRangeException(nameof(chunkRows), chunkRows, "A chunk holds at least one row.");
        using var partsScope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < rows; start += chunkRows)
        {
            using var chunkScope = NewDisposeScope();
            parts.Add(compute(start, Math.Min(chunkRows, rows - start)).MoveToOuterDisposeScope());
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }
}
