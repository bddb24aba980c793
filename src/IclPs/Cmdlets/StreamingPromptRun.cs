using System.Diagnostics;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;

namespace IclPs.Cmdlets;

/// <summary>
/// One <see cref="IclPromptRunner"/> run fed query by query as pipeline input arrives, so results stream out a batch at a
/// time while demonstration sampling keeps the runner's single query numbering (query i gets the sample for (seed, i)
/// whatever the batch size or the arrival pattern).
/// </summary>
/// <remarks>
/// The runner reads its queries lazily in chunks of the batch size, so the feed below is only ever asked for a query when
/// a full batch is queued or the input has ended. A query whose prompt cannot be built (too long for the context window,
/// too few demonstrations, nothing to score) would fail the runner's whole batch and end its enumeration; <see cref="Add"/>
/// therefore builds and encodes each prompt first, with the same builder, encoder and query index the runner will use,
/// and such a query is refused instead of queued. Refused queries take no index.
/// </remarks>
internal sealed class StreamingPromptRun
{
    private readonly Queue<IclExample> _queued = new();
    private readonly IEnumerator<IclPromptResult> _results;
    private readonly FewShotPromptBuilder _builder;
    private readonly PromptEncoder _encoder;
    private readonly int _batchSize;
    private readonly Action<int, TimeSpan> _batchDone;
    private bool _inputEnded;
    private int _accepted;

    /// <param name="batchDone">Told the size and compute time of each batch after it runs.</param>
    public StreamingPromptRun(IclModel model, IclRunOptions options, IReadOnlyList<IclExample> pool, Action<int, TimeSpan> batchDone, CancellationToken cancellationToken)
    {
        // The runner validates the options and the pool, so a bad format fails here, before any input is read.
        var runner = new IclPromptRunner(model, options);
        _builder = new FewShotPromptBuilder(options.Format, pool, options.Shots, options.Seed, options.ShuffleLabels);
        _encoder = new PromptEncoder(model.Tokenizer, model.Config.ContextLength, model.Config.VocabSize, options.AddBos, options.TruncateLongPrompts);
        _batchSize = options.BatchSize;
        _batchDone = batchDone;
        _results = runner.Run(Feed(), pool, cancellationToken).GetEnumerator();
    }

    /// <summary>Queues a query, or throws the engine's exception (PromptTooLong, NotEnoughExamples, ...) and queues nothing.</summary>
    public void Add(IclExample query)
    {
        Check(query);
        _queued.Enqueue(query);
        _accepted++;
    }

    /// <summary>Throws what <see cref="Add"/> would throw for <paramref name="query"/> as the next query, and queues nothing.</summary>
    public void Check(IclExample query) => _encoder.Encode(_builder.Build(query, _accepted));

    /// <summary>Runs every full batch queued so far and yields its results in query order.</summary>
    public IEnumerable<IclPromptResult> FullBatches()
    {
        while (_queued.Count >= _batchSize)
        {
            foreach (var result in NextBatch(_batchSize)) yield return result;
        }
    }

    /// <summary>Runs what is left (a last, partial batch) once no more input will come.</summary>
    public IEnumerable<IclPromptResult> Rest()
    {
        _inputEnded = true;
        while (_queued.Count > 0)
        {
            foreach (var result in NextBatch(Math.Min(_batchSize, _queued.Count))) yield return result;
        }
    }

    private IEnumerable<IclPromptResult> NextBatch(int size)
    {
        var stopwatch = Stopwatch.StartNew();
        // The first result of a batch is where the runner takes the queries and runs the forward passes; the rest are buffered.
        for (var i = 0; i < size; i++)
        {
            if (!_results.MoveNext())
                throw new InvalidOperationException($"The prompt runner ended with {_queued.Count} queries still queued.");
            if (i == 0) _batchDone(size, stopwatch.Elapsed);
            yield return _results.Current;
        }
    }

    private IEnumerable<IclExample> Feed()
    {
        while (true)
        {
            if (_queued.Count > 0)
            {
                yield return _queued.Dequeue();
                continue;
            }
            if (_inputEnded) yield break;
            // Ending here would end the runner's enumeration for good while more input may still come.
            throw new InvalidOperationException("The prompt runner asked for a query before a batch was complete.");
        }
    }
}
