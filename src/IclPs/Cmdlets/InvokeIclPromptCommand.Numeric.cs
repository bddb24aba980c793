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

/// <remarks>
/// <para>
/// Numeric prompts (-RegressionModel, or a training run or checkpoint folder with -Path) ask a regression model for y_K
/// given the pairs (x_1, y_1) .. (x_{K-1}, y_{K-1}) and the query x_K. Queries come down the pipeline as objects with X
/// (K rows of D numbers, the last row the query), Y (y_1 .. y_{K-1}, optionally followed by the expected y_K) and
/// optionally Expected (y_K). Without X, the cmdlet draws -Samples prompts of -Points pairs from a linear task family
/// (-Dimension, -TaskPoolSize, -NoiseVariance, -TaskSeed; unbound ones come from the model's training tasks), from the
/// pool (-TaskSource pretrain) or fresh tasks, optionally shifted (-Covariance Skewed, -OrthogonalQuery).
/// </para>
/// <para>
/// One RegressionPromptResult per query: Index, Prediction, Expected, SquaredError, one column per -Baseline (Ridge,
/// LeastSquares, NearestNeighbours, Averaging, Dmmse: each baseline's prediction of y_K from the same pairs), Points,
/// Dimension, Model, Seed and Intervention. A query with ragged X rows, the wrong number of Y values, or a D or K the model
/// cannot read is an error for that query only (RegressionPrompt* error ids); the other queries still run.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-IclModel linear-d8 -Load | Invoke-IclPrompt -TaskSource fresh -Samples 5 -Baseline Ridge, LeastSquares</code>
/// <para>
/// Draws 5 prompts of 16 pairs from fresh D = 8 linear tasks and compares the model's y_K with the Ridge and least-squares
/// estimates from the same 15 examples.
/// </para>
/// </example>
/// <example>
/// <code>
/// $linear = Get-IclModel linear-d8 -Load
/// [pscustomobject]@{ X = @(@(1, 0), @(0, 1), @(1, 1)); Y = @(2, -1, 1) } | Invoke-IclPrompt -RegressionModel $linear -Baseline Ridge
/// </code>
/// <para>
/// Asks for y_3 of a hand-written prompt with D = 2 (y = 2 x_1 - x_2, so the expected y_3 = 1 is the last Y value): the
/// result shows the model's prediction, its squared error and Ridge's prediction.
/// </para>
/// </example>
/// <example>
/// <code>
/// $run = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
/// Start-IclTraining -Dimension 2 -Points 5 -Steps 20 -BatchSize 16 -EvaluationSamples 16 -Path $run | Out-Null
/// Invoke-IclPrompt -Path $run -Samples 3 -Seed 1
/// </code>
/// <para>
/// Trains a tiny regression model for 20 updates into a run folder, then prompts its newest checkpoint by path on 3 prompts
/// drawn from the tasks it was trained on (D = 2, K = 5).
/// </para>
/// </example>
/// <example>
/// <code>
/// $linear = Get-IclModel linear-d8 -Load
/// $vector = $linear | New-TaskVector -Method Ltv -Covariance Skewed -Prompts 8 -TrainPrompts 16 -ValidationPrompts 8 -MaxEpochs 2
/// Invoke-IclPrompt -RegressionModel $linear -Samples 5 -TaskSource fresh -Covariance Skewed -TaskVector $vector -Baseline Ridge
/// </code>
/// <para>
/// Trains a small learnable task vector on skewed-covariance inputs and injects it at the query's x token of 5 prompts
/// under the same shift.
/// </para>
/// </example>
public sealed partial class InvokeIclPromptCommand
{
    private const string NumericTaskSet = "NumericTask";
    private const string NumericTaskPathSet = "NumericTaskPath";
    private const string NumericQuerySet = "NumericQuery";
    private const string NumericQueryPathSet = "NumericQueryPath";

