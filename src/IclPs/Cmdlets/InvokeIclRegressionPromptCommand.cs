using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Baselines;
using IclPs.Engine.Regression.Evaluation;
using IclPs.Engine.Regression.Prompting;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.TaskVectors;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>
/// Invoke-IclRegressionPrompt: numeric in-context prompts through a regression model, the counterpart of Invoke-IclPrompt
/// for vectors (a separate cmdlet because its queries are (X, Y) arrays, not text). Queries come down the pipeline as
/// objects with X (K rows of D numbers: x_1..x_{K-1} and the query x_K), Y (y_1..y_{K-1}, optionally followed by the
/// expected y_K) and optionally Expected; or, when no X is given, they are drawn from the linear task family of
/// -Dimension/-Points/-TaskPoolSize/-TaskSeed (unbound ones come from the model's recorded training tasks). One
/// <see cref="RegressionPromptResult"/> per query, with the -Baseline predictions alongside the model's. A query the
/// model cannot read is an error for that query only. -TaskVector injects a task vector (New-TaskVector -Method Ltv on this
/// model) at the query's x token, e.g. to test prompts longer than the model was trained on.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "IclRegressionPrompt", DefaultParameterSetName = GenerateSet)]
[OutputType(typeof(RegressionPromptResult))]
public sealed class InvokeIclRegressionPromptCommand : IclPsCmdlet
{
    private const string GenerateSet = "Generate";
    private const string GeneratePathSet = "GeneratePath";
    private const string QuerySet = "Query";
    private const string QueryPathSet = "QueryPath";

