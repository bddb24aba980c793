using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Adapters;
using IclPs.Engine.Analysis;
using IclPs.Engine.Analysis.Statistics;
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
/// in-context learning with instruction tuning. Conditions: ZeroShot (the query alone: Duan et al.'s anchor), Icl (-Shots
/// demonstrations) and InstructionTuned, as -Condition selects; OtherModel, the same queries through -CompareModel with
/// -CompareShots demonstrations; and one condition per -TaskVector, the model with that vector injected at the query's last
/// token (named Ltv, FunctionVector or TaskVector after its method, numbered when repeated). At least two conditions are
/// needed (NotEnoughConditions).
/// </para>
/// <para>
/// InstructionTuned is Duan et al.'s IT, made afresh for every query: a LoRA adapter (-AdapterRank, -AdapterAlpha on
/// -AdapterTargetModule; by default r 4, alpha 8 on q_proj and v_proj for LLaMA, c_attn for GPT-2) attached to -Model and
/// tuned for -AdapterSteps AdamW updates, as Start-IclAdapterTraining tunes, on exactly the -Shots demonstrations the Icl
/// prompt shows that query, each rendered as a zero-shot item (loss on its output only); then the query's zero-shot prompt
/// runs through the adapted model. Each adapter's seed comes from -Seed and the query's index, and the adapter, its
/// optimizer and its activations are disposed before the next query. With -AdapterDataset the adapters learn -Shots
/// demonstrations of another dataset's train split instead (the control: an adapter tuned on another task). No updates
/// (-AdapterSteps 0) or no demonstrations (-Shots 0) leave the model unchanged, so the states equal ZeroShot's bit for bit.
/// Duan et al.'s code was not found: these settings are IclPs's reading of their description. For one adapter applied
/// to every query, load it with Import-IclModel -Adapter and give that model as -CompareModel.
/// </para>
/// <para>
/// Writes one HiddenSimilarityRow per layer and pair of conditions: Layer, Hook, ConditionA, ConditionB, Pair (named
/// "ConditionA-ConditionB", e.g. ZeroShot-Icl), MeanCosine and StdCosine over the queries, N (the queries measured),
/// MeanCentredCosine and StdCentredCosine (with -Centred: the cosine of the states minus the layer's mean state over every
/// query and condition, since in small models all last-token states can point the same way; NaN otherwise), DescriptionA
/// and DescriptionB. With -PerInput it writes instead one HiddenSimilarityInputRow per query, layer and pair (Layer, Hook,
/// InputIndex, Input, ConditionA, ConditionB, Pair, Cosine, CentredCosine, and FirstTokenCorrectA and FirstTokenCorrectB:
/// whether each condition's greedy next token is the first token of the query's expected output, read off the same forward
/// pass, so task accuracy comes on the same inputs) for statistics of your own. With -Contrast it
/// also writes, after those, one HiddenSimilarityTest per layer (per measure with -Centred): the paired Wilcoxon
/// signed-rank test of the first pair's cosine against the second's over the same queries (differences first minus
/// second; zero differences are dropped and N counts the rest; tied magnitudes share average ranks; the p-value is exact
/// up to N = 25 and the tie- and continuity-corrected normal approximation above), with W+ (WPlus), the median and mean
/// difference, and PHolm, the p-value Holm-corrected over the layers.
/// </para>
/// <para>
/// Memory does not grow with the number of queries beyond one cosine per query, layer and pair (and, with -Centred, each
/// query's last-token states: queries x conditions x layers x d_model doubles); the rows are written once every query has
/// been seen. Queries come down the pipeline (objects with an Input property) or from the -Split part of -Dataset, with the
/// prompt format of Invoke-IclPrompt (see about_IclPs_PromptFormat). A query whose prompt does not fit under some condition
/// is an error for that query, and the others are measured.
/// </para>
/// <para>
/// Queries of different tasks in one call: piped queries that carry a Demonstrations property (and optionally
/// AdapterDemonstrations) each draw from their own pool, e.g. each held-out map's query from that map's train split, so
/// one call measures them all, and the summary, the tests and the -Centred mean span every task. Query i's demonstrations
/// depend on (-Seed, i, -Shots, its pool) as with a shared pool.
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
/// <example>
/// <code>
/// $model = New-IclModel -Preset llama-tiny -Seed 1
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $out = Measure-HiddenSimilarity -Model $model -Dataset $data -Condition ZeroShot, Icl, InstructionTuned -Shots 4 -First 8 `
///     -AdapterSteps 10 -Centred -Contrast AnchorIcl, IclIt
/// $out | Where-Object { $_ -is [IclPs.Engine.Analysis.HiddenSimilarityRow] } | Format-Table Layer, Pair, MeanCosine, MeanCentredCosine
/// $out | Where-Object { $_ -is [IclPs.Engine.Analysis.HiddenSimilarityTest] }
/// </code>
/// <para>
/// Duan et al.'s comparison on 8 test queries: the anchor (zero-shot), 4-shot ICL, and per query a LoRA on q_proj and v_proj
/// tuned 10 updates on the same 4 demonstrations. The tests ask, layer by layer, whether cos(ICL, IT) is above
/// cos(anchor, ICL), on the plain and the centred cosine.
/// </para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $csv = Join-Path ([IO.Path]::GetTempPath()) 'hidden-similarity-per-input.csv'
/// Measure-HiddenSimilarity -Model $model -Dataset $data -Condition ZeroShot, InstructionTuned -Shots 2 -First 5 -AdapterSteps 5 -PerInput |
///     Export-Csv $csv -NoTypeInformation
/// Import-Csv $csv | Group-Object Layer | ForEach-Object { '{0}: {1:F4}' -f $_.Name, ($_.Group.Cosine | Measure-Object -Minimum).Minimum }
/// </code>
/// <para>Writes one row per query and layer to a CSV file, for statistics of your own, and prints each layer's lowest cosine.</para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset llama-tiny -Seed 1
/// $fv = Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors'
/// $queries = foreach ($task in 'antonym', 'country-capital') {
///     $data = Import-IclDataset (Join-Path $fv "$task.json")
///     $data.Test.Items | Select-Object -First 3 | ForEach-Object {
///         [pscustomobject]@{ Input = $_.Input; Output = $_.Output; Demonstrations = $data.Train.Items }
///     }
/// }
/// $queries | Measure-HiddenSimilarity -Model $model -Condition ZeroShot, Icl, InstructionTuned -Shots 2 -AdapterSteps 3 -Centred |
///     Format-Table Layer, Pair, MeanCosine, MeanCentredCosine, N
/// </code>
/// <para>
/// Six queries of two tasks in one call, each with 2 demonstrations of its own task in its prompt and its adapter; the
/// centred cosine subtracts the mean state over all six queries and the three conditions.
/// </para>
/// </example>
[Cmdlet(VerbsDiagnostic.Measure, "HiddenSimilarity", DefaultParameterSetName = QueryInput.DatasetSet, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#measure-hiddensimilarity")]
[OutputType(typeof(HiddenSimilarityRow), typeof(HiddenSimilarityInputRow), typeof(HiddenSimilarityTest))]
public sealed class MeasureHiddenSimilarityCommand : FewShotCmdlet
{
    private const string ZeroShotCondition = "ZeroShot";
    private const string IclCondition = "Icl";
    private const string OtherModelCondition = "OtherModel";
    private const string InstructionTunedCondition = "InstructionTuned";

    /// <summary>Duan et al.'s names of the pairs, accepted by -Contrast: the anchor is the zero-shot condition.</summary>
    private static readonly Dictionary<string, string> PairAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AnchorIcl"] = HiddenSimilarity.PairName(ZeroShotCondition, IclCondition),
        ["AnchorIt"] = HiddenSimilarity.PairName(ZeroShotCondition, InstructionTunedCondition),
        ["IclIt"] = HiddenSimilarity.PairName(IclCondition, InstructionTunedCondition),
    };

    /// <summary>
    /// The conditions of -Model to compare: ZeroShot (no demonstrations), Icl (-Shots demonstrations) and InstructionTuned
    /// (zero-shot through a LoRA adapter tuned for that query on its -Shots demonstrations). Default: ZeroShot and Icl.
    /// </summary>
    [Parameter]
    [ValidateSet(ZeroShotCondition, IclCondition, InstructionTunedCondition, IgnoreCase = true)]
    [ValidateNotNullOrEmpty]
    public string[] Condition { get; set; } = [ZeroShotCondition, IclCondition];

    /// <summary>
    /// Demonstrations per prompt in the Icl condition, and per adapter in the InstructionTuned condition (the same ones for
    /// the same query), 0 or more (0: Icl is the zero-shot prompt, and the adapters learn nothing). Default: 5.
    /// </summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Shots { get; set; } = 5;

    /// <summary>AdamW updates of each InstructionTuned adapter, 0 or more (0 leaves its B = 0: the model unchanged). Default: 20.</summary>
    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public int AdapterSteps { get; set; } = 20;

    /// <summary>AdamW's learning rate for the InstructionTuned adapters, constant over each tuning. Default: 0.01.</summary>
    [Parameter]
    [ValidateRange(1e-12, 10.0)]
    public double AdapterLearningRate { get; set; } = 1e-2;

    /// <summary>r, the rank of each InstructionTuned adapter pair. Default: 4.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int AdapterRank { get; set; } = 4;

    /// <summary>lora_alpha of the InstructionTuned adapters: the delta B A is scaled by alpha / r. Default: 8.</summary>
    [Parameter]
    [ValidateRange(1e-9, 1e9)]
    public double AdapterAlpha { get; set; } = 8;

    /// <summary>
    /// The projections the InstructionTuned adapters adapt, matched as Start-IclAdapterTraining -TargetModule matches them
    /// (all-linear for every projection but the output head). Default: q_proj and v_proj for LLaMA, c_attn for GPT-2.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AdapterTargetModule { get; set; }

    /// <summary>
    /// The demonstration pool: objects with Input and Output properties (or Query and Expected). Given on the command line, every
    /// query draws from it. Or bound from the Demonstrations property of each piped query: each query then draws from its own
    /// pool (its task's, e.g. the train split of its held-out map), so queries of different tasks run in one call and the
    /// summary rows, the tests and the -Centred mean cover them all.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateNotNullOrEmpty]
    public override object[] Demonstrations { get; set; } = [];

    /// <summary>
    /// This query's pool for the InstructionTuned adapter alone, bound from the AdapterDemonstrations property of piped queries
    /// (objects with Input and Output): the per-query form of -AdapterDataset, e.g. each query's adapter tuned on another
    /// map's demonstrations. Takes precedence over -AdapterDataset. Needs the InstructionTuned condition. Default: none.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public object[]? AdapterDemonstrations { get; set; }

    /// <summary>
    /// A dataset (from Import-IclDataset) whose train split the InstructionTuned adapters draw their -Shots demonstrations
    /// from, instead of the ones the Icl prompt shows: the control of an adapter tuned on another task (another map). Needs
    /// the InstructionTuned condition. Default: none.
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public IclDatasetSplit? AdapterDataset { get; set; }

    /// <summary>
    /// Wrong labels: each query's demonstrations keep their inputs but their outputs are deranged among them (no output stays
    /// with its input; fewer than two demonstrations are left as they are), in the Icl prompts and in what the
    /// InstructionTuned adapters learn alike.
    /// </summary>
    [Parameter]
    public SwitchParameter ShuffleLabels { get; set; }

    /// <summary>
    /// Also measures the centred cosine: of the states minus the layer's mean state over every query and condition. Keeps
    /// every query's last-token states until the end (queries x conditions x layers x d_model doubles).
    /// </summary>
    [Parameter]
    public SwitchParameter Centred { get; set; }

    /// <summary>Writes one HiddenSimilarityInputRow per query, layer and pair instead of the summary rows.</summary>
    [Parameter]
    public SwitchParameter PerInput { get; set; }

    /// <summary>
    /// Two pairs to test against each other at every layer: is the first pair's cosine above (-Alternative) the second's?
    /// Pairs are named as the rows' Pair ("ConditionA-ConditionB", e.g. Icl-InstructionTuned, ZeroShot-Icl) or by Duan et
    /// al.'s names AnchorIcl, AnchorIt and IclIt. Writes one HiddenSimilarityTest per layer after the rows. Default: none.
    /// </summary>
    [Parameter]
    [ValidateCount(2, 2)]
    [ValidateNotNullOrEmpty]
    public string[]? Contrast { get; set; }

    /// <summary>
    /// The alternative of the -Contrast test, on the differences first pair minus second: Greater (the first pair's cosine
    /// tends to be higher), Less, or TwoSided. Default: Greater.
    /// </summary>
    [Parameter]
    public Alternative Alternative { get; set; } = Alternative.Greater;

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
    private (string Pair, string Reference)? _contrast;
    private IReadOnlyList<IclExample> _pool = [];
    // False when each piped query brings its own -Demonstrations.
    private bool _sharedPool;
    private HiddenSimilarityOptions _options = null!;
    private SimilarityPrompts _prompts = null!;
    private PromptEncoder[] _encoders = [];
    // Queries and their pools only: the hidden states are reduced to running statistics batch by batch inside the engine.
    private readonly List<SimilarityQuery> _queries = [];
    private bool _queriesFromInput;
    private int _seen;

    protected override void Begin()
    {
        var conditions = new List<SimilarityCondition>();
        var wanted = Condition.Select(c => c.ToLowerInvariant()).ToHashSet();
        if (wanted.Contains("zeroshot")) conditions.Add(SimilarityCondition.ZeroShot(Model, ZeroShotCondition));
        if (wanted.Contains("icl")) conditions.Add(SimilarityCondition.Icl(Model, Shots, IclCondition));
        if (wanted.Contains("instructiontuned")) conditions.Add(SimilarityCondition.InstructionTuned(Model, Shots, Tuning(), InstructionTunedCondition));
        else if (AdapterDataset is not null)
            throw new IclPsException("AdapterDatasetWithoutTuning", IclErrorKind.InvalidArgument,
                "-AdapterDataset gives the InstructionTuned adapters their demonstrations; add InstructionTuned to -Condition.", AdapterDataset.Train.Name);
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
        if (Contrast is not null)
        {
            _contrast = (ResolvePair(Contrast[0]), ResolvePair(Contrast[1]));
            if (_contrast.Value.Pair == _contrast.Value.Reference)
                throw new IclPsException("InvalidContrast", IclErrorKind.InvalidArgument, $"-Contrast compares two different pairs, got {_contrast.Value.Pair} twice.", Contrast);
        }

        var format = Format();
        format.Validate();
        // A -Demonstrations bound before the first record came from the command line; otherwise it comes with each query.
        _sharedPool = ParameterSetName == QueryInput.DatasetSet || MyInvocation.BoundParameters.ContainsKey(nameof(Demonstrations));
        var poolName = "each query's own Demonstrations";
        if (_sharedPool) (_pool, poolName) = DemonstrationPool(_conditions.Max(c => c.Shots));
        _options = new HiddenSimilarityOptions
        {
            Format = format, Seed = Seed, BatchSize = BatchSize, TruncateLongPrompts = TruncateLongPrompts, ShuffleLabels = ShuffleLabels, Centred = Centred,
        };
        // Settings that would fail every query fail here, before the pipeline is read.
        HiddenSimilarity.ValidateConditions(_conditions, _options);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(AdapterDemonstrations)) && _conditions.All(c => c.Tuning is null))
            throw new IclPsException("AdapterDemonstrationsWithoutTuning", IclErrorKind.InvalidArgument,
                "-AdapterDemonstrations are for the InstructionTuned adapters; add InstructionTuned to -Condition.", null);
        // The engine runs every query through every condition in one call and a prompt that cannot be built fails it all,
        // so each query's prompts are built here first, exactly as the engine will build them, and a failing query is skipped.
        _prompts = new SimilarityPrompts(_conditions, _pool, _options);
        _encoders = _conditions
            .Select(c => new PromptEncoder(c.Model.Tokenizer, c.Model.Config.ContextLength, c.Model.Config.VocabSize, _options.AddBos, _options.TruncateLongPrompts))
            .ToArray();
        _queriesFromInput = QueriesFromInput;

        WriteVerbose($"Conditions: {string.Join("; ", _conditions.Select(c => $"{c.Name} = {c.Description} ({c.Model.Source})"))}.");
        WriteVerbose($"Prompt format: description {QueryInput.Show(format.Description)}, template {QueryInput.Show(format.InputTemplate)}, " +
                     $"target delimiter {QueryInput.Show(format.TargetDelimiter)}, few-shot delimiter {QueryInput.Show(format.FewShotDelimiter)}; " +
                     $"demonstrations from {poolName}{(_sharedPool ? $" ({_pool.Count} items)" : "")}{(ShuffleLabels ? " with their labels deranged" : "")}, seed {Seed}, batch size {BatchSize}.");
    }

    protected override void Process()
    {
        if (!_queriesFromInput || _seen >= First) return;
        _seen++;
        var example = QueryInput.Query(Input, Output, outputRequired: false);
        var shots = _conditions.Max(c => c.Shots);
        IReadOnlyList<IclExample>? own = null, adapterOwn = null;
        if (!_sharedPool)
        {
            own = QueryInput.Demonstrations(Demonstrations);
            QueryInput.RequirePool(own, shots, $"the Demonstrations of query '{example.Input}'");
        }
        if (AdapterDemonstrations is not null)
        {
            if (_conditions.All(c => c.Tuning is null))
                throw new IclPsException("AdapterDemonstrationsWithoutTuning", IclErrorKind.InvalidArgument,
                    $"Query '{example.Input}' brings AdapterDemonstrations for the InstructionTuned adapters; add InstructionTuned to -Condition.", example.Input);
            adapterOwn = QueryInput.Demonstrations(AdapterDemonstrations);
            QueryInput.RequirePool(adapterOwn, Shots, $"the AdapterDemonstrations of query '{example.Input}'");
        }
        Accept(new SimilarityQuery(example, own, adapterOwn));
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
                    Accept(new SimilarityQuery(query));
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
        var tuned = _conditions.Count(c => c.Tuning is not null);
        var adapters = tuned == 0 ? null : StartProgress("Tuning an adapter per query", progress.ActivityId);
        var adaptersDone = 0;
        var stopwatch = Stopwatch.StartNew();
        var previous = 0;
        var interventions = new InterventionTally();
        var options = _options with
        {
            Interventions = interventions,
            // Both called on this thread (after each batch, after each adapter), so writing records from here is allowed.
            Progress = p =>
            {
                WriteVerbose($"Batch of {p.Completed - previous} queries through {_conditions.Length} conditions in {stopwatch.Elapsed.TotalSeconds:F2} s.");
                progress.Report(p.Completed, _queries.Count, $"{p.Completed} of {_queries.Count} queries");
                previous = p.Completed;
                stopwatch.Restart();
            },
            AdapterTuned = a =>
            {
                adaptersDone++;
                WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                    $"{a.Condition}, query {a.InputIndex}: adapter tuned on {a.Demonstrations} demonstrations, {a.Steps} updates, loss {a.FirstLoss:0.0000} -> {a.LastLoss:0.0000}, {a.Elapsed.TotalSeconds:F2} s."));
                adapters!.Report(adaptersDone, (long)tuned * _queries.Count, $"adapter {adaptersDone} of {tuned * _queries.Count}");
            },
            AdapterFailed = f =>
            {
                adaptersDone++;
                WriteItemError(new IclPsException("AdapterDiverged", IclErrorKind.InvalidData,
                    $"{f.Condition}, query {f.InputIndex} ('{f.Input}'): {f.Error.Message} The query is left out; a lower -AdapterLearningRate may help.", f.Input));
            },
        };
        var result = HiddenSimilarity.Measure(_conditions, _queries, _pool, options, Cancellation);
        adapters?.Complete();
        progress.Complete();
        if (result.Inputs.Count == 0)
            throw new IclPsException("NoQueries", IclErrorKind.InvalidData, "Every query's adapter diverged, so there is no similarity to report.", null);
        ReportInterventions(interventions, string.Join(", ", _conditions.Where(c => c.TaskVector is not null).Select(c => $"{c.Name} ({c.TaskVector})")));
        if (PerInput) WriteObject(result.Inputs, enumerateCollection: true);
        else WriteObject(result.Rows, enumerateCollection: true);
        if (_contrast is not (var pair, var reference)) return;
        foreach (var measure in Centred ? new[] { HiddenSimilarityContrast.Cosine, HiddenSimilarityContrast.CentredCosine } : [HiddenSimilarityContrast.Cosine])
            WriteObject(HiddenSimilarityContrast.Test(result.Inputs, pair, reference, Alternative, measure), enumerateCollection: true);
    }

    /// <summary>The InstructionTuned condition's adapters as the parameters ask; another dataset's pool must hold -Shots items.</summary>
    private InstructionTuning Tuning()
    {
        var pool = AdapterDataset?.Train.Items;
        var poolName = AdapterDataset is null ? null : $"the train split of {AdapterDataset.Train.Name}";
        if (pool is not null) QueryInput.RequirePool(pool, Shots, poolName!);
        return new InstructionTuning
        {
            Rank = AdapterRank, Alpha = AdapterAlpha, TargetModules = AdapterTargetModule, Steps = AdapterSteps, LearningRate = AdapterLearningRate,
            DemonstrationPool = pool, DemonstrationPoolName = poolName,
        };
    }

    /// <summary>A -Contrast pair: a Pair name of the conditions measured ("A-B", any case), or one of Duan et al.'s names for it.</summary>
    private string ResolvePair(string name)
    {
        var pairs = (from a in Enumerable.Range(0, _conditions.Length)
                     from b in Enumerable.Range(a + 1, _conditions.Length - a - 1)
                     select HiddenSimilarity.PairName(_conditions[a].Name, _conditions[b].Name)).ToList();
        var wanted = PairAliases.TryGetValue(name, out var alias) ? alias : name;
        return pairs.FirstOrDefault(p => p.Equals(wanted, StringComparison.OrdinalIgnoreCase))
            ?? throw new IclPsException("UnknownPair", IclErrorKind.InvalidArgument,
                $"-Contrast names the pair '{name}'{(alias is null ? "" : $" ({alias})")}, which these conditions do not make; the pairs are {string.Join(", ", pairs)}.", name);
    }

    /// <summary>Keeps a query whose prompt builds and fits under every condition at the index the engine will give it.</summary>
    private void Accept(SimilarityQuery query)
    {
        for (var c = 0; c < _conditions.Length; c++)
        {
            _encoders[c].Encode(_prompts.Prompt(c, query, _queries.Count), reserveContinuation: false);
            // The adapter's demonstrations too: one that cannot be tuned on would otherwise stop every query mid-run. Checked
            // whatever the updates, so the same queries (and indices) are kept across an -AdapterSteps sweep.
            if (_conditions[c].Tuning is not null)
                LoraTrainer.CheckExamples(_conditions[c].Model, _prompts.TuningDemonstrations(c, query, _queries.Count)!, _options.Format, _options.AddBos);
        }
        _queries.Add(query);
    }
}
