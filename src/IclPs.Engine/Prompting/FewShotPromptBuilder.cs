using IclPs.Engine.Data;

namespace IclPs.Engine.Prompting;

/// <summary>
/// Builds k-shot prompts with demonstrations drawn from a pool (normally the train split). The sample for query i depends
/// only on (seed, i) and the pool, so any single query's prompt can be rebuilt without replaying the others.
/// Pool items whose Input equals the query's are never used, so a prompt never shows its own answer.
/// With shuffled labels the chosen demonstrations keep their inputs but their outputs are permuted among them (Todd et al.'s
/// corrupted prompts), so the prompt shows the format but not the task.
/// </summary>
public sealed class FewShotPromptBuilder
{
    private const long ShuffleStream = 1L << 40;
    private readonly IReadOnlyList<IclExample> _pool;

    public FewShotPromptBuilder(PromptFormat format, IReadOnlyList<IclExample> demonstrationPool, int shots, int seed, bool shuffleLabels = false)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(demonstrationPool);
        format.Validate();
        if (shots < 0)
            throw new IclPsException("InvalidShots", IclErrorKind.InvalidArgument, $"Shots must be 0 or more, got {shots}.", shots);
        Format = format;
        _pool = demonstrationPool;
        Shots = shots;
        Seed = seed;
        ShuffleLabels = shuffleLabels;
    }

    public PromptFormat Format { get; }
    public int Shots { get; }
    public int Seed { get; }
    public bool ShuffleLabels { get; }
    public int PoolSize => _pool.Count;

    public IclPrompt Build(IclExample query, int queryIndex)
    {
        var demonstrations = SampleDemonstrations(query, queryIndex);
        return new(queryIndex, query, ShuffleLabels ? WithShuffledOutputs(demonstrations, queryIndex) : demonstrations, Format);
    }

    /// <summary>
    /// The outputs of <paramref name="demonstrations"/> moved by a seeded derangement (no demonstration keeps its own output);
    /// the derangement depends only on (seed, query index), and fewer than two demonstrations have nothing to shuffle.
    /// </summary>
    private IReadOnlyList<IclExample> WithShuffledOutputs(IReadOnlyList<IclExample> demonstrations, int queryIndex)
    {
        if (demonstrations.Count < 2) return demonstrations;
        // A stream apart from the demonstration draw's, so shuffling never changes which demonstrations are picked.
        var permutation = Derangement.Draw(demonstrations.Count, new SeededRandom(Seed, queryIndex + ShuffleStream));
        return demonstrations.Select((d, i) => d with { Output = demonstrations[permutation[i]].Output }).ToArray();
    }

    /// <summary>
    /// <see cref="Shots"/> distinct pool items, none with the query's input, in random order.
    /// Throws NotEnoughExamples when fewer than that remain after excluding the query.
    /// </summary>
    public IReadOnlyList<IclExample> SampleDemonstrations(IclExample query, int queryIndex)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (Shots == 0) return Array.Empty<IclExample>();
        var candidates = new List<int>(_pool.Count);
        for (var i = 0; i < _pool.Count; i++)
        {
            if (!string.Equals(_pool[i].Input, query.Input, StringComparison.Ordinal)) candidates.Add(i);
        }
        if (candidates.Count < Shots)
            throw new IclPsException("NotEnoughExamples", IclErrorKind.InvalidArgument,
                $"Query {queryIndex} ('{query.Input}') needs {Shots} demonstrations but the pool of {_pool.Count} has only {candidates.Count} whose input differs from the query; " +
                $"use fewer shots or a larger pool (at least {Shots + 1} items when the query may come from the pool).", query);
        var picked = candidates.ToArray();
        new SeededRandom(Seed, queryIndex).ShuffleFront(picked, Shots);
        return picked.Take(Shots).Select(i => _pool[i]).ToArray();
    }
}
