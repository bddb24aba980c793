using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using IclPs.Engine.Regression.Prompting;
using IclPs.Engine.TaskVectors;

namespace IclPs.Cmdlets;

/// <summary>
/// Invoke-IclPrompt: few-shot prompts run through a model, one result per query. Text prompts (a language model, -Model):
/// the lm-evaluation-harness layout, one scored result per query
/// (prompt, target, greedy response, first-token correctness, exact match, log-probability and rank of the target).
/// Queries come down the pipeline (objects with Input and Output) and are run in batches as they arrive, or, when nothing
/// is piped, from the -Split part of -Dataset. Demonstrations come from the dataset's train split or from -Demonstrations.
/// A query whose prompt cannot be run (longer than the context window, too few demonstrations) is an error for that query only.
/// -TaskVector injects a task vector (New-TaskVector, Import-TaskVector) at the query's last token in every forward pass, into
/// zero-shot (-Shots 0), shuffled-label (-ShuffleLabels) or longer prompts. Numeric prompts (a regression model,
/// -RegressionModel or -Path): see the other part of this class.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "IclPrompt", DefaultParameterSetName = QueryInput.DatasetSet)]
[OutputType(typeof(IclPromptResult), ParameterSetName = new[] { QueryInput.DatasetSet, QueryInput.DemonstrationsSet })]
[OutputType(typeof(RegressionPromptResult), ParameterSetName = new[] { NumericTaskSet, NumericTaskPathSet, NumericQuerySet, NumericQueryPathSet })]
public sealed partial class InvokeIclPromptCommand : FewShotCmdlet
{
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateRange(0, int.MaxValue)]
    public int Shots { get; set; } = 5;

    /// <summary>Greedy decoding length; 0 scores the expected output only.</summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateRange(0, int.MaxValue)]
    public int MaxNewTokens { get; set; } = 16;

    /// <summary>Generation stops at the first of these; default: the few-shot delimiter and a new line.</summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateNotNull]
    public string[]? Until { get; set; }

    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    public SwitchParameter IncludePrompt { get; set; }

    /// <summary>
    /// Injected in every forward pass (text: at the query's last token; numeric: at the query's x token); it must have been
    /// built on a model of this shape.
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public TaskVector? TaskVector { get; set; }

    /// <summary>Permute the demonstrations' outputs among them (corrupted prompts), keeping their inputs.</summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    public SwitchParameter ShuffleLabels { get; set; }

    private StreamingPromptRun _run = null!;
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
            Hooks = TaskVector is null ? null : TaskVectorHooks.ForPrompts(TaskVector, Model.Network),
            Intervention = TaskVector?.ToString(),
        };
        var (pool, poolName) = DemonstrationPool(Shots);
        _run = new StreamingPromptRun(Model, options, pool, BatchFinished, Cancellation);

        _queriesFromInput = QueriesFromInput;
        if (!_queriesFromInput && ParameterSetName == QueryInput.DatasetSet)
            _total = Math.Min(First, QueryInput.Part(Dataset, Split).Count);
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
        // A bad query is this item's error; the queries before and after it still run.
        _run.Add(QueryInput.Query(Input, Output, outputRequired: true));
        try
        {
            WriteResults(_run.FullBatches());
        }
        catch (IclPsException e)
        {
            // The runner's enumeration ends with its exception, so no later query could run.
            Terminate(e);
        }
    }

    protected override void End()
    {
        if (Numeric) return;
        if (!_queriesFromInput)
        {
            if (ParameterSetName != QueryInput.DatasetSet)
                throw new IclPsException("NoQueries", IclErrorKind.InvalidArgument,
                    "With -Demonstrations, pipe the queries in (objects with Input and Output properties) or give -Input and -Output.", null);
            foreach (var query in QueryInput.Part(Dataset, Split).Items.Take(First))
            {
                try
                {
                    _run.Add(query);
                }
                catch (IclPsException e)
                {
                    WriteItemError(e);
                    continue;
                }
                WriteResults(_run.FullBatches());
            }
        }
        WriteResults(_run.Rest());
        _progress.Complete();
    }

    private void WriteResults(IEnumerable<IclPromptResult> results)
    {
        foreach (var result in results)
        {
            WriteObject(result);
            _done++;
        }
    }

    private void BatchFinished(int size, TimeSpan elapsed)
    {
        WriteVerbose($"Batch of {size} queries in {elapsed.TotalSeconds:F2} s ({elapsed.TotalSeconds / size:F3} s per query).");
        var done = _done + size;
        _progress.Report(done, _total, _total > 0 ? $"{done} of {_total} queries" : $"{done} queries");
    }
}
