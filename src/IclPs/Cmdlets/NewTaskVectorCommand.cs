using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine.TaskVectors;

namespace IclPs.Cmdlets;

/// <summary>
/// New-TaskVector: builds a task representation from demonstrations on a frozen model (methods.md section 5).
/// -Method Ltv (default): the learnable task vector of Saglam et al., one trained weight per head, added to every block's
/// output at the prediction position. FunctionVector: Todd et al.'s summed W_O-projected mean outputs of the top -TopK heads by
/// causal indirect effect, added to one block (-Layer, default L/3; Measure-HeadEffect lists the effects). TaskVector: Hendel
/// et al.'s mean last-token block output, replacing the hidden state of the layer that does best on the validation split
/// (-Layer overrides). Text models take -Model and -Dataset; regression models take -RegressionModel and the task family
/// parameters. The result pipes into Invoke-IclPrompt -TaskVector (text and numeric prompts),
/// Measure-HiddenSimilarity -TaskVector and Export-TaskVector.
/// </summary>
[Cmdlet(VerbsCommon.New, "TaskVector", DefaultParameterSetName = TextSet)]
[OutputType(typeof(TaskVector))]
public sealed class NewTaskVectorCommand : TaskVectorCmdlet
{
    [Parameter]
    public TaskVectorMethod Method { get; set; } = TaskVectorMethod.Ltv;

    /// <summary>Demonstrations per prompt; default: 5 (TaskVector), 10 (FunctionVector, Ltv), or the regression model's training length minus the query.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int? Shots { get; set; }

    /// <summary>Prompts the vector is built from: dummy-query prompts (TaskVector), clean prompts for the mean activations (FunctionVector, Ltv).</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int? Prompts { get; set; }

    /// <summary>Validation prompts that choose the layer (TaskVector) or stop training (Ltv).</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int? ValidationPrompts { get; set; }

    /// <summary>The layer to inject at (TaskVector, FunctionVector).</summary>
    [Parameter, ValidateRange(0, int.MaxValue)]
    public int? Layer { get; set; }

    /// <summary>Heads summed into a function vector.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int TopK { get; set; } = 10;

    /// <summary>Shuffled-label prompts the function vector's head effects are averaged over.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int EffectPrompts { get; set; } = 25;

    /// <summary>Prompts the LTV is trained on (default: ZeroShot for text, Clean prompts of -Shots demonstrations for regression).</summary>
    [Parameter]
    public TaskPromptKind? Setting { get; set; }

    /// <summary>Mean: a_{l,h} averaged over clean prompts (the formula; text default). Live: each prompt's own activations (regression default).</summary>
    [Parameter]
    public HeadActivationSource? ActivationSource { get; set; }

    /// <summary>LTV training prompts (queries from the train split); validation prompts stop training.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int TrainPrompts { get; set; } = 512;

    [Parameter, ValidateRange(1, int.MaxValue)]
    public int MaxEpochs { get; set; } = 100;

    /// <summary>Epochs without a lower validation loss before training stops; the best theta is kept.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int Patience { get; set; } = 10;

    /// <summary>Adam's learning rate for theta.</summary>
    [Parameter, ValidateRange(1e-12, 10.0)]
    public double LearningRate { get; set; } = 1e-2;

    /// <summary>theta's start: Zeros, or Normal (N(0,1), as the authors' code).</summary>
    [Parameter]
    public LtvThetaInit ThetaInit { get; set; } = LtvThetaInit.Zeros;

    /// <summary>Reproduce the LTV authors' code rather than the formula (methods.md section 5); the vector is labelled as such.</summary>
    [Parameter]
    public SwitchParameter AuthorsVariant { get; set; }

    /// <summary>The LTV's training loss on a regression query: squared error or Huber (the other methods score squared error).</summary>
    [Parameter(ParameterSetName = RegressionSet)]
    public RegressionTaskLoss Loss { get; set; } = RegressionTaskLoss.SquaredError;

