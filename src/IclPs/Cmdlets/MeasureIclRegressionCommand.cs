using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Regression.Baselines;
using IclPs.Engine.Regression.Evaluation;
using IclPs.Engine.Regression.Runs;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>
/// Measure-IclRegression: error-per-position curves of regression models and baselines on pool ("pretrain") and fresh
/// tasks, with Delta(model, baseline) (methods.md section 2). Models come down the pipeline as objects or as checkpoint
/// paths (a run folder means its newest checkpoint). Task parameters left unbound come from the model's recorded training
/// tasks. Output: one <see cref="RegressionErrorRow"/> per (model, task source, position, method); with -Summary, one
/// <see cref="RegressionSummary"/> per (model, task source) instead.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "IclRegression", DefaultParameterSetName = ModelSet)]
[OutputType(typeof(RegressionErrorRow), typeof(RegressionSummary))]
public sealed class MeasureIclRegressionCommand : IclPsCmdlet
{
    private const string ModelSet = "Model";
    private const string PathSet = "Path";

    [Parameter(ParameterSetName = ModelSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public IclRegressionModel[] Model { get; set; } = [];

    [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter, ValidateRange(1, 1024)] public int Dimension { get; set; } = 8;
    [Parameter, ValidateRange(1, 100_000)] public int Points { get; set; } = 16;
    /// <summary>M; 0 means fresh tasks (no pool, so no dMMSE).</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int TaskPoolSize { get; set; }
    [Parameter, ValidateRange(0.0, double.MaxValue)] public double NoiseVariance { get; set; } = 0.25;
    [Parameter] public long TaskSeed { get; set; }

    /// <summary>Sequences per task source.</summary>
    [Parameter, ValidateRange(1, 10_000_000)] public int Samples { get; set; } = 1000;
    [Parameter, ValidateRange(1, 1_000_000)] public int BatchSize { get; set; } = 250;
    /// <summary>Seed of the evaluation sequences (the task pool comes from -TaskSeed).</summary>
    [Parameter] public long Seed { get; set; }

    /// <summary>Baselines to compare with; by default all of them, dMMSE only when there is a task pool.</summary>
    [Parameter]
    [ValidateSet("Ridge", "Dmmse", "LeastSquares", "NearestNeighbours", "Averaging", IgnoreCase = true)]
    public string[]? Baseline { get; set; }

    [Parameter, ValidateSet("pretrain", "fresh", IgnoreCase = true)]
    public string[] TaskSource { get; set; } = [RegressionTaskSource.Pretrain, RegressionTaskSource.Fresh];

    /// <summary>Emit one summary per model and task source instead of the per-position rows.</summary>
    [Parameter] public SwitchParameter Summary { get; set; }

    [Parameter, ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)] public string Device { get; set; } = "auto";

    protected override void Process()
    {
        if (ParameterSetName == ModelSet)
        {
            foreach (var model in Model) Guarded(() => Measure(model));
            return;
        }
        foreach (var path in Path)
        {
            Guarded(() =>
            {
                using var model = IclRegressionModel.Load(ResolveFilePath(path), TorchSelection.Device(Device), cancellationToken: Cancellation);
                WriteVerbose($"Loaded {model.Source} ({model.Config}){(model.Task is null ? "" : $" trained on {model.Task}")}.");
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
        using var family = task.CreateFamily();
        var evaluator = new RegressionEvaluator(family, task.Points, new RegressionEvaluationOptions
        {
            Samples = Samples, BatchSize = BatchSize, Seed = Seed, Baselines = Baselines(family),
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

    // By default every baseline the family supports: dMMSE needs a task pool.
    private List<IRegressionBaseline> Baselines(Engine.Regression.LinearTaskFamily family) =>
        RegressionBaselines.Create(Baseline ?? (family.Pool is null
            ? ["Ridge", "LeastSquares", "NearestNeighbours", "Averaging"]
            : ["Ridge", "Dmmse", "LeastSquares", "NearestNeighbours", "Averaging"]), family);
}
