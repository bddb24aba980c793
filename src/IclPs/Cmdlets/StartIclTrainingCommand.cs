using System.Globalization;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Models;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Evaluation;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.Training;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>
/// Start-IclTraining: trains a regression transformer on noisy linear regression (methods.md section 2) with AdamW.
/// Output contract: one <see cref="RegressionTrainingProgress"/> every -EvaluateEvery updates and after the last (pipe them to
/// Export-IclResult); with -PassThru, the trained <see cref="IclRegressionModel"/> last. With -Path, checkpoints go to
/// step-NNNNNNNN folders and the task settings to regression-task.json there (Measure-IclRegression reads them);
/// -Resume continues the newest checkpoint exactly. Ctrl+C writes a checkpoint (with -Path) and stops; a diverged run is an
/// error naming the update, and the last good checkpoint stays.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "IclTraining", DefaultParameterSetName = PresetSet, SupportsShouldProcess = true)]
[OutputType(typeof(RegressionTrainingProgress), typeof(IclRegressionModel))]
public sealed class StartIclTrainingCommand : IclPsCmdlet
{
    private const string PresetSet = "Preset";
    private const string ModelSet = "Model";

    /// <summary>A regression preset; its read-in is widened or narrowed to D + 1 channels.</summary>
    [Parameter(ParameterSetName = PresetSet, Position = 0)]
    [ValidateSet("regression-tiny", "regression-small", "regression-base", IgnoreCase = true)]
    public string Preset { get; set; } = "regression-tiny";

    /// <summary>A regression model to train further (its weights are trained in place, not re-initialised).</summary>
    [Parameter(ParameterSetName = ModelSet, Mandatory = true, ValueFromPipeline = true)]
    public IclRegressionModel? Model { get; set; }

    [Parameter, ValidateRange(1, 1024)] public int Dimension { get; set; } = 8;
    [Parameter, ValidateRange(1, 100_000)] public int Points { get; set; } = 16;
    /// <summary>M; 0 (the default) draws a fresh task per sequence.</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int TaskPoolSize { get; set; }
    [Parameter, ValidateRange(0.0, double.MaxValue)] public double NoiseVariance { get; set; } = 0.25;
    [Parameter] public long TaskSeed { get; set; }

    [Parameter, ValidateRange(1, int.MaxValue)] public int Steps { get; set; } = 1000;
    [Parameter, ValidateRange(1, int.MaxValue)] public int BatchSize { get; set; } = 256;
    [Parameter] public double LearningRate { get; set; } = 1e-3;
    [Parameter] public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Triangle;
    [Parameter, ValidateRange(0, int.MaxValue)] public int WarmupSteps { get; set; }
    [Parameter] public double WeightDecay { get; set; }
    [Parameter] public double? MaxGradNorm { get; set; }

    /// <summary>Garg et al.'s curriculum: D from ceil(D/4) up by 1 and K from 2 ceil(D/4) + 1 up by 2, zero-padding x; fresh tasks only.</summary>
    [Parameter] public SwitchParameter Curriculum { get; set; }
    /// <summary>Updates per curriculum stage; 0 spreads the stages over the first half of the run.</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int CurriculumEvery { get; set; }

    /// <summary>Every random choice of the run: initialisation, batches and the held-out evaluation sequences.</summary>
    [Parameter] public long Seed { get; set; }

    [Parameter, ValidateNotNullOrEmpty] public string? Path { get; set; }
    [Parameter, ValidateRange(0, int.MaxValue)] public int CheckpointEvery { get; set; }
    [Parameter, ValidateRange(1, int.MaxValue)] public int KeepCheckpoints { get; set; } = 2;
    [Parameter] public SwitchParameter Resume { get; set; }

    /// <summary>Emit a progress row every this many updates (and after the last); 0 only after the last.</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int EvaluateEvery { get; set; } = 100;
    /// <summary>Held-out sequences per task source at each evaluation.</summary>
    [Parameter, ValidateRange(1, 1_000_000)] public int EvaluationSamples { get; set; } = 256;

