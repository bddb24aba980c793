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

    /// <summary>Fixes every prompt and random choice.</summary>
    [Parameter]
    public int Seed { get; set; }

    [Parameter, ValidateRange(1, int.MaxValue)]
    public int BatchSize { get; set; } = 16;

    protected bool IsRegression => ParameterSetName == RegressionSet;

    private LinearTaskFamily? _family;

    /// <param name="loss">The regression problem's training loss; only the LTV trains on it.</param>
    protected TaskVectorProblem CreateProblem(RegressionTaskLoss loss = RegressionTaskLoss.SquaredError)
    {
        if (!IsRegression)
        {
            var text = new TextTaskVectorProblem(Model, Dataset,
                new PromptFormat { Description = Description, InputTemplate = Template, TargetDelimiter = TargetDelimiter, FewShotDelimiter = FewShotDelimiter });
            var format = text.Format;
            WriteVerbose($"Model {Model.Name} ({Model.Source}; {Model.Config}); demonstrations from {Dataset.Train.Name} ({Dataset.Train.Count} train, {Dataset.Valid.Count} valid); " +
                         $"template {QueryInput.Show(format.InputTemplate)}, target delimiter {QueryInput.Show(format.TargetDelimiter)}, few-shot delimiter {QueryInput.Show(format.FewShotDelimiter)}.");
            return text;
        }
        var task = RegressionTaskParameters.Resolve(this, RegressionModel.Task, Dimension, TrainingPoints, TaskPoolSize, NoiseVariance, TaskSeed);
        // One family per piped model: the previous model's vector is built, so its family (and pool tensor) can go.
        _family?.Dispose();
        _family = task.CreateFamily(inputs: new RegressionInputOptions { Covariance = Covariance, OrthogonalQuery = OrthogonalQuery });
        var problem = new RegressionTaskVectorProblem(RegressionModel, _family, loss);
        WriteVerbose($"Model {RegressionModel.Name} ({RegressionModel.Source}; {RegressionModel.Config}); tasks {problem.Source}.");
        return problem;
    }

    /// <summary>The regression model's training prompt length K (points, query included), the natural default for its prompts.</summary>
    protected int TrainingPoints => RegressionModel.Task?.Points ?? 16;

    /// <summary>Demonstrations per regression prompt when -Shots is not given: the training length minus the query; null for text.</summary>
    protected int? RegressionShots => IsRegression ? TrainingPoints - 1 : null;

    protected override void Release() => _family?.Dispose();

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
