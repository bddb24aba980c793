using System.Diagnostics;
using IclPs.Engine;
using IclPs.Engine.Data;
using IclPs.Engine.Models;

namespace IclPs.Engine.Prompting;

/// <summary>
/// The same queries run under K demonstration draws: one <see cref="IclPromptQueue"/> per draw, draw k with seed
/// <see cref="DrawSeed"/>(seed, k), so each draw picks and orders its demonstrations afresh and draw k alone is exactly the
/// run with -Seed (seed + k). A query is queued in every draw or in none, so all draws hold the same queries.
/// </summary>
public sealed class DemonstrationDrawRun
{
    private readonly IclPromptQueue[] _queues;

    public DemonstrationDrawRun(IclModel model, IclRunOptions options, int draws, IReadOnlyList<IclExample> pool, CancellationToken cancellationToken)
    {
        if (draws < 1) throw new ArgumentOutOfRangeException(nameof(draws), draws, "At least one draw.");
        DrawSeed(options.Seed, draws - 1);   // fails before any queue is made when the last seed would overflow
        _queues = Enumerable.Range(0, draws)
            .Select(k => new IclPromptQueue(model, options with { Seed = DrawSeed(options.Seed, k) }, pool, cancellationToken))
            .ToArray();
    }

    /// <summary>The seed of draw <paramref name="draw"/> (0-based) of a run with seed <paramref name="seed"/>: seed + draw.</summary>
    public static int DrawSeed(int seed, int draw) =>
        (long)seed + draw is var s && s <= int.MaxValue
            ? (int)s
            : throw new IclPsException("DemonstrationDrawSeedOverflow", IclErrorKind.InvalidArgument,
                $"Draw {draw} of seed {seed} would need seed {s}, above {int.MaxValue}; use a smaller -Seed or fewer -DemonstrationDraws.", seed);

    /// <summary>
    /// The query's prompt in every draw, each encoded once, or the first draw's objection (PromptTooLong, ...); queues nothing.
    /// </summary>
    public EncodedPrompt[] Encode(IclExample query) => _queues.Select(queue => queue.Encode(query)).ToArray();

    /// <summary>
    /// Queues each draw's prompt of one query (from <see cref="Encode"/>) and hands every batch that fills to
    /// <paramref name="batchDone"/>, with its compute time, as soon as it has run: draw 0's results leave before draw 1's
    /// batch starts.
    /// </summary>
    public void Add(EncodedPrompt[] prompts, Action<IReadOnlyList<IclPromptResult>, TimeSpan> batchDone)
    {
        if (prompts.Length != _queues.Length) throw new ArgumentException($"{prompts.Length} prompts for {_queues.Length} draws.", nameof(prompts));
        for (var k = 0; k < _queues.Length; k++)
        {
            var stopwatch = Stopwatch.StartNew();
            var results = _queues[k].Add(prompts[k]);
            if (results.Count > 0) batchDone(results, stopwatch.Elapsed);
        }
    }

    /// <summary>Every draw's last, partial batch once the input has ended, draw by draw.</summary>
    public void Flush(Action<IReadOnlyList<IclPromptResult>, TimeSpan> batchDone)
    {
        foreach (var queue in _queues)
        {
            var stopwatch = Stopwatch.StartNew();
            var results = queue.Flush();
            if (results.Count > 0) batchDone(results, stopwatch.Elapsed);
        }
    }
}
