using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Evaluation;
using IclPs.Engine.Regression.Prompting;
using IclPs.Engine.Regression.Runs;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>
/// Invoke-IclPrompt on numeric prompts: a regression model (-RegressionModel, or a training run or checkpoint folder with
/// -Path) and queries that come down the pipeline as objects with X (K rows of D numbers: x_1..x_{K-1} and the query x_K),
/// Y (y_1..y_{K-1}, optionally followed by the expected y_K) and optionally Expected (y_K); or, when no X is given, prompts
/// drawn from the linear task family of -Dimension/-Points/-TaskPoolSize/-TaskSeed (unbound ones come from the model's
/// recorded training tasks). One <see cref="RegressionPromptResult"/> per query, with the -Baseline predictions beside the
/// model's. A query the model cannot read is an error for that query only.
/// </summary>
public sealed partial class InvokeIclPromptCommand
{
    private const string NumericTaskSet = "NumericTask";
    private const string NumericTaskPathSet = "NumericTaskPath";
    private const string NumericQuerySet = "NumericQuery";
    private const string NumericQueryPathSet = "NumericQueryPath";

    /// <summary>Piped by value when prompts are generated; given by name when the pipeline carries the queries.</summary>
    [Parameter(ParameterSetName = NumericTaskSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Parameter(ParameterSetName = NumericQuerySet, Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public IclRegressionModel RegressionModel { get; set; } = null!;

    /// <summary>A training run folder (its newest checkpoint) or a checkpoint folder of a regression model.</summary>
    [Parameter(ParameterSetName = NumericTaskPathSet, Mandatory = true)]
    [Parameter(ParameterSetName = NumericQueryPathSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>x_1 .. x_K, the last row being the query.</summary>
    [Parameter(ParameterSetName = NumericQuerySet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = NumericQueryPathSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyCollection]
    public double[][] X { get; set; } = [];

    /// <summary>y_1 .. y_{K-1}, or y_1 .. y_K where the last is the expected answer (else -Output/-Expected gives it).</summary>
    [Parameter(ParameterSetName = NumericQuerySet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = NumericQueryPathSet, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyCollection]
    public double[] Y { get; set; } = [];

    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet), ValidateRange(1, 1024)]
    public int Dimension { get; set; } = 8;

    /// <summary>Pairs per generated prompt, the query included (K).</summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet), ValidateRange(1, 100_000)]
    public int Points { get; set; } = 16;

    /// <summary>Prompts to generate.</summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet), ValidateRange(1, 1_000_000)]
    public int Samples { get; set; } = 10;

    /// <summary>pretrain: tasks from the pool (fresh when there is none); fresh: a new task per prompt.</summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    [ValidateSet("pretrain", "fresh", IgnoreCase = true)]
    public string TaskSource { get; set; } = RegressionTaskSource.Pretrain;

    /// <summary>Skewed draws generated x from N(0, diag(1/i)) (a distribution shift from training).</summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    public InputCovariance Covariance { get; set; } = InputCovariance.Isotropic;

    /// <summary>Generated queries are orthogonal to their demonstrations (needs -Points at most D).</summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    public SwitchParameter OrthogonalQuery { get; set; }

    /// <summary>M for generated prompts and the dMMSE baseline; 0 means fresh tasks (no pool).</summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    [Parameter(ParameterSetName = NumericQuerySet), Parameter(ParameterSetName = NumericQueryPathSet)]
    [ValidateRange(0, int.MaxValue)]
    public int TaskPoolSize { get; set; }

    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    [Parameter(ParameterSetName = NumericQuerySet), Parameter(ParameterSetName = NumericQueryPathSet)]
    public long TaskSeed { get; set; }

    /// <summary>sigma^2 of generated targets and of the Ridge and dMMSE baselines.</summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    [Parameter(ParameterSetName = NumericQuerySet), Parameter(ParameterSetName = NumericQueryPathSet)]
    [ValidateRange(0.0, double.MaxValue)]
    public double NoiseVariance { get; set; } = 0.25;

    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    [Parameter(ParameterSetName = NumericQuerySet), Parameter(ParameterSetName = NumericQueryPathSet)]
    [ValidateSet("Ridge", "LeastSquares", "NearestNeighbours", "Averaging", "Dmmse", IgnoreCase = true)]
    public string[] Baseline { get; set; } = [];

    /// <summary>Where a -Path model runs.</summary>
    [Parameter(ParameterSetName = NumericTaskPathSet), Parameter(ParameterSetName = NumericQueryPathSet)]
    [ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)]
    public string Device { get; set; } = "auto";

    /// <summary>Numeric prompts are tiny (2K tokens of D + 1 numbers): batches far larger than text ones cost little.</summary>
    private const int NumericDefaultBatchSize = 256;

    private IclRegressionModel? _loadedRegressionModel;
    private RegressionPromptRunner? _queryRunner;
    private LinearTaskFamily? _queryFamily;
    private int _queryIndex;

    // Not the parameter set: before piped input arrives it can still be undecided between queries and generated prompts.
    private bool FromPath => MyInvocation.BoundParameters.ContainsKey(nameof(Path));
    private bool Generating => ParameterSetName is NumericTaskSet or NumericTaskPathSet;
    private int NumericBatchSize => MyInvocation.BoundParameters.ContainsKey(nameof(BatchSize)) ? BatchSize : NumericDefaultBatchSize;

    private void BeginNumeric()
    {
        if (Generating && MyInvocation.BoundParameters.ContainsKey(nameof(Output)))
            throw new IclPsException("RegressionPromptExpectedWithoutQuery", IclErrorKind.InvalidArgument,
                "-Output/-Expected belongs to a numeric query given with -X; generated prompts carry their own expected y.", Output);
        if (FromPath)
        {
            _loadedRegressionModel = IclRegressionModel.Load(ResolveFilePath(Path), TorchSelection.Device(Device), cancellationToken: Cancellation);
            WriteVerbose($"Loaded {_loadedRegressionModel.Source} ({_loadedRegressionModel.Config})" +
                         $"{(_loadedRegressionModel.Task is null ? "" : $" trained on {_loadedRegressionModel.Task}")}.");
        }
    }

    private void ProcessNumeric()
    {
        if (Generating)
        {
            Generate(NumericModel);
            return;
        }
        if (_queryRunner is null)
        {
            try
            {
                CreateQueryRunner();
            }
            catch (IclPsException e)
            {
                // A setup the runner cannot take (dMMSE without a pool, a task vector of another shape) would fail every query alike.
                Terminate(e);
            }
        }
        var index = _queryIndex++;
        var prompt = RegressionPrompt.Create(index, X, Y, ExpectedY(index));
        WriteObject(_queryRunner.Run([prompt], cancellationToken: Cancellation), enumerateCollection: true);
    }

    /// <summary>
    /// The runner every piped query shares, made at the first one: only then is the parameter set (queries, not a piped model)
    /// known. Baselines need the task settings only for the noise variance and the dMMSE pool.
    /// </summary>
    [MemberNotNull(nameof(_queryRunner))]
    private void CreateQueryRunner()
    {
        var model = NumericModel;
        _queryFamily = NumericTask(model).CreateFamily();
        _queryRunner = new RegressionPromptRunner(model, RegressionBaselines.Create(Baseline, _queryFamily), NumericBatchSize, TaskVector);
        WriteVerbose($"Model {model.Name} ({model.Config}) on {model.Network.Device}; baselines {BaselineNames(_queryRunner)}" +
                     $"{(TaskVector is null ? "" : $", injecting {TaskVector}")}.");
    }

    private IclRegressionModel NumericModel => _loadedRegressionModel ?? RegressionModel;

    /// <summary>-Output (alias Expected) as y_K: piped objects carry it as a number, PowerShell hands it over as text.</summary>
    private double? ExpectedY(int index)
    {
        if (string.IsNullOrWhiteSpace(Output)) return null;
        return double.TryParse(Output, NumberStyles.Float, CultureInfo.InvariantCulture, out var y)
            ? y
            : throw new IclPsException("RegressionPromptExpectedNotANumber", IclErrorKind.InvalidArgument,
                $"Query {index}: the expected y_K must be a number, got '{Output}'.", Output);
    }

    private void Generate(IclRegressionModel model)
    {
        var task = NumericTask(model);
        model.CheckFits(task);
        using var family = task.CreateFamily(inputs: new RegressionInputOptions { Covariance = Covariance, OrthogonalQuery = OrthogonalQuery });
        var runner = new RegressionPromptRunner(model, RegressionBaselines.Create(Baseline, family), NumericBatchSize, TaskVector);
        var fresh = TaskSource.Equals(RegressionTaskSource.Fresh, StringComparison.OrdinalIgnoreCase);
        WriteVerbose($"Model {model.Name} ({model.Config}) on {model.Network.Device}: {Samples} {(fresh ? "fresh" : "pretrain")} prompts of {task}, inputs {family.Inputs.Covariance}" +
                     $"{(OrthogonalQuery ? " with orthogonal queries" : "")}, seed {Seed}, baselines {BaselineNames(runner)}{(TaskVector is null ? "" : $", injecting {TaskVector}")}.");
        var clock = Stopwatch.StartNew();
        var prompts = RegressionPromptGenerator.Generate(family, task.Points, Samples, Seed, fresh);
        WriteObject(runner.Run(prompts, Seed, Cancellation), enumerateCollection: true);
        WriteVerbose($"{Samples} prompts in {clock.Elapsed.TotalSeconds:F2} s.");
    }

    private RegressionTaskSettings NumericTask(IclRegressionModel model) =>
        RegressionTaskParameters.Resolve(this, model.Task, Dimension, Points, TaskPoolSize, NoiseVariance, TaskSeed);

    private static string BaselineNames(RegressionPromptRunner runner) =>
        runner.Baselines.Count == 0 ? "none" : string.Join(", ", runner.Baselines.Select(b => b.Name));

    protected override void Release()
    {
        _queryFamily?.Dispose();
        _loadedRegressionModel?.Dispose();
    }
}