    /// <summary>
    /// The regression model (an IclRegressionModel, e.g. from Get-IclModel linear-d8 -Load or Start-IclTraining -PassThru).
    /// Pipe it in to generate prompts; name it when the pipeline carries the queries.
    /// </summary>
    [Parameter(ParameterSetName = NumericTaskSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Parameter(ParameterSetName = NumericQuerySet, Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public IclRegressionModel RegressionModel { get; set; } = null!;

    /// <summary>
    /// A regression model's training run folder (its newest checkpoint is used) or checkpoint folder, loaded for this
    /// command and released after it. Relative paths are resolved from the current PowerShell location.
    /// </summary>
    [Parameter(ParameterSetName = NumericTaskPathSet, Mandatory = true)]
    [Parameter(ParameterSetName = NumericQueryPathSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>
    /// A numeric query's inputs x_1 .. x_K: K rows of D numbers each, the last row being the query x_K. Usually bound from
    /// the X property of piped objects.
    /// </summary>
    [Parameter(ParameterSetName = NumericQuerySet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = NumericQueryPathSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyCollection]
    public double[][] X { get; set; } = [];

    /// <summary>
    /// A numeric query's targets: y_1 .. y_{K-1}, or y_1 .. y_K where the last is the expected answer (else -Output or
    /// -Expected gives it, or there is none). Usually bound from the Y property of piped objects.
    /// </summary>
    [Parameter(ParameterSetName = NumericQuerySet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = NumericQueryPathSet, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyCollection]
    public double[] Y { get; set; } = [];

    /// <summary>The input dimension D of generated prompts, from 1 to 1024.</summary>
    /// <value>the model's training tasks (8 when it has none recorded)</value>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet), ValidateRange(1, 1024)]
    public int Dimension { get; set; } = 8;

    /// <summary>The pairs per generated prompt K, the query included, from 1 to 100000.</summary>
    /// <value>the model's training tasks (16 when it has none recorded)</value>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet), ValidateRange(1, 100_000)]
    public int Points { get; set; } = 16;

    /// <summary>The number of prompts to generate, from 1 to 1000000. Default: 10.</summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet), ValidateRange(1, 1_000_000)]
    public int Samples { get; set; } = 10;

    /// <summary>
    /// Where generated prompts' tasks come from: pretrain, the task pool (fresh tasks when there is no pool), or fresh, a new
    /// task per prompt. Default: pretrain.
    /// </summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    [ValidateSet("pretrain", "fresh", IgnoreCase = true)]
    public string TaskSource { get; set; } = RegressionTaskSource.Pretrain;

    /// <summary>
    /// The distribution of generated inputs x: Isotropic, N(0, I) as in training, or Skewed, N(0, diag(1/i)) for i = 1..D (a
    /// distribution shift). Default: Isotropic.
    /// </summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    public InputCovariance Covariance { get; set; } = InputCovariance.Isotropic;

    /// <summary>
    /// Draws each generated query x orthogonal to its prompt's demonstrations (a distribution shift); needs -Points at most D.
    /// </summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    public SwitchParameter OrthogonalQuery { get; set; }

    /// <summary>
    /// The number M of tasks in the pool that generated prompts and the dMMSE baseline use; 0 means no pool (fresh tasks,
    /// and no dMMSE).
    /// </summary>
    /// <value>the model's training tasks (no pool when it has none recorded)</value>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    [Parameter(ParameterSetName = NumericQuerySet), Parameter(ParameterSetName = NumericQueryPathSet)]
    [ValidateRange(0, int.MaxValue)]
    public int TaskPoolSize { get; set; }

    /// <summary>Seed of the task pool's tasks (with -TaskPoolSize above 0).</summary>
    /// <value>the model's training tasks (0 when it has none recorded)</value>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    [Parameter(ParameterSetName = NumericQuerySet), Parameter(ParameterSetName = NumericQueryPathSet)]
    public long TaskSeed { get; set; }

    /// <summary>
    /// The noise variance sigma^2, 0 or more, of generated targets and of the Ridge and dMMSE baselines' prior.
    /// </summary>
    /// <value>the model's training tasks (0.25 when it has none recorded)</value>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    [Parameter(ParameterSetName = NumericQuerySet), Parameter(ParameterSetName = NumericQueryPathSet)]
    [ValidateRange(0.0, 1e6)]
    public double NoiseVariance { get; set; } = 0.25;

    /// <summary>
    /// Baselines whose prediction of y_K from the same pairs is written beside the model's: Ridge (posterior mean under
    /// w ~ N(0, I)), LeastSquares (minimum-norm least squares), NearestNeighbours (mean y of the 3 nearest x), Averaging
    /// (w = mean of y_j x_j) and Dmmse (posterior mean over the task pool; needs a pool). Default: none.
    /// </summary>
    [Parameter(ParameterSetName = NumericTaskSet), Parameter(ParameterSetName = NumericTaskPathSet)]
    [Parameter(ParameterSetName = NumericQuerySet), Parameter(ParameterSetName = NumericQueryPathSet)]
    [ValidateSet("Ridge", "LeastSquares", "NearestNeighbours", "Averaging", "Dmmse", IgnoreCase = true)]
    public string[] Baseline { get; set; } = [];

    /// <summary>
    /// Where a -Path model is loaded: auto (CUDA when this build of IclPs and the machine have it, else the CPU), cpu or
    /// cuda. Default: auto.
    /// </summary>
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
        _queryRunner = new RegressionPromptRunner(model, RegressionBaselines.Create(Baseline, _queryFamily), NumericBatchSize, TaskVector, _interventions);
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
        var runner = new RegressionPromptRunner(model, RegressionBaselines.Create(Baseline, family), NumericBatchSize, TaskVector, _interventions);
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