    /// <summary>Piped by value when prompts are generated; by name (-Model) when the pipeline carries the queries.</summary>
    [Parameter(ParameterSetName = GenerateSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Parameter(ParameterSetName = QuerySet, Mandatory = true, Position = 0)]
    public IclRegressionModel Model { get; set; } = null!;

    /// <summary>A training run folder (its newest checkpoint) or a checkpoint folder.</summary>
    [Parameter(ParameterSetName = GeneratePathSet, Mandatory = true)]
    [Parameter(ParameterSetName = QueryPathSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>x_1 .. x_K, the last row being the query.</summary>
    [Parameter(ParameterSetName = QuerySet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = QueryPathSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyCollection]
    public double[][] X { get; set; } = [];

    /// <summary>y_1 .. y_{K-1}, or y_1 .. y_K where the last is the expected answer.</summary>
    [Parameter(ParameterSetName = QuerySet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = QueryPathSet, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyCollection]
    public double[] Y { get; set; } = [];

    /// <summary>y_K, when Y holds only the context.</summary>
    [Parameter(ParameterSetName = QuerySet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = QueryPathSet, ValueFromPipelineByPropertyName = true)]
    public double? Expected { get; set; }

    [Parameter(ParameterSetName = GenerateSet), Parameter(ParameterSetName = GeneratePathSet), ValidateRange(1, 1024)]
    public int Dimension { get; set; } = 8;
    [Parameter(ParameterSetName = GenerateSet), Parameter(ParameterSetName = GeneratePathSet), ValidateRange(1, 100_000)]
    public int Points { get; set; } = 16;
    /// <summary>Prompts to generate.</summary>
    [Parameter(ParameterSetName = GenerateSet), Parameter(ParameterSetName = GeneratePathSet), ValidateRange(1, 1_000_000)]
    public int Samples { get; set; } = 10;
    /// <summary>Seed of the generated prompts (the task pool comes from -TaskSeed).</summary>
    [Parameter(ParameterSetName = GenerateSet), Parameter(ParameterSetName = GeneratePathSet)]
    public long Seed { get; set; }
    /// <summary>pretrain: tasks from the pool (fresh when there is none); fresh: a new task per prompt.</summary>
    [Parameter(ParameterSetName = GenerateSet), Parameter(ParameterSetName = GeneratePathSet), ValidateSet("pretrain", "fresh", IgnoreCase = true)]
    public string TaskSource { get; set; } = RegressionTaskSource.Pretrain;

    /// <summary>Skewed draws generated x from N(0, diag(1/i)) (a distribution shift from training).</summary>
    [Parameter(ParameterSetName = GenerateSet), Parameter(ParameterSetName = GeneratePathSet)]
    public InputCovariance Covariance { get; set; } = InputCovariance.Isotropic;
    /// <summary>Generated queries are orthogonal to their demonstrations (needs -Points at most D).</summary>
    [Parameter(ParameterSetName = GenerateSet), Parameter(ParameterSetName = GeneratePathSet)]
    public SwitchParameter OrthogonalQuery { get; set; }

    /// <summary>M for generated prompts and the dMMSE baseline; 0 means fresh tasks (no pool).</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int TaskPoolSize { get; set; }
    [Parameter] public long TaskSeed { get; set; }
    /// <summary>sigma^2 of generated targets and of the Ridge and dMMSE baselines.</summary>
    [Parameter, ValidateRange(0.0, double.MaxValue)] public double NoiseVariance { get; set; } = 0.25;

    [Parameter]
    [ValidateSet("Ridge", "LeastSquares", "NearestNeighbours", "Averaging", "Dmmse", IgnoreCase = true)]
    public string[] Baseline { get; set; } = [];

    [Parameter, ValidateRange(1, 1_000_000)] public int BatchSize { get; set; } = 256;

    /// <summary>Injected at every prompt's query x token; it must have been built on a model of this shape.</summary>
    [Parameter, ValidateNotNull] public TaskVector? TaskVector { get; set; }
    [Parameter, ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)] public string Device { get; set; } = "auto";

    private IclRegressionModel? _loaded;
    private RegressionPromptRunner? _queryRunner;
    private LinearTaskFamily? _queryFamily;
    private int _index;

    private bool FromPath => ParameterSetName is GeneratePathSet or QueryPathSet;
    private bool Generating => ParameterSetName is GenerateSet or GeneratePathSet;

    protected override void Begin()
    {
        if (FromPath)
        {
            _loaded = IclRegressionModel.Load(ResolveFilePath(Path), TorchSelection.Device(Device), cancellationToken: Cancellation);
            WriteVerbose($"Loaded {_loaded.Source} ({_loaded.Config}){(_loaded.Task is null ? "" : $" trained on {_loaded.Task}")}.");
        }
    }

    protected override void Process()
    {
        var model = _loaded ?? Model;
        if (Generating)
        {
            Generate(model);
            return;
        }
        if (_queryRunner is null)
        {
            // Baselines need the task settings only for the noise variance and the dMMSE pool; they are fixed for the whole pipeline.
            var task = Task(model);
            _queryFamily = task.CreateFamily();
            _queryRunner = new RegressionPromptRunner(model, Baselines(_queryFamily), BatchSize, TaskVector);
            WriteVerbose($"Model {model.Name} ({model.Config}) on {model.Network.Device}; baselines {Names(_queryRunner)}.");
        }
        var prompt = RegressionPrompt.Create(_index++, X, Y, Expected);
        WriteObject(_queryRunner.Run([prompt], cancellationToken: Cancellation), enumerateCollection: true);
    }

    private void Generate(IclRegressionModel model)
    {
        var task = Task(model);
        model.CheckFits(task);
        using var family = task.CreateFamily(inputs: new RegressionInputOptions { Covariance = Covariance, OrthogonalQuery = OrthogonalQuery });
        var runner = new RegressionPromptRunner(model, Baselines(family), BatchSize, TaskVector);
        var fresh = TaskSource.Equals(RegressionTaskSource.Fresh, StringComparison.OrdinalIgnoreCase);
        WriteVerbose($"Model {model.Name} ({model.Config}) on {model.Network.Device}: {Samples} {(fresh ? "fresh" : "pretrain")} prompts of {task}, inputs {family.Inputs.Covariance}" +
                     $"{(OrthogonalQuery ? " with orthogonal queries" : "")}, seed {Seed}, baselines {Names(runner)}{(TaskVector is null ? "" : $", injecting {TaskVector}")}.");
        var clock = Stopwatch.StartNew();
        var prompts = RegressionPromptGenerator.Generate(family, task.Points, Samples, Seed, fresh);
        WriteObject(runner.Run(prompts, Seed, Cancellation), enumerateCollection: true);
        WriteVerbose($"{Samples} prompts in {clock.Elapsed.TotalSeconds:F2} s.");
    }

    private RegressionTaskSettings Task(IclRegressionModel model) =>
        RegressionTaskParameters.Resolve(this, model.Task, Dimension, Points, TaskPoolSize, NoiseVariance, TaskSeed);

    private List<IRegressionBaseline> Baselines(LinearTaskFamily family) =>
        Baseline.Select(n => n.ToLowerInvariant()).Distinct().Select<string, IRegressionBaseline>(n => n switch
        {
            "ridge" => new RidgeBaseline(family.NoiseVariance),
            "dmmse" => DmmseBaseline.For(family),
            "leastsquares" => new LeastSquaresBaseline(),
            "nearestneighbours" => new NearestNeighboursBaseline(),
            "averaging" => new AveragingBaseline(),
            _ => throw new UnreachableException(n),
        }).ToList();

    private static string Names(RegressionPromptRunner runner) =>
        runner.Baselines.Count == 0 ? "none" : string.Join(", ", runner.Baselines.Select(b => b.Name));

    protected override void Release()
    {
        _queryFamily?.Dispose();
        _loaded?.Dispose();
    }
}
