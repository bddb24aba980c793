using System.Globalization;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Models;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Evaluation;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.TextTasks;
using IclPs.Engine.Tokenization;
using IclPs.Engine.Training;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>
/// Start-IclTraining: trains a regression transformer on noisy linear regression (methods.md section 2) with AdamW, or, with
/// -TextFamily, a GPT-2-family language model (byte tokenizer) on few-shot sequences of a symbolic text task family laid
/// out as Invoke-IclPrompt lays out prompts (<see cref="SymbolicSequenceSampler.DefaultFormat"/>: "a3=x,b7=y,a5=").
/// Output contract: one <see cref="RegressionTrainingProgress"/> (or <see cref="TextTrainingProgress"/>) every -EvaluateEvery
/// updates and after the last (pipe them to Export-IclResult); with -PassThru, the trained <see cref="IclRegressionModel"/>
/// (or <see cref="IclModel"/>) last. With -Path, checkpoints go to step-NNNNNNNN folders (and, for regression, the task
/// settings to regression-task.json there, which Measure-IclRegression reads); -Resume continues the newest checkpoint
/// exactly. Ctrl+C writes a checkpoint (with -Path) and stops; a diverged run is an error naming the update, and the last
/// good checkpoint stays.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "IclTraining", DefaultParameterSetName = PresetSet, SupportsShouldProcess = true)]
[OutputType(typeof(RegressionTrainingProgress), typeof(IclRegressionModel), ParameterSetName = [PresetSet, ModelSet])]
[OutputType(typeof(TextTrainingProgress), typeof(IclModel), ParameterSetName = [TextSet])]
public sealed class StartIclTrainingCommand : IclPsCmdlet
{
    private const string PresetSet = "Preset";
    private const string ModelSet = "Model";
    private const string TextSet = "Text";

    /// <summary>A regression preset; its read-in is widened or narrowed to D + 1 channels.</summary>
    [Parameter(ParameterSetName = PresetSet, Position = 0)]
    [ValidateSet("regression-tiny", "regression-small", "regression-base", IgnoreCase = true)]
    public string Preset { get; set; } = "regression-tiny";

