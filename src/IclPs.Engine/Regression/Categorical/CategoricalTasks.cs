using IclPs.Engine.Data;
using IclPs.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>Which fixed set of contexts: the three are drawn from disjoint seeds derived from the data seed.</summary>
public enum CategoricalDataSplit
{
    Train = 1,
    Validation = 2,
    Evaluation = 3,
}

/// <summary>Everything the generator drew for some contexts, for checks: centres, squared widths, categories, f and p at every point.</summary>
public sealed class CategoricalDraw : IDisposable
{
    internal CategoricalDraw(Tensor x, Tensor labels, Tensor probabilities, Tensor centres, Tensor squaredWidths, Tensor categories, Tensor f)
    {
        (X, Labels, Probabilities, Centres, SquaredWidths, Categories, F) = (x, labels, probabilities, centres, squaredWidths, categories, f);
    }

    /// <summary>[b, N+1, d] float64.</summary>
    public Tensor X { get; }
    /// <summary>[b, N+1] int64, each drawn from <see cref="Probabilities"/>.</summary>
    public Tensor Labels { get; }
    /// <summary>softmax_c(W_e^data^T f(x)) at every point, [b, N+1, C] float64.</summary>
    public Tensor Probabilities { get; }
    /// <summary>mu_j, [b, k, d].</summary>
    public Tensor Centres { get; }
    /// <summary>sigma_j^2, [b, k].</summary>
    public Tensor SquaredWidths { get; }
    /// <summary>c_j, [b, k] int64, distinct within a context.</summary>
    public Tensor Categories { get; }
    /// <summary>f(x) at every point, [b, N+1, d'].</summary>
    public Tensor F { get; }

    public void Dispose()
    {
        foreach (var t in new[] { X, Labels, Probabilities, Centres, SquaredWidths, Categories, F }) t.Dispose();
    }
}

/// <summary>
/// The generator of <see cref="CategoricalTaskSettings"/> (the authors' HighDimCategorical, vectorised). Contexts are drawn in
/// chunks of <see cref="ChunkSize"/>, chunk c from a torch Generator seeded by SplitMix64(set seed, c), so a set of m contexts
/// is the first m of any larger set with the same seed, and the same seed always gives the same contexts. Drawn in float64 on
/// the CPU. Unlike the authors' code, the context labels are drawn from the seeded generator too, so a set is reproducible.
/// </summary>
public sealed class CategoricalTasks : IDisposable
{
    public const int ChunkSize = 256;
    private const long EmbeddingStream = 0;

    public CategoricalTasks(CategoricalTaskSettings settings)
    {
        settings.Validate();
        Settings = settings;
        using var gen = new Generator(new SeededRandom(settings.DataSeed, EmbeddingStream).NextUInt64());
        DataEmbedding = randn(new long[] { settings.EmbeddingDim, settings.Categories }, ScalarType.Float64, generator: gen).DetachFromDisposeScope();
    }

    public CategoricalTaskSettings Settings { get; }

    /// <summary>W_e^data [d', C], N(0, 1), fixed by the data seed; the models learn their own W_e.</summary>
    public Tensor DataEmbedding { get; }

    /// <summary>The seed of a fixed set: train, validation and evaluation sets come from disjoint seeds.</summary>
    public long SplitSeed(CategoricalDataSplit split) => (long)new SeededRandom(Settings.DataSeed, (long)split).NextUInt64();

