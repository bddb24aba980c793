using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using IclPs.Engine.Regression.Prompting;
using IclPs.Engine.TaskVectors;

namespace IclPs.Cmdlets;

/// <summary>Runs few-shot prompts through a text or regression model and scores its answer to each query.</summary>
/// <remarks>
/// <para>
/// Text prompts (-Model, a language model) follow the lm-evaluation-harness layout: -Description, then -Shots
/// demonstrations, each its input written through -Template, then -TargetDelimiter and its output, joined by
/// -FewShotDelimiter, then the query's input through -Template (see about_IclPs_PromptFormat). The model's greedy
/// continuation is generated for up to -MaxNewTokens tokens, stopping at -Until, and the expected output is scored by
/// teacher forcing. One IclPromptResult per query: QueryIndex, Query, Expected, Predicted, FirstTokenCorrect, ExactMatch,
/// ExpectedLogProb, ExpectedRank, ExpectedTokens, Shots, ShotsRequested, Seed, Model, ModelSource, PromptTokens,
/// ShuffledLabels, Intervention and, with -IncludePrompt, the Prompt text.
/// </para>
/// <para>
/// Queries come down the pipeline as objects with Input and Output properties (or Query and Expected) and run in batches of
/// -BatchSize as they arrive; when nothing is piped (and -Input is not given), they come from the -Split part of -Dataset.
/// Demonstrations come from the dataset's Train part or from -Demonstrations; -Seed fixes which demonstrations each query
/// gets, and a query never gets itself. A query whose prompt cannot run (longer than the context window without
/// -TruncateLongPrompts, too few demonstrations, no expected output) is an error for that query only; too small a pool for
/// -Shots is one NotEnoughExamples error up front.
/// </para>
/// <para>
/// -TaskVector injects a task vector from New-TaskVector or Import-TaskVector at the query's last token in every forward
/// pass, into zero-shot (-Shots 0), shuffled-label (-ShuffleLabels) or ordinary prompts; results name it in their
/// Intervention property. See about_IclPs_TaskVectors.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $model = Get-IclModel text-icl-tiny -Load
/// $map = @{ a = 'x'; b = 'y'; c = 'z' }
/// $pairs = 'a1', 'b2', 'c3', 'a4', 'b5', 'c6', 'a7', 'b8' | ForEach-Object { [pscustomobject]@{ Input = $_; Output = $map[$_.Substring(0, 1)] } }
/// $pairs | Invoke-IclPrompt -Model $model -Demonstrations $pairs -Shots 6 -Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ',' -MaxNewTokens 1 |
///     Select-Object Query, Expected, Predicted, FirstTokenCorrect
/// </code>
/// <para>
/// Prompts the shipped keyed-lookup model with a map it has to infer from 6 demonstrations ("a4=x,c3=z,...,a1="), in the
/// layout it was trained on; each query gets 6 of the other pairs as demonstrations.
/// </para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny -Seed 1
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json') -Seed 0
/// Invoke-IclPrompt -Model $model -Dataset $data -Shots 3 -First 5 -Template "Q: {input}`nA:" -IncludePrompt |
///     Select-Object Query, Expected, Predicted, ExpectedRank, Prompt
/// </code>
/// <para>
/// Runs the first 5 test queries of the antonym dataset as 3-shot question/answer prompts and keeps each prompt's text. The
/// model is untrained, so its answers are noise: the example shows the layout and the scores.
/// </para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// [pscustomobject]@{ Input = 'hot'; Output = 'cold' }, [pscustomobject]@{ Input = 'early'; Output = 'late' } |
///     Invoke-IclPrompt -Model $model -Dataset $data -Shots 4 -MaxNewTokens 0
/// </code>
/// <para>
/// Scores your own queries with demonstrations from the dataset's train part; -MaxNewTokens 0 skips generation and only
/// scores the expected outputs (ExpectedLogProb, ExpectedRank).
/// </para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $vector = New-TaskVector -Model $model -Dataset $data -Method TaskVector -Shots 3 -Prompts 4 -ValidationPrompts 4
/// Invoke-IclPrompt -Model $model -Dataset $data -Shots 0 -First 5 -TaskVector $vector
/// Invoke-IclPrompt -Model $model -Dataset $data -Shots 3 -First 5 -ShuffleLabels
/// </code>
/// <para>
/// Runs zero-shot prompts with a task vector injected at the query's last token, then 3-shot prompts whose demonstrations'
/// outputs are shuffled among them (the task is no longer shown, only the format).
/// </para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "IclPrompt", DefaultParameterSetName = QueryInput.DatasetSet, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#invoke-iclprompt")]
[OutputType(typeof(IclPromptResult), ParameterSetName = new[] { QueryInput.DatasetSet, QueryInput.DemonstrationsSet })]
[OutputType(typeof(IclPromptSummary), ParameterSetName = new[] { QueryInput.DatasetSet, QueryInput.DemonstrationsSet })]
[OutputType(typeof(RegressionPromptResult), ParameterSetName = new[] { NumericTaskSet, NumericTaskPathSet, NumericQuerySet, NumericQueryPathSet })]
public sealed partial class InvokeIclPromptCommand : FewShotCmdlet
{
    /// <summary>
    /// Demonstrations per text prompt, 0 or more (0 for zero-shot prompts); the pool must hold at least this many. Default: 5.
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateRange(0, int.MaxValue)]
    public int Shots { get; set; } = 5;

    /// <summary>
    /// The most tokens the greedy continuation (Predicted) may have, 0 or more; 0 skips generation and only scores the
    /// expected output. Default: 16.
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateRange(0, int.MaxValue)]
    public int MaxNewTokens { get; set; } = 16;

    /// <summary>
    /// Strings that end generation: Predicted stops before the first of them that appears. Default: the few-shot delimiter
    /// and a new line; @() generates all -MaxNewTokens tokens.
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateNotNull]
    public string[]? Until { get; set; }

    /// <summary>Copies each prompt's full text into its result's Prompt property (off by default: prompts are long).</summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    public SwitchParameter IncludePrompt { get; set; }

    /// <summary>
    /// A task vector (from New-TaskVector or Import-TaskVector) injected in every forward pass: for text prompts at the
    /// query's last token, for numeric prompts at the query's x token. It must have been built on a model of this shape
    /// (layers, heads, d_model); results name it in their Intervention property.
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public TaskVector? TaskVector { get; set; }

    /// <summary>
    /// Permutes the demonstrations' outputs among them so that none keeps its own (Todd et al.'s corrupted prompts): the
    /// prompt shows the format but not the task. Needs at least 2 shots to change anything.
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    public SwitchParameter ShuffleLabels { get; set; }

    private DemonstrationDrawRun _run = null!;
    // What -TaskVector's injections changed, over every forward pass; an injection that changed nothing is a warning.
    private readonly InterventionTally _interventions = new();
    private ProgressReporter _progress = null!;
    private long _total;
    private int _seen;
    private int _done;
    private bool _queriesFromInput;

    private bool Numeric => ParameterSetName is not (QueryInput.DatasetSet or QueryInput.DemonstrationsSet);

    protected override void Begin()
    {
        if (Numeric)
        {
            BeginNumeric();
            return;
        }
        var format = Format();
        var options = new IclRunOptions
        {
            Format = format,
            Shots = Shots,
            Seed = Seed,
            BatchSize = BatchSize,
            MaxNewTokens = MaxNewTokens,
            Until = Until,
            IncludePrompt = IncludePrompt,
            TruncateLongPrompts = TruncateLongPrompts,
            ShuffleLabels = ShuffleLabels,
            Hooks = TaskVector is null ? null : TaskVectorHooks.ForPrompts(TaskVector, Model.Network, _interventions),
            Intervention = TaskVector?.ToString(),
        };
        var (pool, poolName) = DemonstrationPool(Shots);
        _run = CreateRun(options, pool);

        _queriesFromInput = QueriesFromInput;
        if (!_queriesFromInput && ParameterSetName == QueryInput.DatasetSet)
            _total = (long)Math.Min(First, QueryInput.Part(Dataset, Split).Count) * DemonstrationDraws;
        _progress = StartProgress($"Invoke-IclPrompt: {Model.Name}, {Shots}-shot");

        WriteVerbose($"Model {Model.Name} ({Model.Source}; {Model.Config}) on {Model.Network.Device}, tokenizer {Model.Tokenizer.Name}.");
        WriteVerbose($"Prompt format: description {QueryInput.Show(format.Description)}, template {QueryInput.Show(format.InputTemplate)}, " +
                     $"target delimiter {QueryInput.Show(format.TargetDelimiter)}, few-shot delimiter {QueryInput.Show(format.FewShotDelimiter)}, " +
                     $"stop at {string.Join(", ", options.StopStrings.Select(QueryInput.Show))}.");
        WriteVerbose($"{Shots} shots from {poolName} ({pool.Count} items), seed {Seed}, batch size {BatchSize}, max new tokens {MaxNewTokens}" +
                     (TruncateLongPrompts ? ", long prompts truncated" : "") + (ShuffleLabels ? ", labels shuffled" : "") + ".");
        if (TaskVector is not null) WriteVerbose($"Injecting {TaskVector} at the query's last token.");
    }

    protected override void Process()
    {
        if (Numeric)
        {
            ProcessNumeric();
            return;
        }
        if (!_queriesFromInput || _seen >= First) return;
        _seen++;
        // A query that cannot run is this item's error (nothing is queued); the queries before and after it still run.
        var prompts = _run.Encode(QueryInput.Query(Input, Output, outputRequired: true));
        try
        {
            _run.Add(prompts, WriteBatch);
        }
        catch (IclPsException e)
        {
            // A failed batch took its queued queries with it; going on would leave gaps in the results.
            Terminate(e);
        }
    }

    protected override void End()
    {
        if (Numeric)
        {
            ReportInterventions(_interventions, TaskVector);
            return;
        }
        if (!_queriesFromInput)
        {
            if (ParameterSetName != QueryInput.DatasetSet)
                throw new IclPsException("NoQueries", IclErrorKind.InvalidArgument,
                    "With -Demonstrations, pipe the queries in (objects with Input and Output properties) or give -Input and -Output.", null);
            foreach (var query in QueryInput.Part(Dataset, Split).Items.Take(First))
            {
                EncodedPrompt[] prompts;
                try
                {
                    prompts = _run.Encode(query);
                }
                catch (IclPsException e)
                {
                    WriteItemError(e);
                    continue;
                }
                _run.Add(prompts, WriteBatch);
            }
        }
        _run.Flush(WriteBatch);
        _progress.Complete();
        WriteSummary();
        ReportInterventions(_interventions, TaskVector);
    }

    /// <summary>A batch that has run: verbose timing and progress first, then its results, which leave at once.</summary>
    private void WriteBatch(IReadOnlyList<IclPromptResult> results, TimeSpan elapsed)
    {
        var size = results.Count;
        WriteVerbose($"Batch of {size} queries in {elapsed.TotalSeconds:F2} s ({elapsed.TotalSeconds / size:F3} s per query).");
        var done = _done + size;
        _progress.Report(done, _total, _total > 0 ? $"{done} of {_total} queries" : $"{done} queries");
        foreach (var result in results)
        {
            Emit(result);
            _done++;
        }
    }
}