    protected override void Process()
    {
        // -Layer is checked by the methods' option validation, before any prompt runs.
        var problem = CreateProblem(Loss);
        var reporter = StartProgress($"New-TaskVector -Method {Method}: {problem.ModelName}");
        var progress = Progress(reporter);
        var clock = Stopwatch.StartNew();
        TaskVector vector;
        try
        {
            vector = Method switch
            {
                TaskVectorMethod.TaskVector => HendelTaskVector.Build(problem, HendelOptions(), progress, Cancellation),
                TaskVectorMethod.FunctionVector => FunctionVector.Build(problem, FvOptions(), progress, Cancellation).Vector,
                _ => LearnableTaskVector.Train(problem, LtvOptions(), new EpochRelay(progress, this), Cancellation),
            };
        }
        finally
        {
            reporter.Complete();
        }
        WriteVerbose($"{vector} built in {clock.Elapsed.TotalSeconds:F1} s from {vector.Provenance.Prompts} prompts; " +
                     $"vector norms {string.Join(", ", vector.Vectors.Select(v => $"L{v.Layer}={v.Norm:G4}"))}.");
        WriteObject(vector);
    }

    private HendelTaskVectorOptions HendelOptions()
    {
        var defaults = new HendelTaskVectorOptions();
        return defaults with
        {
            Shots = Shots ?? RegressionShots ?? defaults.Shots,
            Prompts = Prompts ?? defaults.Prompts,
            ValidationPrompts = ValidationPrompts ?? defaults.ValidationPrompts,
            Layer = Layer,
            BatchSize = BatchSize,
            Seed = Seed,
        };
    }

    private FunctionVectorOptions FvOptions()
    {
        var defaults = new FunctionVectorOptions();
        var shots = Shots ?? RegressionShots;
        return defaults with
        {
            MeanPrompts = Prompts ?? defaults.MeanPrompts,
            MeanShots = shots ?? defaults.MeanShots,
            EffectPrompts = EffectPrompts,
            // Shuffled labels need two demonstrations to permute, even when the mean prompts take one.
            EffectShots = Math.Max(2, shots ?? defaults.EffectShots),
            TopK = TopK,
            Layer = Layer,
            BatchSize = BatchSize,
            Seed = Seed,
        };
    }

    private LearnableTaskVectorOptions LtvOptions()
    {
        var defaults = new LearnableTaskVectorOptions();
        return defaults with
        {
            ActivationSource = ActivationSource,
            MeanPrompts = Prompts ?? defaults.MeanPrompts,
            MeanShots = RegressionShots ?? defaults.MeanShots,
            TrainingKind = Setting,
            Shots = Shots ?? RegressionShots,
            TrainPrompts = TrainPrompts,
            ValidationPrompts = ValidationPrompts ?? defaults.ValidationPrompts,
            BatchSize = BatchSize,
            MaxEpochs = MaxEpochs,
            Patience = Patience,
            LearningRate = LearningRate,
            Init = ThetaInit,
            Seed = Seed,
            AuthorsVariant = AuthorsVariant,
        };
    }

    /// <summary>Epoch rows to Write-Progress and Write-Verbose, on the pipeline thread (the engine reports synchronously).</summary>
    private sealed class EpochRelay(IProgress<TaskVectorProgress> bar, NewTaskVectorCommand cmdlet) : IProgress<LearnableTaskVectorProgress>
    {
        public void Report(LearnableTaskVectorProgress value)
        {
            bar.Report(new TaskVectorProgress("LTV training epoch", value.Epoch, value.MaxEpochs));
            if (value.ValidationLoss is { } valid)
                cmdlet.WriteVerbose(FormattableString.Invariant($"Epoch {value.Epoch}, step {value.Step}: train loss {value.TrainLoss:G5}, validation loss {valid:G5}, metric {value.ValidationMetric:G5}."));
        }
    }
}
