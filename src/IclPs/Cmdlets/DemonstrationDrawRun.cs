using IclPs.Engine;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;

namespace IclPs.Cmdlets;

/// <summary>
/// The same queries run under K demonstration draws: one <see cref="StreamingPromptRun"/> per draw, draw k with seed
/// <see cref="DrawSeed"/>(seed, k), so each draw picks and orders its demonstrations afresh and draw k alone is exactly the
/// run with -Seed (seed + k). A query is queued in every draw or in none, so all draws hold the same queries.
/// </summary>
internal sealed class DemonstrationDrawRun
{
    private readonly StreamingPromptRun[] _runs;

    public DemonstrationDrawRun(IclModel model, IclRunOptions options, int draws, IReadOnlyList<IclExample> pool, Action<int, TimeSpan> batchDone, CancellationToken cancellationToken)
    {
        if (draws < 1) throw new ArgumentOutOfRangeException(nameof(draws), draws, "At least one draw.");
        DrawSeed(options.Seed, draws - 1);   // fails before any run is made when the last seed would overflow
        _runs = Enumerable.Range(0, draws)
            .Select(k => new StreamingPromptRun(model, options with { Seed = DrawSeed(options.Seed, k) }, pool, batchDone, cancellationToken))
            .ToArray();
    }

    public int Draws => _runs.Length;

    /// <summary>The seed of draw <paramref name="draw"/> (0-based) of a run with seed <paramref name="seed"/>: seed + draw.</summary>
    public static int DrawSeed(int seed, int draw) =>
        (long)seed + draw is var s && s <= int.MaxValue
            ? (int)s
            : throw new IclPsException("DemonstrationDrawSeedOverflow", IclErrorKind.InvalidArgument,
                $"Draw {draw} of seed {seed} would need seed {s}, above {int.MaxValue}; use a smaller -Seed or fewer -DemonstrationDraws.", seed);

    /// <summary>Queues the query in every draw, or throws the first draw's objection (PromptTooLong, ...) and queues it in none.</summary>
    public void Add(IclExample query)
    {
        foreach (var run in _runs) run.Check(query);
        foreach (var run in _runs) run.Add(query);
    }

    /// <summary>Every draw's full batches, draw by draw.</summary>
    public IEnumerable<IclPromptResult> FullBatches() => _runs.SelectMany(run => run.FullBatches());

    /// <summary>Every draw's last, partial batch once the input has ended, draw by draw.</summary>
    public IEnumerable<IclPromptResult> Rest() => _runs.SelectMany(run => run.Rest());
}
