using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Regression.Baselines;
using IclPs.Engine.Regression.Evaluation;
using IclPs.Engine.Regression.Runs;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>Measures regression models' in-context error at every prompt position, beside Bayesian and classical baselines.</summary>
/// <remarks>
/// <para>
/// Runs -Samples sequences of each task source through every model: "pretrain" sequences from the task pool (-TaskPoolSize
/// M tasks of -TaskSeed; fresh tasks when there is no pool) and "fresh" sequences, each with a new task. At every position
/// k (1 = no context yet) it measures the squared error of predicting y_k from the k - 1 pairs before it, divided by D,
/// for the model and for the baselines: Ridge, Dmmse (only with a task pool), LeastSquares, NearestNeighbours and
/// Averaging by default. Delta(model, baseline) is the mean squared difference of their predictions, divided by D.
/// </para>
/// <para>
/// -TaskFamily measures on Garg et al.'s other function classes (a model trained on one records it, so it is rarely
/// needed): SparseLinear (s = -Sparsity nonzero weights), DecisionTree (-Depth) and ReluNet (-Hidden units), a fresh
/// task per sequence, so "pretrain" and "fresh" are two draws of one distribution. Their default baselines are those of
/// Garg et al. that IclPs has: LeastSquares, Lasso (-LassoAlpha; sparse tasks only), NearestNeighbours (3-NN) and
/// Averaging; the greedy tree, XGBoost and gradient-trained 2-layer network baselines are not implemented. Divided by D,
/// the trivial prediction 0 scores E[y^2] / D: 1 for linear and ReLU-net tasks, s / D for sparse ones, 1 / D for trees.
/// </para>
/// <para>
/// Models come down the pipeline as IclRegressionModel objects, or as checkpoint paths with -Path (a training run folder
/// means its newest checkpoint). Task parameters not given come from each model's training tasks. Output: one
/// RegressionErrorRow per model, task source, position and method (Model, TaskSource, Position, Method = "model" or a
/// baseline, Error, and Delta on the baselines' rows); with -Summary, one RegressionSummary per model and task source
/// instead, averaged over positions (ModelError, RidgeError, DmmseError, a Delta per baseline, and DeltaRidgeDmmse: the
/// two baselines' own distance on the same sequences when both ran, the finest difference a Delta can resolve). A model
/// that cannot run the tasks (a D or K it cannot read) is an error for that model only.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-IclModel linear-d8* -Load | Measure-IclRegression -TaskPoolSize 4 -TaskSeed 1 -Baseline Ridge, Dmmse -Samples 200 -Summary</code>
/// <para>
/// Compares the two shipped regression models on the pool model's tasks: the fresh-task model tracks Ridge everywhere, the
/// pool model tracks dMMSE and fails on fresh tasks.
/// </para>
/// </example>
/// <example>
/// <code>
/// $png = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).png"
/// Get-IclModel linear-d8 -Load | Measure-IclRegression -TaskSource fresh -Samples 100 -Baseline Ridge, LeastSquares |
///     Export-IclPlot -Path $png -X Position -Y Error -Series Method -YLabel 'squared error / D'
/// </code>
/// <para>Plots the error against the number of in-context examples for the model, Ridge and least squares.</para>
/// </example>
/// <example>
/// <code>
/// $run = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
/// Start-IclTraining -Dimension 2 -Points 5 -Steps 20 -BatchSize 16 -EvaluationSamples 16 -Path $run | Out-Null
/// Measure-IclRegression -Path $run -Samples 50
/// </code>
/// <para>Measures the newest checkpoint of a training run folder on the tasks it recorded (D = 2, K = 5, fresh tasks).</para>
/// </example>
/// <example>
/// <code>
/// $model = Start-IclTraining -TaskFamily SparseLinear -Dimension 4 -Sparsity 2 -Points 9 -Steps 20 -BatchSize 16 -EvaluationSamples 16 -PassThru | Select-Object -Last 1
/// $model | Measure-IclRegression -Samples 100 -Summary | Format-List TaskSource, ModelError, DeltaLeastSquares, DeltaLasso
/// </code>
/// <para>Trains briefly on sparse linear tasks (s = 2 of D = 4) and measures the model beside least squares and Lasso.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Measure, "IclRegression", DefaultParameterSetName = ModelSet, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#measure-iclregression")]
[OutputType(typeof(RegressionErrorRow), typeof(RegressionSummary))]
public sealed class MeasureIclRegressionCommand : IclPsCmdlet
{
    private const string ModelSet = "Model";
    private const string PathSet = "Path";

