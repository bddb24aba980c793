using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Analysis;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using IclPs.Engine.TaskVectors;

namespace IclPs.Cmdlets;

/// <summary>Compares a model's last-token hidden states between prompt conditions, layer by layer, by cosine similarity.</summary>
/// <remarks>
/// <para>
/// Runs every query under each condition and compares the last-token residual stream after each block
/// (blocks.{l}.hook_resid_post, see about_IclPs_HookNames) between every pair of conditions, as Duan et al. do to compare
/// in-context learning with instruction tuning. Conditions: ZeroShot (the query alone) and Icl (-Shots demonstrations), as
/// -Condition selects; OtherModel, the same queries through -CompareModel with -CompareShots demonstrations; and one
/// condition per -TaskVector, the model with that vector injected at the query's last token (named Ltv, FunctionVector or
/// TaskVector after its method, numbered when repeated). At least two conditions are needed (NotEnoughConditions).
/// </para>
/// <para>
/// Writes one HiddenSimilarityRow per layer and pair of conditions: Layer, Hook, ConditionA, ConditionB, MeanCosine and
/// StdCosine over the queries, N (the queries measured), DescriptionA and DescriptionB. Only running statistics are kept,
/// so memory does not grow with the number of queries; the rows are written once every query has been seen. Queries come
/// down the pipeline (objects with an Input property) or from the -Split part of -Dataset, with the prompt format of
/// Invoke-IclPrompt (see about_IclPs_PromptFormat). A query whose prompt does not fit under some condition is an error for
/// that query, and the others are measured.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// Measure-HiddenSimilarity -Model $model -Dataset $data -Shots 5 -First 20
/// </code>
/// <para>Compares zero-shot and 5-shot hidden states on 20 test queries: one row per layer.</para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny -Seed 1
/// $other = New-IclModel -Preset gpt2-tiny -Seed 2
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// Measure-HiddenSimilarity -Model $model -Dataset $data -Condition ZeroShot -CompareModel $other -First 10 -Template "Q: {input}`nA:"
/// </code>
/// <para>
/// Compares one model's zero-shot states with another model's (here a second random model; in practice, for example, an
/// instruction-tuned one) on the same question/answer prompts.
/// </para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $vector = New-TaskVector -Model $model -Dataset $data -Method TaskVector -Shots 3 -Prompts 4 -ValidationPrompts 4
/// Measure-HiddenSimilarity -Model $model -Dataset $data -Shots 3 -First 10 -TaskVector $vector |
///     Where-Object ConditionB -eq 'TaskVector'
/// </code>
/// <para>
/// Adds a zero-shot condition with a task vector injected and keeps the rows comparing it with the zero-shot and 3-shot
/// conditions.
/// </para>
/// </example>
[Cmdlet(VerbsDiagnostic.Measure, "HiddenSimilarity", DefaultParameterSetName = QueryInput.DatasetSet, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#measure-hiddensimilarity")]
[OutputType(typeof(HiddenSimilarityRow))]
public sealed class MeasureHiddenSimilarityCommand : FewShotCmdlet
{
    private const string ZeroShotCondition = "ZeroShot";
    private const string IclCondition = "Icl";
    private const string OtherModelCondition = "OtherModel";

    /// <summary>
    /// The conditions of -Model to compare: ZeroShot (no demonstrations) and/or Icl (-Shots demonstrations). Default: both.
    /// </summary>
    [Parameter]
    [ValidateSet(ZeroShotCondition, IclCondition, IgnoreCase = true)]
    [ValidateNotNullOrEmpty]
    public string[] Condition { get; set; } = [ZeroShotCondition, IclCondition];

    /// <summary>Demonstrations per prompt in the Icl condition, at least 1. Default: 5.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Shots { get; set; } = 5;

    /// <summary>
    /// A second text model (IclModel) that adds the OtherModel condition: the same queries through it with -CompareShots
    /// demonstrations. It must have as many layers and the same d_model as -Model (an IncompatibleModels error otherwise).
    /// Default: none.
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public IclModel? CompareModel { get; set; }

    /// <summary>Demonstrations per prompt in the OtherModel condition, 0 or more. Default: 0 (zero-shot).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int CompareShots { get; set; }

    /// <summary>
    /// Task vectors (from New-TaskVector or Import-TaskVector), each adding a condition: the model with the vector injected at
    /// the query's last token, with -TaskVectorShots demonstrations. Conditions are named after the method (Ltv,
    /// FunctionVector, TaskVector), numbered when repeated. Each must fit the model's shape. Default: none.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public TaskVector[]? TaskVector { get; set; }

    /// <summary>Demonstrations per prompt in the task-vector conditions, 0 or more. Default: 0 (zero-shot).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int TaskVectorShots { get; set; }

    private SimilarityCondition[] _conditions = [];
    private IReadOnlyList<IclExample> _pool = [];
    private HiddenSimilarityOptions _options = null!;
    private (FewShotPromptBuilder Builder, PromptEncoder Encoder)[] _checks = [];
    // Query strings only: the hidden states are reduced to running statistics batch by batch inside the engine.
    private readonly List<IclExample> _queries = [];
    private bool _queriesFromInput;
    private int _seen;

    protected override void Begin()
    {
        var conditions = new List<SimilarityCondition>();
        var wanted = Condition.Select(c => c.ToLowerInvariant()).ToHashSet();
        if (wanted.Contains("zeroshot")) conditions.Add(SimilarityCondition.ZeroShot(Model, ZeroShotCondition));
        if (wanted.Contains("icl")) conditions.Add(SimilarityCondition.Icl(Model, Shots, IclCondition));
        if (CompareModel is not null) conditions.Add(SimilarityCondition.OtherModel(CompareModel, OtherModelCondition, CompareShots));
        foreach (var (vector, i) in (TaskVector ?? []).Select((v, i) => (v, i)))
        {
            vector.Shape.CheckFits(Model.Config, $"The {vector.Method} task vector");
            var name = vector.Method.ToString();
            var sameMethodBefore = TaskVector!.Take(i).Count(v => v.Method == vector.Method);
            var repeated = TaskVector!.Count(v => v.Method == vector.Method) > 1;
            conditions.Add(SimilarityCondition.Injected(Model, vector, repeated ? $"{name}{sameMethodBefore + 1}" : name, TaskVectorShots));
        }
        if (conditions.Count < 2)
            throw new IclPsException("NotEnoughConditions", IclErrorKind.InvalidArgument,
                $"Similarity compares conditions in pairs but -Condition {string.Join(",", Condition)}{(CompareModel is null ? " without -CompareModel" : "")} gives {conditions.Count}; " +
                "add a condition or -CompareModel.", conditions.Count);
        _conditions = [.. conditions];

        var format = Format();
        format.Validate();
        string poolName;
        (_pool, poolName) = DemonstrationPool(_conditions.Max(c => c.Shots));
        _options = new HiddenSimilarityOptions { Format = format, Seed = Seed, BatchSize = BatchSize, TruncateLongPrompts = TruncateLongPrompts };
        // The engine runs every query through every condition in one call and a prompt that cannot be built fails it all,
        // so each query's prompts are built here first, exactly as the engine will build them, and a failing query is skipped.
        _checks = _conditions
            .Select(c => (new FewShotPromptBuilder(format, _pool, c.Shots, Seed),
                          new PromptEncoder(c.Model.Tokenizer, c.Model.Config.ContextLength, c.Model.Config.VocabSize, _options.AddBos, _options.TruncateLongPrompts)))
            .ToArray();
        _queriesFromInput = QueriesFromInput;

        WriteVerbose($"Conditions: {string.Join("; ", _conditions.Select(c => $"{c.Name} = {c.Description} ({c.Model.Source})"))}.");
        WriteVerbose($"Prompt format: description {QueryInput.Show(format.Description)}, template {QueryInput.Show(format.InputTemplate)}, " +
                     $"target delimiter {QueryInput.Show(format.TargetDelimiter)}, few-shot delimiter {QueryInput.Show(format.FewShotDelimiter)}; " +
                     $"demonstrations from {poolName} ({_pool.Count} items), seed {Seed}, batch size {BatchSize}.");
    }

    protected override void Process()
    {
        if (!_queriesFromInput || _seen >= First) return;
        _seen++;
        Accept(QueryInput.Query(Input, Output, outputRequired: false));
    }

    protected override void End()
    {
        if (!_queriesFromInput)
        {
            if (ParameterSetName != QueryInput.DatasetSet)
                throw new IclPsException("NoQueries", IclErrorKind.InvalidArgument,
                    "With -Demonstrations, pipe the queries in (objects with an Input property) or give -Input.", null);
            foreach (var query in QueryInput.Part(Dataset, Split).Items.Take(First))
            {
                try
                {
                    Accept(query);
                }
                catch (IclPsException e)
                {
                    WriteItemError(e);
                }
            }
        }
        if (_queries.Count == 0)
            throw new IclPsException("NoQueries", IclErrorKind.InvalidArgument, "No query could be measured, so there is no similarity to report.", null);

        var progress = StartProgress($"Measure-HiddenSimilarity: {string.Join(" vs ", _conditions.Select(c => c.Name))}");
        var stopwatch = Stopwatch.StartNew();
        var previous = 0;
        var interventions = new InterventionTally();
        var options = _options with
        {
            Interventions = interventions,
            // Called on this thread after each batch, so writing progress and verbose records from here is allowed.
            Progress = p =>
            {
                WriteVerbose($"Batch of {p.Completed - previous} queries through {_conditions.Length} conditions in {stopwatch.Elapsed.TotalSeconds:F2} s.");
                progress.Report(p.Completed, _queries.Count, $"{p.Completed} of {_queries.Count} queries");
                previous = p.Completed;
                stopwatch.Restart();
            },
        };
        var rows = HiddenSimilarity.Compute(_conditions, _queries, _pool, options, Cancellation);
        progress.Complete();
        ReportInterventions(interventions, string.Join(", ", _conditions.Where(c => c.TaskVector is not null).Select(c => $"{c.Name} ({c.TaskVector})")));
        foreach (var row in rows) WriteObject(row);
    }

    /// <summary>Keeps a query whose prompt builds and fits under every condition at the index the engine will give it.</summary>
    private void Accept(IclExample query)
    {
        foreach (var (builder, encoder) in _checks) encoder.Encode(builder.Build(query, _queries.Count), reserveContinuation: false);
        _queries.Add(query);
    }
}