    /// <summary>The first <paramref name="count"/> contexts of a split's fixed set, X in <paramref name="dtype"/>.</summary>
    public CategoricalBatch Sample(CategoricalDataSplit split, int count, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Sample(count, SplitSeed(split), dtype, device);

    /// <summary><paramref name="count"/> contexts of the set with seed <paramref name="seed"/>.</summary>
    public CategoricalBatch Sample(int count, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        using var draw = Draw(count, seed);
        using var scope = NewDisposeScope();
        var n = Settings.ContextPoints;
        return new CategoricalBatch(draw.X.to(dtype, device ?? CPU).MoveToOuterDisposeScope(), draw.Labels.to(device ?? CPU).MoveToOuterDisposeScope(),
            draw.Probabilities.select(1, n).to(device ?? CPU).MoveToOuterDisposeScope());
    }

    /// <summary>Everything drawn for the first <paramref name="count"/> contexts of the set with seed <paramref name="seed"/>.</summary>
    public CategoricalDraw Draw(int count, long seed)
    {
        CategoricalTaskSettings.AtLeast("Contexts", count, 1);
        EnsureFits(count);
        using var scope = NewDisposeScope();
        var chunks = new List<Tensor[]>();
        for (var c = 0; c * ChunkSize < count; c++)
        {
            // Whole chunks, cut afterwards: a chunk's draws depend on its size, so a smaller set must draw the same chunk.
            var chunk = DrawChunk(ChunkSize, new SeededRandom(seed, c).NextUInt64());
            var keep = Math.Min(ChunkSize, count - c * ChunkSize);
            chunks.Add(keep == ChunkSize ? chunk : chunk.Select(t => t.narrow(0, 0, keep)).ToArray());
        }
        Tensor Cat(int i) => (chunks.Count == 1 ? chunks[0][i] : cat(chunks.Select(ch => ch[i]).ToArray(), 0)).MoveToOuterDisposeScope();
        return new CategoricalDraw(Cat(0), Cat(1), Cat(2), Cat(3), Cat(4), Cat(5), Cat(6));
    }

    /// <summary>
    /// Bytes of everything <see cref="Draw"/> keeps for <paramref name="count"/> contexts (float64 and int64): x, labels,
    /// p(c | x) and f at the N + 1 points, and the k centres with their widths and categories.
    /// </summary>
    public long DrawBytes(int count)
    {
        var s = Settings;
        var perContext = (long)(s.ContextPoints + 1) * (s.Dimension + 1 + s.Categories + s.EmbeddingDim) + (long)s.Clusters * (s.Dimension + 2);
        return 8 * perContext * count;
    }

    /// <summary>
    /// Refuses, before allocating, a set whose draw cannot fit in the memory <see cref="ModelMemory.Available"/> reports
    /// (<see cref="CategoricalErrorIds.DataTooLarge"/>, naming the number of contexts).
    /// </summary>
    private void EnsureFits(int count)
    {
        var budget = ModelMemory.Available(CPU);
        if (budget.Bytes is not long limit) return;
        var bytes = DrawBytes(count);
        if (bytes <= limit) return;
        var fits = Math.Max(0, limit / Math.Max(1, bytes / count));
        throw new IclPsException(CategoricalErrorIds.DataTooLarge, IclErrorKind.LimitsExceeded,
            $"{count} contexts of {Settings} need about {ModelMemory.FormatBytes(bytes)} to draw, more than the {ModelMemory.FormatBytes(limit)} available ({budget.Source}); " +
            $"at most {fits} such contexts fit. Use fewer contexts, context points or categories, or set {ModelMemory.LimitVariable}.", count);
    }

    // -> x, labels, probabilities, centres, squared widths, categories, f for b contexts.
    private Tensor[] DrawChunk(int b, ulong seed)
    {
        var s = Settings;
        var (n, d, k, C) = (s.ContextPoints, s.Dimension, s.Clusters, s.Categories);
        using var gen = new Generator(seed);
        var x = (rand(new long[] { b, n + 1, d }, ScalarType.Float64, generator: gen) * 2 - 1) * s.InputRange;      // [b, N+1, d]
        var categories = rand(new long[] { b, C }, ScalarType.Float64, generator: gen).argsort(1).narrow(1, 0, k);   // [b, k], distinct
        var centres = randn(new long[] { b, k, d }, ScalarType.Float64, generator: gen);                               // [b, k, d]

        // sigma_j^2 = -min_{j' != j} ||mu_j - mu_j'||^2 / ln(rbf at nearest): the RBF of centre j is exactly that at its nearest neighbour.
        var between = (centres.unsqueeze(2) - centres.unsqueeze(1)).square().sum(-1);                                   // [b, k, k]
        between = between + diag_embed(full(new long[] { b, k }, double.PositiveInfinity, ScalarType.Float64));
        var squaredWidths = between.amin(new long[] { 2 }) / -Math.Log(s.NearestRbf);                                  // [b, k]

        var distances = (x.unsqueeze(2) - centres.unsqueeze(1)).square().sum(-1);                                       // [b, N+1, k]
        var rbf = (-distances / squaredWidths.unsqueeze(1)).exp();                                                       // [b, N+1, k]
        var centreEmbeddings = DataEmbedding.t().index_select(0, categories.reshape(-1)).reshape(b, k, s.EmbeddingDim); // [b, k, d']
        var f = rbf.matmul(centreEmbeddings) * s.Lambda;                                                                 // [b, N+1, d']
        var probabilities = nn.functional.softmax(f.matmul(DataEmbedding), -1);                                         // [b, N+1, C]

        // Inverse-CDF draw, one uniform per point: the label is the number of cumulative probabilities below u.
        var u = rand(new long[] { b, n + 1, 1 }, ScalarType.Float64, generator: gen);
        var labels = (probabilities.cumsum(-1) < u).sum(-1).clamp_max(C - 1).to(ScalarType.Int64);                       // [b, N+1]
        return [x, labels, probabilities, centres, squaredWidths, categories, f];
    }

    public void Dispose() => DataEmbedding.Dispose();
}