    [Parameter, ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)] public string Device { get; set; } = "auto";
    [Parameter, ValidateNotNullOrEmpty] public string? Name { get; set; }
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var task = RegressionTaskParameters.Resolve(this, Model?.Task, Dimension, Points, TaskPoolSize, NoiseVariance, TaskSeed);
        if (Curriculum && task.PoolSize is not null)
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"-Curriculum trains on fresh tasks (Garg et al.); it cannot be combined with -TaskPoolSize {task.PoolSize}.", task.PoolSize);
        if (Resume && Path is null)
            throw new IclPsException(TrainingErrorIds.InvalidOption, IclErrorKind.InvalidArgument, "-Resume needs -Path, the folder of the run to continue.", "Resume");
        var folder = Path is null ? null : ResolveFilePath(Path);
        var model = Model ?? CreatePresetModel(task);
        var ownsModel = Model is null;
        try
        {
            model.CheckFits(task);
            var options = new IclTrainingOptions
            {
                Steps = Steps, BatchSize = BatchSize, LearningRate = LearningRate, Schedule = Schedule, WarmupSteps = WarmupSteps,
                WeightDecay = WeightDecay, MaxGradNorm = MaxGradNorm, Seed = Seed,
                // The trainer reports every update so progress can show the loss; rows are emitted every -EvaluateEvery.
                EvaluateEvery = 1, CheckpointEvery = CheckpointEvery, CheckpointFolder = folder, KeepCheckpoints = KeepCheckpoints,
                Resume = Resume, InitialiseModel = ownsModel,
            };
            var action = $"Train {model.Name} for {Steps} updates on {task}, writing checkpoints";
            if (folder is not null && !ShouldProcess(folder, action)) return;
            if (folder is not null) RecordTask(folder, task);
            Train(model, task, options);
            if (PassThru)
            {
                model.Task = task;
                WriteObject(model);
                ownsModel = false;
            }
        }
        finally
        {
            if (ownsModel) model.Dispose();
        }
    }

    private IclRegressionModel CreatePresetModel(RegressionTaskSettings task)
    {
        var preset = Preset.ToLowerInvariant();
        var config = ModelConfig.RegressionPresets[preset] with { InputDim = task.Dimension + 1 };
        var source = string.Create(CultureInfo.InvariantCulture, $"preset:{preset} d_in:{config.InputDim} seed:{Seed}");
        return IclRegressionModel.CreateRandom(config, Seed, Name ?? preset, source, task, TorchSelection.Device(Device));
    }

    /// <summary>The run folder's regression-task.json: written on first use, and a run on other tasks is refused.</summary>
    private static void RecordTask(string folder, RegressionTaskSettings task)
    {
        var recorded = RegressionTaskSettings.TryLoad(folder);
        if (recorded is null) task.Save(folder);
        else if (recorded != task)
            throw new IclPsException(RegressionRunErrorIds.TaskMismatch, IclErrorKind.InvalidArgument,
                $"Run folder '{folder}' was trained on {recorded}, not {task}; choose another -Path or matching task parameters.", folder);
    }

    private void Train(IclRegressionModel model, RegressionTaskSettings task, IclTrainingOptions options)
    {
        using var family = task.CreateFamily();
        var width = model.Config.InputDim;
        var stageFamilies = new List<LinearTaskFamily>();
        IBatchSource source = new RegressionBatchSource(family, task.Points, width);
        if (Curriculum)
        {
            var (dimensions, points) = CurriculumStages(task);
            source = new CurriculumBatchSource(dimensions, points, (d, k) =>
            {
                var stage = task.CreateFamily(d);
                stageFamilies.Add(stage);
                return new RegressionBatchSource(stage, k, width);
            });
            WriteVerbose($"Curriculum: dimensions {dimensions}; points {points}.");
        }
        var evaluator = new RegressionEvaluator(family, task.Points, new RegressionEvaluationOptions
        {
            Samples = EvaluationSamples, BatchSize = Math.Min(EvaluationSamples, 256), Seed = Seed,
        });
        var trainer = new IclTrainer(model.Network, source, options)
        {
            Evaluator = (network, step) => IsReportStep(step)
                ? evaluator.Evaluate(model.Name, (RegressionModel)network).Summaries.ToDictionary(s => s.TaskSource, s => s.ModelError)
                : new Dictionary<string, double>(),
        };
        WriteVerbose($"Training {model.Name} ({model.Config}, {model.Config.ParameterCount:N0} parameters) on {model.Network.Device}: {source.Description}; " +
            $"{Steps} updates of {BatchSize}, lr {LearningRate} {Schedule}, weight decay {WeightDecay}, seed {Seed}{(options.CheckpointFolder is null ? "" : $", checkpoints in {options.CheckpointFolder}")}.");

        var progress = StartProgress($"Training {model.Name}");
        var (lossSum, lossCount) = (0.0, 0);
        try
        {
            var result = trainer.Train(e =>
            {
                (lossSum, lossCount) = (lossSum + e.Loss, lossCount + 1);
                progress.Report(e.Step, Steps, string.Create(CultureInfo.InvariantCulture, $"Update {e.Step}/{Steps}, loss {e.Loss:0.0000}"));
                if (!IsReportStep(e.Step)) return;
                WriteObject(new RegressionTrainingProgress
                {
                    Model = model.Name, Step = e.Step, Steps = Steps, Loss = lossSum / lossCount, LearningRate = e.LearningRate,
                    PretrainError = e.Metrics[RegressionTaskSource.Pretrain], FreshError = e.Metrics[RegressionTaskSource.Fresh], Elapsed = e.Elapsed,
                });
                (lossSum, lossCount) = (0, 0);
            }, Cancellation);
            if (result.FirstStep > 0) WriteVerbose($"Resumed from update {result.FirstStep}.");
            if (result.Cancelled)
            {
                WriteWarning($"Training stopped at update {result.FinalStep}{(result.LastCheckpoint is null ? "" : $"; checkpoint '{result.LastCheckpoint}'")}.");
                throw new OperationCanceledException(Cancellation);
            }
        }
        finally
        {
            progress.Complete();
            foreach (var stage in stageFamilies) stage.Dispose();
        }
    }

    private bool IsReportStep(int step) => step == Steps || (EvaluateEvery > 0 && step % EvaluateEvery == 0);

    /// <summary>Garg's curriculum scaled to D and K: D/4 -> D by 1 and 2 D/4 + 1 -> K by 2, finished by half of the run unless -CurriculumEvery says.</summary>
    private (CurriculumStage Dimensions, CurriculumStage Points) CurriculumStages(RegressionTaskSettings task)
    {
        var startDimension = Math.Max(1, (task.Dimension + 3) / 4);
        var startPoints = Math.Min(task.Points, 2 * startDimension + 1);
        var stages = Math.Max(1, Math.Max(task.Dimension - startDimension, (task.Points - startPoints + 1) / 2));
        var every = CurriculumEvery > 0 ? CurriculumEvery : Math.Max(1, Steps / (2 * stages));
        return (new CurriculumStage(startDimension, task.Dimension, 1, every), new CurriculumStage(startPoints, task.Points, 2, every));
    }
}
