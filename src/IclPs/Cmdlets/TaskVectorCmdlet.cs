using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.TaskVectors;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>
/// What New-TaskVector and Measure-HeadEffect share: the frozen model and its demonstrations, as a text problem (an
/// IclModel and a dataset, in the model's prompt format) or a regression problem (an IclRegressionModel and its linear task
/// family, optionally shifted: skewed covariance, noisier targets, orthogonal query).
/// </summary>
public abstract class TaskVectorCmdlet : IclPsCmdlet
{
    protected const string TextSet = "Text";
    protected const string RegressionSet = "Regression";

    [Parameter(ParameterSetName = TextSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public IclModel Model { get; set; } = null!;

    /// <summary>Demonstrations come from its Train part, validation queries from Valid.</summary>
    [Parameter(ParameterSetName = TextSet, Mandatory = true, Position = 1)]
    [ValidateNotNull]
    public IclDatasetSplit Dataset { get; set; } = null!;

    [Parameter(ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string Description { get; set; } = "";

    [Parameter(ParameterSetName = TextSet)]
    [ValidateNotNullOrEmpty]
    public string Template { get; set; } = PromptFormat.InputPlaceholder;

    [Parameter(ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string TargetDelimiter { get; set; } = " ";

    [Parameter(ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string FewShotDelimiter { get; set; } = "\n\n";

    [Parameter(ParameterSetName = RegressionSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public IclRegressionModel RegressionModel { get; set; } = null!;

    /// <summary>Input dimension D; default: the model's training tasks.</summary>
    [Parameter(ParameterSetName = RegressionSet), ValidateRange(1, 1024)]
    public int Dimension { get; set; } = 8;

    /// <summary>Target noise variance sigma^2 (raise it for the noisy-regression shift); default: the model's training tasks.</summary>
    [Parameter(ParameterSetName = RegressionSet), ValidateRange(0.0, double.MaxValue)]
    public double NoiseVariance { get; set; } = 0.25;

    /// <summary>M pool tasks, 0 for a fresh task per prompt; default: the model's training tasks.</summary>
    [Parameter(ParameterSetName = RegressionSet), ValidateRange(0, int.MaxValue)]
    public int TaskPoolSize { get; set; }

    [Parameter(ParameterSetName = RegressionSet)]
    public long TaskSeed { get; set; }

    /// <summary>Skewed: x ~ N(0, diag(1/i)), the skewed-covariance shift.</summary>
    [Parameter(ParameterSetName = RegressionSet)]
    public InputCovariance Covariance { get; set; } = InputCovariance.Isotropic;

    /// <summary>The query is orthogonal to the demonstrations (needs at most D points).</summary>
    [Parameter(ParameterSetName = RegressionSet)]
    public SwitchParameter OrthogonalQuery { get; set; }

    /// <summary>Loss on the query prediction for training (LTV): squared error or Huber.</summary>
    [Parameter(ParameterSetName = RegressionSet)]
    public RegressionTaskLoss Loss { get; set; } = RegressionTaskLoss.SquaredError;

    /// <summary>Fixes every prompt and random choice.</summary>
    [Parameter]
    public int Seed { get; set; }

    [Parameter, ValidateRange(1, int.MaxValue)]
    public int BatchSize { get; set; } = 16;

    protected bool IsRegression => ParameterSetName == RegressionSet;

    protected TaskVectorProblem CreateProblem()
    {
        if (!IsRegression)
        {
            var format = new PromptFormat { Description = Description, InputTemplate = Template, TargetDelimiter = TargetDelimiter, FewShotDelimiter = FewShotDelimiter };
            format.Validate();
            WriteVerbose($"Model {Model.Name} ({Model.Source}; {Model.Config}); demonstrations from {Dataset.Train.Name} ({Dataset.Train.Count} train, {Dataset.Valid.Count} valid); " +
                         $"template {QueryInput.Show(format.InputTemplate)}, target delimiter {QueryInput.Show(format.TargetDelimiter)}, few-shot delimiter {QueryInput.Show(format.FewShotDelimiter)}.");
            return new TextTaskVectorProblem(Model, Dataset, format);
        }
        var task = RegressionTaskParameters.Resolve(this, RegressionModel.Task, Dimension, RegressionModel.Task?.Points ?? 16, TaskPoolSize, NoiseVariance, TaskSeed);
        var inputs = new RegressionInputOptions { Covariance = Covariance, OrthogonalQuery = OrthogonalQuery };
        var family = new LinearTaskFamily(task.Dimension, task.NoiseVariance, task.PoolSize, task.TaskSeed, inputs);
        var problem = new RegressionTaskVectorProblem(RegressionModel, family, Loss);
        WriteVerbose($"Model {RegressionModel.Name} ({RegressionModel.Source}; {RegressionModel.Config}); tasks {problem.Source}.");
        return problem;
    }

    /// <summary>The regression model's training prompt length K (points, query included), the natural default for its prompts.</summary>
    protected int TrainingPoints => RegressionModel.Task?.Points ?? 16;

    /// <summary>Relays engine progress to Write-Progress and Write-Verbose (on the pipeline thread: the engine reports synchronously).</summary>
    protected IProgress<TaskVectorProgress> Progress(ProgressReporter reporter) => new Relay(this, reporter);

    private sealed class Relay(TaskVectorCmdlet cmdlet, ProgressReporter reporter) : IProgress<TaskVectorProgress>
    {
        private string? _stage;

        public void Report(TaskVectorProgress value)
        {
            if (value.Stage != _stage) cmdlet.WriteVerbose($"{value.Stage}...");
            _stage = value.Stage;
            reporter.Report(value.Completed, value.Total, value.Total > 0 ? $"{value.Stage}: {value.Completed} of {value.Total}" : $"{value.Stage}: {value.Completed}");
        }
    }
}