    /// <summary>
    /// The regression models to measure (IclRegressionModel objects, e.g. from Get-IclModel -Load or Start-IclTraining
    /// -PassThru), usually piped in.
    /// </summary>
    [Parameter(ParameterSetName = ModelSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public IclRegressionModel[] Model { get; set; } = [];

    /// <summary>
    /// Checkpoint folders of regression models, or training run folders (their newest checkpoint is used); each is loaded,
    /// measured and released. Binds from the FullName or PSPath of piped folders.
    /// </summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>
    /// The function class: Linear, SparseLinear, DecisionTree or ReluNet (Garg et al.). Tab completion lists them.
    /// </summary>
    /// <value>each model's training tasks (Linear when it has none recorded)</value>
    [Parameter, ValidateSet("Linear", "SparseLinear", "DecisionTree", "ReluNet", IgnoreCase = true)]
    public string TaskFamily { get; set; } = "Linear";

    /// <summary>SparseLinear: the nonzero weights s of each task, from 1 to D.</summary>
    /// <value>each model's training tasks (3 when it has none recorded)</value>
    [Parameter, ValidateRange(1, 1024)] public int Sparsity { get; set; } = 3;
    /// <summary>DecisionTree: the depth of each tree, from 1 to 20.</summary>
    /// <value>each model's training tasks (4 when it has none recorded)</value>
    [Parameter, ValidateRange(1, 20)] public int Depth { get; set; } = 4;
    /// <summary>ReluNet: the hidden units H of each 2-layer network, from 1 to 100000.</summary>
    /// <value>each model's training tasks (100 when it has none recorded)</value>
    [Parameter, ValidateRange(1, 100_000)] public int Hidden { get; set; } = 100;

    /// <summary>The input dimension D of the tasks, from 1 to 1024.</summary>
    /// <value>each model's training tasks (8 when it has none recorded)</value>
    [Parameter, ValidateRange(1, 1024)] public int Dimension { get; set; } = 8;
    /// <summary>The pairs per sequence K, from 1 to 100000: the positions measured.</summary>
    /// <value>each model's training tasks (16 when it has none recorded)</value>
    [Parameter, ValidateRange(1, 100_000)] public int Points { get; set; } = 16;
    /// <summary>The number M of tasks in the pool "pretrain" sequences come from; 0 means fresh tasks (no pool, so no dMMSE).</summary>
    /// <value>each model's training tasks (no pool when it has none recorded)</value>
    [Parameter, ValidateRange(0, int.MaxValue)] public int TaskPoolSize { get; set; }
    /// <summary>The variance sigma^2 of the target noise, 0 or more; Ridge and dMMSE assume it too.</summary>
    /// <value>each model's training tasks (when it has none recorded: 0.25 for Linear, 0 for the other classes)</value>
    [Parameter, ValidateRange(0.0, 1e6)] public double NoiseVariance { get; set; } = 0.25;
    /// <summary>Seed of the task pool's tasks (with -TaskPoolSize above 0).</summary>
    /// <value>each model's training tasks (0 when it has none recorded)</value>
    [Parameter] public long TaskSeed { get; set; }

    /// <summary>Sequences per task source, from 1 to 10000000. Default: 1000.</summary>
    [Parameter, ValidateRange(1, 10_000_000)] public int Samples { get; set; } = 1000;
    /// <summary>Sequences per forward pass, from 1 to 1000000: larger is faster but needs more memory. Default: 250.</summary>
    [Parameter, ValidateRange(1, 1_000_000)] public int BatchSize { get; set; } = 250;
    /// <summary>Seed of the evaluation sequences (the task pool comes from -TaskSeed). Default: 0.</summary>
    [Parameter] public long Seed { get; set; }

    /// <summary>
    /// The baselines to compare with: Ridge, Dmmse (needs a linear task pool), LeastSquares, Lasso, NearestNeighbours (3-NN),
    /// Averaging. Default: for linear tasks Ridge (when the noise variance is above 0), LeastSquares, NearestNeighbours and
    /// Averaging, with Dmmse when there is a task pool; for SparseLinear LeastSquares, Lasso, NearestNeighbours and
    /// Averaging; for the other classes LeastSquares, NearestNeighbours and Averaging.
    /// </summary>
    [Parameter]
    [ValidateSet("Ridge", "Dmmse", "LeastSquares", "Lasso", "NearestNeighbours", "Averaging", IgnoreCase = true)]
    public string[]? Baseline { get; set; }

    /// <summary>
    /// The Lasso baseline's alpha, above 0, in scikit-learn's objective (1/(2n)) ||y - X w||^2 + alpha ||w||_1. Default: 0.01.
    /// </summary>
    [Parameter, ValidateRange(1e-12, 1e6)] public double LassoAlpha { get; set; } = 0.01;

    /// <summary>
    /// The task sources to measure: pretrain (sequences from the task pool, or fresh tasks without one) and/or fresh (a new
    /// task per sequence). Default: both.
    /// </summary>
    [Parameter, ValidateSet("pretrain", "fresh", IgnoreCase = true)]
    public string[] TaskSource { get; set; } = [RegressionTaskSource.Pretrain, RegressionTaskSource.Fresh];

    /// <summary>Writes one RegressionSummary per model and task source instead of the per-position rows.</summary>
    [Parameter] public SwitchParameter Summary { get; set; }

    /// <summary>
    /// Where -Path models are loaded: auto (CUDA when this build of IclPs and the machine have it, else the CPU), cpu or
    /// cuda. Piped models run where they are. Default: auto.
    /// </summary>
    [Parameter, ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)] public string Device { get; set; } = "auto";

    protected override void Process()
    {
        if (ParameterSetName == ModelSet)
        {
            foreach (var model in Model) Guarded(() => { UseThreadsFor(model.Config.ParameterCount); Measure(model); });
            return;
        }
        foreach (var path in Path)
        {
            Guarded(() =>
            {
                using var model = IclRegressionModel.Load(ResolveFilePath(path), TorchSelection.Device(Device), cancellationToken: Cancellation);
                WriteVerbose($"Loaded {model.Source} ({model.Config}){(model.Task is null ? "" : $" trained on {model.Task}")}.");
                UseThreadsFor(model.Config.ParameterCount);
                Measure(model);
            });
        }
    }

    // One bad model among several is reported and the others still run.
    private void Guarded(Action measure)
    {
        try
        {
            measure();
        }
        catch (IclPsException e)
        {
            WriteItemError(e);
        }
    }

    private void Measure(IclRegressionModel model)
    {
        var task = RegressionTaskParameters.Resolve(this, model.Task, Dimension, Points, TaskPoolSize, NoiseVariance, TaskSeed);
        model.CheckFits(task);
        var family = task.CreateTaskFamily();
        using var owned = family as IDisposable;
        var evaluator = new RegressionEvaluator(family, task.Points, new RegressionEvaluationOptions
        {
            Samples = Samples, BatchSize = BatchSize, Seed = Seed, Baselines = RegressionBaselines.Create(Baseline ?? RegressionBaselines.Defaults(task), family, LassoAlpha),
            Sources = TaskSource.Select(s => s.ToLowerInvariant()).Distinct().ToArray(),
        });
        WriteVerbose($"Measuring {model.Name} on {task}: {Samples} sequences per source in batches of {BatchSize}, seed {Seed}, baselines {string.Join(", ", evaluator.Options.Baselines.Select(b => b.Name))}.");
        var progress = StartProgress($"Measuring {model.Name}");
        progress.Report(0, 0, $"{Samples} sequences per task source");
        try
        {
            var result = evaluator.Evaluate(model.Name, model.Network, Cancellation);
            if (Summary) WriteObject(result.Summaries, enumerateCollection: true);
            else WriteObject(result.Rows, enumerateCollection: true);
        }
        finally
        {
            progress.Complete();
        }
    }
}
