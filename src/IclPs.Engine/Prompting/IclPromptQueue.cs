using IclPs.Engine.Data;
using IclPs.Engine.Models;

namespace IclPs.Engine.Prompting;

/// <summary>
/// The prompt runner fed one query at a time, for callers handed queries as they come (Invoke-IclPrompt's pipeline input):
/// <see cref="Encode"/> builds and encodes the prompt the next query gets, <see cref="Add(EncodedPrompt)"/> queues it and,
/// when it fills a batch, runs that batch at once and returns its results; <see cref="Flush"/> runs what is left. Each
/// prompt is encoded once. Query i gets the demonstrations of (seed, i) whatever the batch size or the arrival pattern,
/// so the results are <see cref="IclPromptRunner.Run"/>'s (which is this queue fed from an enumeration).
/// </summary>
/// <remarks>
/// Encoding is apart from queueing so that a query whose prompt cannot be built (too long for the context window, too few
/// demonstrations, nothing to score) is refused before anything changes: it takes no index, and a caller running the same
/// queries through several queues (one per demonstration draw) can encode in all of them before queueing in any.
/// </remarks>
public sealed class IclPromptQueue
{
    private readonly IclPromptRunner _runner;
    private readonly FewShotPromptBuilder _builder;
    private readonly PromptEncoder _encoder;
    private readonly List<EncodedPrompt> _queued = new();
    private readonly CancellationToken _cancellationToken;

    /// <param name="cancellationToken">Checked before every forward pass; surfaces as <see cref="OperationCanceledException"/>.</param>
    public IclPromptQueue(IclModel model, IclRunOptions options, IReadOnlyList<IclExample> demonstrationPool, CancellationToken cancellationToken = default)
        : this(new IclPromptRunner(model, options), demonstrationPool, cancellationToken)
    {
    }

    internal IclPromptQueue(IclPromptRunner runner, IReadOnlyList<IclExample> demonstrationPool, CancellationToken cancellationToken)
    {
        // The runner has validated the options; the builder checks the format and the pool, so bad settings fail here.
        var (model, options) = (runner.Model, runner.Options);
        _runner = runner;
        _builder = new FewShotPromptBuilder(options.Format, demonstrationPool, options.Shots, options.Seed, options.ShuffleLabels);
        _encoder = new PromptEncoder(model.Tokenizer, model.Config.ContextLength, model.Config.VocabSize, options.AddBos, options.TruncateLongPrompts);
        _cancellationToken = cancellationToken;
    }

    /// <summary>Queries queued so far, run or not; the next query gets this index.</summary>
    public int Accepted { get; private set; }

    /// <summary>Queries waiting for their batch to fill (fewer than the batch size).</summary>
    public int Queued => _queued.Count;

    /// <summary>
    /// The prompt the next query gets, built and encoded; throws the engine's exception (PromptTooLong, NotEnoughExamples,
    /// EmptyExpectedOutput, ...) for a query that cannot run. Queues nothing.
    /// </summary>
    public EncodedPrompt Encode(IclExample query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return _encoder.Encode(_builder.Build(query, Accepted));
    }

    /// <summary>
    /// Queues <paramref name="prompt"/>, which <see cref="Encode"/> gave for the next query. When that fills a batch, runs it
    /// and returns its results in query order; otherwise returns none. A batch leaves the queue when it starts, so one that
    /// fails or is cancelled is not run again.
    /// </summary>
    public IReadOnlyList<IclPromptResult> Add(EncodedPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.Prompt.QueryIndex != Accepted)
            throw new ArgumentException($"The prompt is for query {prompt.Prompt.QueryIndex}; the next query of this queue is {Accepted}.", nameof(prompt));
        _queued.Add(prompt);
        Accepted++;
        return _queued.Count < _runner.Options.BatchSize ? [] : RunQueued();
    }

    /// <summary><see cref="Encode"/> then <see cref="Add(EncodedPrompt)"/>: a query that cannot run throws and queues nothing.</summary>
    public IReadOnlyList<IclPromptResult> Add(IclExample query) => Add(Encode(query));

    /// <summary>Runs the queries still queued (a last, partial batch) and returns their results; none when nothing is queued.</summary>
    public IReadOnlyList<IclPromptResult> Flush() => _queued.Count == 0 ? [] : RunQueued();

    private IclPromptResult[] RunQueued()
    {
        var batch = _queued.ToArray();
        _queued.Clear();
        _cancellationToken.ThrowIfCancellationRequested();
        return _runner.RunBatch(batch, _cancellationToken);
    }
}
