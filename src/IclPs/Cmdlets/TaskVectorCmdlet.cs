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

    /// <summary>
    /// The text model (an IclModel) to work on, frozen: its weights never change. Can be piped in.
    /// </summary>
    [Parameter(ParameterSetName = TextSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public IclModel Model { get; set; } = null!;

    /// <summary>
    /// The task's dataset (an IclDatasetSplit from Import-IclDataset): demonstrations and training queries come from its
    /// Train part, validation queries (the layer choice, early stopping) from its Valid part.
    /// </summary>
    [Parameter(ParameterSetName = TextSet, Mandatory = true, Position = 1)]
    [ValidateNotNull]
    public IclDatasetSplit Dataset { get; set; } = null!;

    /// <summary>
    /// Text put before the demonstrations of every prompt, verbatim. Default: none. See about_IclPs_PromptFormat.
    /// </summary>
    [Parameter(ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string Description { get; set; } = "";

    /// <summary>
    /// The template each input is written through: every {input} is replaced by the input, e.g. "Q: {input}`nA:". It must
    /// contain {input}. Default: {input}.
    /// </summary>
    [Parameter(ParameterSetName = TextSet)]
    [ValidateNotNullOrEmpty]
    public string Template { get; set; } = PromptFormat.InputPlaceholder;

    /// <summary>
    /// Text between a demonstration's templated input and its output, and before the expected answer. Default: one space;
    /// '' for none.
    /// </summary>
    [Parameter(ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string TargetDelimiter { get; set; } = " ";

    /// <summary>
    /// Text between demonstrations, and between the last demonstration and the query. Default: two new lines ("`n`n").
    /// </summary>
    [Parameter(ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string FewShotDelimiter { get; set; } = "\n\n";

    /// <summary>
    /// The regression model (an IclRegressionModel, e.g. from Get-IclModel linear-d8 -Load) to work on, frozen. Can be piped
    /// in. Its prompts come from a linear task family: the tasks it was trained on, unless -Dimension, -TaskPoolSize,
    /// -NoiseVariance or -TaskSeed say otherwise.
    /// </summary>
    [Parameter(ParameterSetName = RegressionSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public IclRegressionModel RegressionModel { get; set; } = null!;

    /// <summary>
    /// Input dimension D of the regression tasks, from 1 to 1024; the model must be able to read D + 1 channels.
    /// </summary>
    /// <value>the model's training tasks (8 when it has none recorded)</value>
    [Parameter(ParameterSetName = RegressionSet), ValidateRange(1, 1024)]
    public int Dimension { get; set; } = 8;

    /// <summary>
    /// Variance sigma^2 of the noise added to the regression targets, 0 or more; raise it for the noisy-regression shift.
    /// </summary>
    /// <value>the model's training tasks (0.25 when it has none recorded)</value>
    [Parameter(ParameterSetName = RegressionSet), ValidateRange(0.0, 1e6)]
    public double NoiseVariance { get; set; } = 0.25;

    /// <summary>
    /// The number M of tasks in the pool prompts draw from; 0 draws a fresh task per prompt.
    /// </summary>
    /// <value>the model's training tasks (fresh tasks when it has none recorded)</value>
    [Parameter(ParameterSetName = RegressionSet), ValidateRange(0, int.MaxValue)]
    public int TaskPoolSize { get; set; }

    /// <summary>Seed of the task pool's tasks (with -TaskPoolSize above 0).</summary>
    /// <value>the model's training tasks (0 when it has none recorded)</value>
    [Parameter(ParameterSetName = RegressionSet)]
    public long TaskSeed { get; set; }

    /// <summary>
    /// The distribution of the inputs x: Isotropic, N(0, I) as in training, or Skewed, N(0, diag(1/i)) for i = 1..D (the
    /// skewed-covariance shift). Default: Isotropic.
    /// </summary>
    [Parameter(ParameterSetName = RegressionSet)]
    public InputCovariance Covariance { get; set; } = InputCovariance.Isotropic;

    /// <summary>
    /// Draws each query x orthogonal to its prompt's demonstrations (a distribution shift); needs prompts of at most D points.
    /// </summary>
    [Parameter(ParameterSetName = RegressionSet)]
    public SwitchParameter OrthogonalQuery { get; set; }

    /// <summary>
    /// Seed of every prompt and random choice: the same model, data and seed give the same result. Default: 0.
    /// </summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>
    /// Prompts per forward pass (and per training mini-batch of the LTV), at least 1: larger is faster but needs more memory.
    /// Default: 16.
    /// </summary>
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