    /// <summary>A regression model to train further (its weights are trained in place, not re-initialised).</summary>
    [Parameter(ParameterSetName = ModelSet, Mandatory = true, ValueFromPipeline = true)]
    public IclRegressionModel? Model { get; set; }

    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(1, 1024)] public int Dimension { get; set; } = 8;
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(1, 100_000)] public int Points { get; set; } = 16;
    /// <summary>M; 0 (the default) draws a fresh task per sequence.</summary>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(0, int.MaxValue)] public int TaskPoolSize { get; set; }
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(0.0, double.MaxValue)] public double NoiseVariance { get; set; } = 0.25;
    /// <summary>Fixes the regression task pool, or which maps a text family trains on and holds out.</summary>
    [Parameter] public long TaskSeed { get; set; }

    /// <summary>Train a language model on this symbolic text task family instead of a regression model.</summary>
    [Parameter(ParameterSetName = TextSet, Mandatory = true)]
    [ValidateSet("KeyedLookup", IgnoreCase = true)]
    public string TextFamily { get; set; } = "KeyedLookup";

    /// <summary>The language model's architecture (byte tokenizer), a preset of New-IclModel.</summary>
    [Parameter(ParameterSetName = TextSet), ValidatePreset, ArgumentCompleter(typeof(PresetCompleter))] public string ModelPreset { get; set; } = "gpt2-tiny";
    /// <summary>KeyedLookup: the key letters; an input is a key then an instance, e.g. "a3".</summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty] public string Keys { get; set; } = "abc";
    /// <summary>KeyedLookup: the instance characters.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty] public string Instances { get; set; } = "123456789";
    /// <summary>KeyedLookup: the output symbols each key maps to.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty] public string Outputs { get; set; } = "rstuvwxyz";
    /// <summary>Distinct maps trained on.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(1, int.MaxValue)] public int TrainTasks { get; set; } = 512;
    /// <summary>Distinct maps held out of training and scored at each report.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(1, int.MaxValue)] public int HeldOutTasks { get; set; } = 64;
    /// <summary>Demonstrations per training sequence; every answer in it is scored, so all smaller shot counts are trained too.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(0, int.MaxValue)] public int Shots { get; set; } = 8;
    /// <summary>Demonstrations per prompt when the progress rows measure accuracy.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(0, int.MaxValue)] public int EvaluationShots { get; set; } = 8;
    /// <summary>Tasks of each pool (training, held-out) whose every pair is scored at each report.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(1, int.MaxValue)] public int EvaluationTasks { get; set; } = 16;

    [Parameter, ValidateRange(1, int.MaxValue)] public int Steps { get; set; } = 1000;
    [Parameter, ValidateRange(1, int.MaxValue)] public int BatchSize { get; set; } = 256;
    [Parameter] public double LearningRate { get; set; } = 1e-3;
    [Parameter] public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Triangle;
    [Parameter, ValidateRange(0, int.MaxValue)] public int WarmupSteps { get; set; }
    [Parameter] public double WeightDecay { get; set; }
    [Parameter] public double? MaxGradNorm { get; set; }

    /// <summary>Garg et al.'s curriculum: D from ceil(D/4) up by 1 and K from 2 ceil(D/4) + 1 up by 2, zero-padding x; fresh tasks only.</summary>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet)] public SwitchParameter Curriculum { get; set; }
    /// <summary>Updates per curriculum stage; 0 spreads the stages over the first half of the run.</summary>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(0, int.MaxValue)] public int CurriculumEvery { get; set; }

    /// <summary>Every random choice of the run: initialisation, batches and the held-out evaluation sequences.</summary>
    [Parameter] public long Seed { get; set; }

    [Parameter, ValidateNotNullOrEmpty] public string? Path { get; set; }
    [Parameter, ValidateRange(0, int.MaxValue)] public int CheckpointEvery { get; set; }
    [Parameter, ValidateRange(1, int.MaxValue)] public int KeepCheckpoints { get; set; } = 2;
    [Parameter] public SwitchParameter Resume { get; set; }

    /// <summary>Emit a progress row every this many updates (and after the last); 0 only after the last.</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int EvaluateEvery { get; set; } = 100;
    /// <summary>Held-out sequences per task source at each evaluation.</summary>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(1, 1_000_000)] public int EvaluationSamples { get; set; } = 256;

    [Parameter, ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)] public string Device { get; set; } = "auto";
    [Parameter, ValidateNotNullOrEmpty] public string? Name { get; set; }
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        if (ParameterSetName == TextSet)
        {
            ProcessText();
            return;
        }
        var task = RegressionTaskParameters.Resolve(this, Model?.Task, Dimension, Points, TaskPoolSize, NoiseVariance, TaskSeed);
        if (Curriculum && task.PoolSize is not null)
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"-Curriculum trains on fresh tasks (Garg et al.); it cannot be combined with -TaskPoolSize {task.PoolSize}.", task.PoolSize);
        var folder = RunFolder();
        var model = Model ?? CreatePresetModel(task);
        var ownsModel = Model is null;
        try
        {
            model.CheckFits(task);
            var options = TrainingOptions(folder, initialiseModel: ownsModel);
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

    /// <summary>The -Path folder, resolved; -Resume without it is an error.</summary>
    private string? RunFolder()
    {
        if (Resume && Path is null)
            throw new IclPsException(TrainingErrorIds.InvalidOption, IclErrorKind.InvalidArgument, "-Resume needs -Path, the folder of the run to continue.", "Resume");
        return Path is null ? null : ResolveFilePath(Path);
    }

    private IclTrainingOptions TrainingOptions(string? folder, bool initialiseModel) => new()
    {
        Steps = Steps, BatchSize = BatchSize, LearningRate = LearningRate, Schedule = Schedule, WarmupSteps = WarmupSteps,
        WeightDecay = WeightDecay, MaxGradNorm = MaxGradNorm, Seed = Seed,
        // The trainer reports every update so progress can show the loss; rows are emitted every -EvaluateEvery.
        EvaluateEvery = 1, CheckpointEvery = CheckpointEvery, CheckpointFolder = folder, KeepCheckpoints = KeepCheckpoints,
        Resume = Resume, InitialiseModel = initialiseModel,
    };

    /// <summary>
    /// The -TextFamily run: a fresh preset language model trained with <see cref="IclTrainer"/> on
    /// <see cref="SymbolicTrainingSource"/> sequences of the family's training maps, scored at each report by
    /// <see cref="SymbolicIclEvaluator"/> on training and held-out maps.
    /// </summary>
    private void ProcessText()
    {
        var family = new KeyedLookupTaskFamily(new KeyedLookupTaskFamilyOptions
        {
            Keys = Keys, Instances = Instances, Outputs = Outputs, TrainTasks = TrainTasks, HeldOutTasks = HeldOutTasks, TaskSeed = TaskSeed,
        });
        var folder = RunFolder();
        var preset = ModelPreset.ToLowerInvariant();
        var model = IclModel.CreateRandom(ModelConfig.Presets[preset], Seed, Name ?? preset, TorchSelection.Device(Device), configDescription: $"preset:{preset}");
        var ownsModel = true;
        try
        {
            var sampler = new SymbolicSequenceSampler();
            var batches = new SymbolicBatchSource(family.TrainTasks, sampler, model.Tokenizer, model.Config.ContextLength, BatchSize, Shots, TaskSeed);
            var source = new SymbolicTrainingSource(batches);
            var evaluator = new SymbolicIclEvaluator(model.Tokenizer, family.TrainTasks, family.HeldOutTasks, EvaluationShots, EvaluationTasks, (int)(Seed & int.MaxValue), sampler.Format);
            if (folder is not null && !ShouldProcess(folder, $"Train {model.Name} for {Steps} updates on {TextFamily}, writing checkpoints")) return;
            var trainer = new IclTrainer(model.Network, source, TrainingOptions(folder, initialiseModel: true))
            {
                Evaluator = (network, step) => IsReportStep(step) ? evaluator.Evaluate(network, Cancellation) : new Dictionary<string, double>(),
            };
            WriteVerbose($"Training {model.Name} ({model.Config}, {model.Config.ParameterCount:N0} parameters, tokenizer {model.Tokenizer.Name}) on {model.Network.Device}: " +
                $"{TextFamily} with {family.TrainTasks.Count} training and {family.HeldOutTasks.Count} held-out maps, {Shots} shots per sequence; " +
                $"{Steps} updates of {BatchSize}, lr {LearningRate} {Schedule}, weight decay {WeightDecay}, seed {Seed}{(folder is null ? "" : $", checkpoints in {folder}")}.");
            WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"Progress rows score every pair of {evaluator.TrainSubset.Count} training and {evaluator.HeldOutSubset.Count} held-out maps at {EvaluationShots} shots; " +
                $"chance {family.Chance:0.000}, best possible {family.AccuracyCeiling(EvaluationShots):0.000}."));
            Run(trainer, model.Name, (e, meanLoss) => new TextTrainingProgress
            {
                Model = model.Name, Step = e.Step, Steps = Steps, Loss = meanLoss, LearningRate = e.LearningRate, Shots = EvaluationShots,
                TrainAccuracy = e.Metrics[SymbolicIclEvaluator.TrainAccuracy], HeldOutAccuracy = e.Metrics[SymbolicIclEvaluator.HeldOutAccuracy], Elapsed = e.Elapsed,
            });
            if (PassThru)
            {
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

        try
        {
            Run(trainer, model.Name, (e, meanLoss) => new RegressionTrainingProgress
            {
                Model = model.Name, Step = e.Step, Steps = Steps, Loss = meanLoss, LearningRate = e.LearningRate,
                PretrainError = e.Metrics[RegressionTaskSource.Pretrain], FreshError = e.Metrics[RegressionTaskSource.Fresh], Elapsed = e.Elapsed,
            });
        }
        finally
        {
            foreach (var stage in stageFamilies) stage.Dispose();
        }
    }

    /// <summary>
    /// Trains with a progress bar, writing <paramref name="row"/> (given the report and the mean loss since the previous
    /// row) at every report step; a cancelled run warns where it stopped and ends the pipeline.
    /// </summary>
    private void Run(IclTrainer trainer, string modelName, Func<TrainingEvaluation, double, object> row)
    {
        var progress = StartProgress($"Training {modelName}");
        var (lossSum, lossCount) = (0.0, 0);
        try
        {
            var result = trainer.Train(e =>
            {
                (lossSum, lossCount) = (lossSum + e.Loss, lossCount + 1);
                progress.Report(e.Step, Steps, string.Create(CultureInfo.InvariantCulture, $"Update {e.Step}/{Steps}, loss {e.Loss:0.0000}"));
                if (!IsReportStep(e.Step)) return;
                WriteObject(row(e, lossSum / lossCount));
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
