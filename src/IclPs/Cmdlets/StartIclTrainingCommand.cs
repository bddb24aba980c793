using System.Globalization;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Models;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Baselines;
using IclPs.Engine.Regression.Evaluation;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.Storage;
using IclPs.Engine.TextTasks;
using IclPs.Engine.Tokenization;
using IclPs.Engine.Training;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>Trains a small transformer to learn in context: a regression model on linear tasks, or a language model on a symbolic text task family.</summary>
/// <remarks>
/// <para>
/// Regression (the default): trains a read-in/read-out transformer (-Preset regression-tiny, regression-small or
/// regression-base, its read-in sized to D + 1 channels; or a -Model from an earlier run, trained further in place) with
/// AdamW on sequences of noisy linear regression, as Raventós et al. and Garg et al. do: each sequence shows -Points pairs
/// (x, w.x + noise) with x of -Dimension D, and w drawn fresh per sequence or from a pool of -TaskPoolSize M tasks.
/// -Curriculum grows D and K during the first half of the run (fresh tasks only). Every -EvaluateEvery updates, and after
/// the last, it writes a RegressionTrainingProgress: Model, Step, Steps, Loss (the mean training loss since the previous
/// row), LearningRate, PretrainError and FreshError (the model's error per position / D on held-out pool and fresh tasks),
/// PretrainDeltaRidge, PretrainDeltaDmmse, FreshDeltaRidge and FreshDeltaDmmse (Delta(model, Ridge) and Delta(model,
/// dMMSE) on the same sequences, as Measure-IclRegression measures them: which Bayesian estimator the model is tracking as
/// it trains, Raventós et al.'s transient; dMMSE needs a task pool and Ridge a noise variance above 0, else they are empty)
/// and Elapsed. With -PassThru the trained IclRegressionModel comes last.
/// </para>
/// <para>
/// -TaskFamily trains on one of Garg et al.'s other function classes instead of linear tasks, a fresh task per sequence:
/// SparseLinear (-Sparsity s nonzero weights of D), DecisionTree (depth -Depth, splits on the sign of one coordinate,
/// N(0, 1) leaves) or ReluNet (-Hidden units). They are noiseless unless -NoiseVariance says otherwise, and the class is
/// recorded with the run, so Measure-IclRegression measures on it against that class's baselines.
/// </para>
/// <para>
/// Text (-TextFamily KeyedLookup): trains a GPT-2 family language model (-ModelPreset, byte tokenizer) to learn keyed
/// lookups in context: an input is a key and an instance ("a3"), a task maps each key to an output symbol, and a sequence
/// is laid out as Invoke-IclPrompt lays out prompts with -Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ','
/// ("a3=x,b7=y,a5=" -> "x"). -TrainTasks maps are trained on and -HeldOutTasks others held out. The rows are
/// TextTrainingProgress: Model, Step, Steps, Loss, LearningRate, Shots, TrainAccuracy and HeldOutAccuracy (first-token
/// accuracy at -EvaluationShots demonstrations on -EvaluationTasks training and held-out maps) and Elapsed; -PassThru then
/// writes the trained IclModel, ready for Invoke-IclPrompt and Save-IclModel.
/// </para>
/// <para>
/// Text (-TextFamily Rules): the same, on one-rule tasks over single symbols whose answer is a function of the input
/// (-Shifts through -Alphabet: copy, successor, predecessor, forward-k, back-k; and -Permutations fixed random
/// permutations): "c=d,x=y,m=" -> "n". Every pair of every rule is trained on, so the demonstrations only say which rule is
/// meant; -HeldOutShifts are shift rules never trained on, scored as HeldOutAccuracy. -TrainTasks, -HeldOutTasks, -Keys,
/// -Instances and -Outputs belong to KeyedLookup and are ignored.
/// </para>
/// <para>
/// Text (-TextFamily Transduction): per-symbol transduction, a toy analogue of translation: an input is a word of
/// -WordLength symbols of -TransductionAlphabet ("BD"), and a task, a one-to-one map of the alphabet onto
/// -TransductionOutputs in a random order (a random permutation), rewrites each symbol ("BD=KM,DB=MK,BB=" -> "KK");
/// -TrainTasks permutations are trained on and -HeldOutTasks others held out. Every answer token is trained; the rows
/// score the first.
/// </para>
/// <para>
/// Several -TextFamily values train one model on a mixture: each training sequence comes from one family, drawn with
/// probabilities proportional to -FamilyWeight (equal by default), and each family keeps its own training and held-out
/// maps (-TrainTasks and -HeldOutTasks apply to each). Each report then writes one row per family, its Family property
/// naming it; Loss is the mixture's.
/// </para>
/// <para>
/// -Seed fixes every random choice, so the same command gives the same numbers. With -Path, checkpoints go to
/// step-NNNNNNNN folders (-CheckpointEvery, -KeepCheckpoints), and a regression run records its task settings in
/// regression-task.json there, which Measure-IclRegression and Invoke-IclPrompt -Path read; a run folder used for other
/// tasks is refused (RegressionTaskMismatch). -Resume continues the newest checkpoint exactly, given the same
/// run-defining options. Ctrl+C writes a checkpoint (with -Path) of the updates done, also when the stop lands while a
/// progress row is being written or a downstream Select-Object -First ends the pipeline; it then warns where it stopped and
/// ends the pipeline. A diverged run is a TrainingDiverged error naming the update, and the last good checkpoint stays.
/// A -Path that is (or lies under) a file is RunPathIsFile, and a run folder that cannot be created or locked is
/// RunFolderWriteFailed, both before any update. Supports -WhatIf and -Confirm when -Path is given.
/// </para>
/// <para>
/// A run folder has one writer at a time: the run locks it (a .iclps.lock file inside, held open for the run), and a second
/// Start-IclTraining on the same -Path, in this or any other process, stops with a FolderInUse error (ResourceBusy) naming
/// the holder's process id, host and start time. A lock left by a run that was killed is taken over; the staging folders
/// (.step-NNNNNNNN.GUID.tmp) and other leftovers of such a run are removed when the folder is next trained in, and
/// -Verbose says so. Each checkpoint appears complete with one rename, or not at all.
/// </para>
/// </remarks>
/// <example>
/// <code>Start-IclTraining -Dimension 4 -Points 8 -TaskPoolSize 16 -Steps 60 -BatchSize 32 -EvaluateEvery 20 -EvaluationSamples 32</code>
/// <para>
/// Trains regression-tiny for 60 updates on a pool of 16 linear tasks in D = 4 and writes a progress row every 20 updates.
/// Real runs take thousands of updates (see the Command of Get-IclModel linear-d8).
/// </para>
/// </example>
/// <example>
/// <code>
/// $model = Start-IclTraining -Dimension 2 -Points 5 -Steps 30 -BatchSize 16 -EvaluationSamples 16 -PassThru | Select-Object -Last 1
/// $model | Measure-IclRegression -Samples 50 -Summary
/// </code>
/// <para>Keeps the trained model (the last object -PassThru writes) and measures it against the baselines.</para>
/// </example>
/// <example>
/// <code>
/// $run = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
/// $csv = Join-Path $run 'training.csv'
/// Start-IclTraining -Dimension 2 -Points 5 -Steps 40 -BatchSize 16 -EvaluateEvery 10 -EvaluationSamples 16 -Path $run -CheckpointEvery 20 |
///     Export-IclResult -Path $csv
/// Get-ChildItem $run
/// </code>
/// <para>
/// Writes checkpoints (step-00000020, step-00000040) and regression-task.json to a run folder and keeps the training curve
/// in a CSV file.
/// </para>
/// </example>
/// <example>
/// <code>Start-IclTraining -TaskFamily DecisionTree -Dimension 4 -Depth 2 -Points 12 -Steps 40 -BatchSize 16 -EvaluateEvery 20 -EvaluationSamples 32</code>
/// <para>Trains on depth-2 decision trees over D = 4 inputs (Garg et al.'s decision-tree class, scaled down).</para>
/// </example>
/// <example>
/// <code>
/// $rows = Start-IclTraining -TextFamily KeyedLookup -Steps 10 -BatchSize 8 -EvaluateEvery 5 -TrainTasks 32 -HeldOutTasks 8 -EvaluationTasks 2 -PassThru
/// $lm = $rows[-1]
/// $rows | Select-Object -SkipLast 1 | Format-Table Step, Loss, TrainAccuracy, HeldOutAccuracy
/// </code>
/// <para>
/// Trains a tiny language model on keyed lookups for 10 updates (text-icl-tiny took 20000) and keeps it in $lm for
/// Invoke-IclPrompt.
/// </para>
/// </example>
/// <example>
/// <code>
/// Start-IclTraining -TextFamily KeyedLookup, Transduction -FamilyWeight 1, 1 -ModelPreset llama-tiny -Steps 4 -BatchSize 8 -EvaluateEvery 2 -TrainTasks 32 -HeldOutTasks 4 -EvaluationTasks 2 |
///     Format-Table Step, Family, Loss, HeldOutAccuracy
/// </code>
/// <para>
/// Trains one LLaMA-family model on a half-and-half mixture of keyed lookups and transductions for 4 updates and shows the
/// held-out accuracy of each family (llama-tiny-4l-mix took 20000 updates; see its Command in Get-IclModel).
/// </para>
/// </example>
/// <example>
/// <code>
/// Start-IclTraining -TextFamily Rules -Alphabet abcdefghijkl -Shifts 0, 1, -1 -Permutations 1 -HeldOutShifts 2 -Steps 4 -BatchSize 4 -EvaluateEvery 2
/// </code>
/// <para>
/// Trains for 4 updates on copy, successor, predecessor and one fixed permutation of 12 letters; forward-2 is held out
/// (text-rules-6l took 6000 updates on the default rules).
/// </para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "IclTraining", DefaultParameterSetName = PresetSet, SupportsShouldProcess = true, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#start-icltraining")]
[OutputType(typeof(RegressionTrainingProgress), typeof(IclRegressionModel), ParameterSetName = [PresetSet, ModelSet])]
[OutputType(typeof(TextTrainingProgress), typeof(IclModel), ParameterSetName = [TextSet])]
public sealed class StartIclTrainingCommand : IclPsCmdlet
{
    private const string PresetSet = "Preset";
    private const string ModelSet = "Model";
    private const string TextSet = "Text";

    /// <summary>
    /// The regression architecture: regression-tiny (2 layers, d_model 32, 2 heads), regression-small (4 layers, d_model 64)
    /// or regression-base (8 layers, d_model 128); its read-in is sized to D + 1 channels. Default: regression-tiny.
    /// </summary>
    [Parameter(ParameterSetName = PresetSet, Position = 0)]
    [ValidateSet("regression-tiny", "regression-small", "regression-base", IgnoreCase = true)]
    public string Preset { get; set; } = "regression-tiny";

    /// <summary>
    /// A regression model (IclRegressionModel) to train further: its weights are trained in place, not re-initialised, and
    /// unbound task parameters come from its training tasks. Can be piped in.
    /// </summary>
    [Parameter(ParameterSetName = ModelSet, Mandatory = true, ValueFromPipeline = true)]
    public IclRegressionModel? Model { get; set; }

    /// <summary>
    /// The function class of the regression tasks: Linear (Raventós et al., Garg et al.), or Garg et al.'s SparseLinear,
    /// DecisionTree or ReluNet, which draw a fresh task per sequence. Tab completion lists them.
    /// </summary>
    /// <value>Linear (with -Model: its training tasks)</value>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet)]
    [ValidateSet("Linear", "SparseLinear", "DecisionTree", "ReluNet", IgnoreCase = true)]
    public string TaskFamily { get; set; } = "Linear";
    /// <summary>SparseLinear: the nonzero weights s of each task, from 1 to D.</summary>
    /// <value>3, Garg et al.'s (with -Model: its training tasks)</value>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(1, 1024)] public int Sparsity { get; set; } = 3;
    /// <summary>DecisionTree: the depth of each tree, from 1 to 20.</summary>
    /// <value>4, Garg et al.'s (with -Model: its training tasks)</value>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(1, 20)] public int Depth { get; set; } = 4;
    /// <summary>ReluNet: the hidden units H of each 2-layer network, from 1 to 100000.</summary>
    /// <value>100, Garg et al.'s (with -Model: its training tasks)</value>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(1, 100_000)] public int Hidden { get; set; } = 100;

    /// <summary>The input dimension D of the tasks, from 1 to 1024.</summary>
    /// <value>8 (with -Model: its training tasks)</value>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(1, 1024)] public int Dimension { get; set; } = 8;
    /// <summary>The pairs per training sequence K, from 1 to 100000.</summary>
    /// <value>16 (with -Model: its training tasks)</value>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(1, 100_000)] public int Points { get; set; } = 16;
    /// <summary>The number M of tasks in the training pool; 0 draws a fresh task per sequence.</summary>
    /// <value>0, fresh tasks (with -Model: its training tasks)</value>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(0, int.MaxValue)] public int TaskPoolSize { get; set; }
    /// <summary>The variance sigma^2 of the noise added to the targets, 0 or more.</summary>
    /// <value>0.25 for Linear, 0 for the other classes (with -Model: its training tasks)</value>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(0.0, 1e6)] public double NoiseVariance { get; set; } = 0.25;
    /// <summary>
    /// Seed of the regression task pool, or of which maps a text family trains on and holds out. Default: 0 (with -Model: its
    /// training tasks).
    /// </summary>
    [Parameter] public long TaskSeed { get; set; }

    /// <summary>
    /// Trains a language model on this symbolic text task family instead of a regression model: KeyedLookup (keyed category
    /// lookups, held-out maps), Rules (one-rule tasks over single symbols, every rule trained on) or Transduction (words
    /// rewritten symbol by symbol by a permutation, held-out permutations). Several families train one model on their
    /// mixture (see -FamilyWeight).
    /// </summary>
    [Parameter(ParameterSetName = TextSet, Mandatory = true)]
    [ValidateSet("KeyedLookup", "Rules", "Transduction", IgnoreCase = true), ValidateCount(1, 3)]
    public string[] TextFamily { get; set; } = ["KeyedLookup"];
    /// <summary>
    /// With several -TextFamily values: their relative weights, one per family in the same order, each above 0; a training
    /// sequence comes from a family with probability its weight over the sum. Default: equal weights.
    /// </summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty] public double[]? FamilyWeight { get; set; }
    /// <summary>Transduction: the symbols each task permutes, one character each, at least 2. Default: ABCDEFGHI.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty] public string TransductionAlphabet { get; set; } = new TransductionTaskFamilyOptions().Alphabet;
    /// <summary>
    /// Transduction: the symbols translations are spelled in, as many as -TransductionAlphabet (the same string permutes the
    /// alphabet itself); zero-shot chance is one over their count. Default: JKLMNOPQR.
    /// </summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty] public string TransductionOutputs { get; set; } = new TransductionTaskFamilyOptions().Outputs;
    /// <summary>Transduction: the symbols per input word, at least 1 (at most 10000 words per task). Default: 2.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(1, 64)] public int WordLength { get; set; } = new TransductionTaskFamilyOptions().WordLength;

    /// <summary>
    /// The language model's architecture, a preset of New-IclModel (gpt2-tiny, gpt2-tiny-6l, gpt2-mini, gpt2-small, llama-tiny, llama-tiny-4l); the model
    /// uses the byte tokenizer, gpt2-small too. Default: gpt2-tiny.
    /// </summary>
    [Parameter(ParameterSetName = TextSet), ValidatePreset, ArgumentCompleter(typeof(PresetCompleter))] public string ModelPreset { get; set; } = "gpt2-tiny";
    /// <summary>KeyedLookup: the key characters; an input is a key then an instance, e.g. "a3". Default: abc.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty] public string Keys { get; set; } = "abc";
    /// <summary>KeyedLookup: the instance characters, at least 2. Default: 123456789.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty] public string Instances { get; set; } = "123456789";
    /// <summary>
    /// KeyedLookup: the output symbols a task maps each key to; zero-shot chance is one over their count. Default: rstuvwxyz.
    /// </summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty] public string Outputs { get; set; } = "rstuvwxyz";
    /// <summary>
    /// Rules: the symbols, one character each, in the cyclic order the shifts step through. Default: the 26 lower-case then
    /// the 26 upper-case letters (so shift 26 swaps the case).
    /// </summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty] public string Alphabet { get; set; } = new RuleTaskFamilyOptions().Alphabet;
    /// <summary>Rules: the trained shift rules, x -> the symbol k places on; 0 copy, 1 successor, -1 predecessor. Default: 0, 1, -1, 2, -2, 3, -3, 26.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNull] public int[] Shifts { get; set; } = [.. new RuleTaskFamilyOptions().Shifts];
    /// <summary>Rules: fixed random permutations of the alphabet trained on, drawn from -TaskSeed, 0 or more. Default: 4.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(0, 1000)] public int Permutations { get; set; } = new RuleTaskFamilyOptions().Permutations;
    /// <summary>Rules: shift rules held out of training and scored as HeldOutAccuracy, at least one. Default: 4 (forward-4).</summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty] public int[] HeldOutShifts { get; set; } = [.. new RuleTaskFamilyOptions().HeldOutShifts];
    /// <summary>KeyedLookup and Transduction: the distinct maps (tasks) of each family trained on, at least 1. Default: 512.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(1, int.MaxValue)] public int TrainTasks { get; set; } = 512;
    /// <summary>
    /// KeyedLookup and Transduction: the distinct maps of each family held out of training (none equals a training map) and
    /// scored at each progress row, at least 1. Default: 64.
    /// </summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(1, int.MaxValue)] public int HeldOutTasks { get; set; } = 64;
    /// <summary>
    /// Demonstrations per training sequence, 0 or more; every answer in a sequence is scored, so all smaller shot counts are
    /// trained too. Default: 8.
    /// </summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(0, int.MaxValue)] public int Shots { get; set; } = 8;
    /// <summary>Demonstrations per prompt when the progress rows measure accuracy, 0 or more. Default: 8.</summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(0, int.MaxValue)] public int EvaluationShots { get; set; } = 8;
    /// <summary>
    /// Maps of each pool (training and held-out) whose every pair is scored at each progress row, at least 1. Default: 16.
    /// </summary>
    [Parameter(ParameterSetName = TextSet), ValidateRange(1, int.MaxValue)] public int EvaluationTasks { get; set; } = 16;

    /// <summary>
    /// Optimizer updates of the whole run, at least 1; a resumed run counts those before the resume. Default: 1000.
    /// </summary>
    [Parameter, ValidateRange(1, int.MaxValue)] public int Steps { get; set; } = 1000;
    /// <summary>Sequences per update, at least 1. Default: 256.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)] public int BatchSize { get; set; } = 256;
    /// <summary>AdamW's peak learning rate, above 0. Default: 0.001.</summary>
    [Parameter, ValidateRange(1e-12, 1e6)] public double LearningRate { get; set; } = 1e-3;
    /// <summary>
    /// How the learning rate moves over the run: Constant, a linear warm-up over -WarmupSteps then constant (the one
    /// schedule that does not depend on -Steps, so a finished run can be resumed with a larger -Steps); Triangle, a linear
    /// rise over the first half and a linear fall to 0 (Raventós et al.); or Cosine, a linear warm-up over -WarmupSteps then
    /// a cosine decay to 0. Default: Triangle.
    /// </summary>
    [Parameter] public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Triangle;
    /// <summary>Linear warm-up updates of the Constant and Cosine schedules, from 0 to below -Steps. Default: 0.</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int WarmupSteps { get; set; }
    /// <summary>AdamW's decoupled weight decay on every parameter, 0 or more (0 trains with plain Adam). Default: 0.</summary>
    [Parameter, ValidateRange(0.0, 1e6)] public double WeightDecay { get; set; }
    /// <summary>Clips the gradient's global L2 norm to this value, above 0, before each update. Default: no clipping.</summary>
    [Parameter, ValidateRange(1e-12, 1e12)] public double? MaxGradNorm { get; set; }

    /// <summary>
    /// Follows Garg et al.'s curriculum: D from ceil(D/4) up by 1 and K from 2 ceil(D/4) + 1 up by 2, zero-padding x, over
    /// the first half of the run (or -CurriculumEvery). Fresh tasks only: it cannot be combined with -TaskPoolSize.
    /// </summary>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet)] public SwitchParameter Curriculum { get; set; }
    /// <summary>Updates per curriculum stage, 0 or more; 0 spreads the stages over the first half of the run. Default: 0.</summary>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(0, int.MaxValue)] public int CurriculumEvery { get; set; }

    /// <summary>
    /// Seed of every random choice of the run: initialisation, batches and the held-out evaluation sequences. The same
    /// command and seed give the same numbers. Default: 0.
    /// </summary>
    [Parameter] public long Seed { get; set; }

    /// <summary>
    /// The run folder for checkpoints (step-NNNNNNNN subfolders) and, for regression, regression-task.json; created if
    /// missing. Relative paths are resolved from the current PowerShell location. Default: no checkpoints.
    /// </summary>
    [Parameter, ValidateNotNullOrEmpty] public string? Path { get; set; }
    /// <summary>
    /// Writes a checkpoint every this many updates, 0 or more, besides the ones after the last update and on Ctrl+C (all need
    /// -Path). Default: 0, only those.
    /// </summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int CheckpointEvery { get; set; }
    /// <summary>How many of the newest checkpoints to keep in -Path, at least 1; older ones are deleted. Default: 2.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)] public int KeepCheckpoints { get; set; } = 2;
    /// <summary>
    /// Continues from the newest checkpoint in -Path exactly (a fresh start when there is none); the run-defining options
    /// (-Steps, -BatchSize, -LearningRate, -Schedule, -Seed, ...) must match the run's, except -Steps under -Schedule
    /// Constant: a larger one extends the run, with the same numbers as a run that asked for it from the start. Needs -Path.
    /// </summary>
    [Parameter] public SwitchParameter Resume { get; set; }

    /// <summary>Writes a progress row every this many updates (and after the last), 0 or more; 0 writes only the last. Default: 100.</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int EvaluateEvery { get; set; } = 100;
    /// <summary>
    /// Held-out sequences per task source (pool and fresh) behind each regression progress row, from 1 to 1000000.
    /// Default: 256.
    /// </summary>
    [Parameter(ParameterSetName = PresetSet), Parameter(ParameterSetName = ModelSet), ValidateRange(1, 1_000_000)] public int EvaluationSamples { get; set; } = 256;

    /// <summary>
    /// Where a new model is created and trained: auto (CUDA when this build of IclPs and the machine have it, else the CPU),
    /// cpu or cuda. A -Model trains where it is. Default: auto.
    /// </summary>
    [Parameter, ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)] public string Device { get; set; } = "auto";
    /// <summary>
    /// The new model's name, shown in progress rows and results. Default: the preset's name; a -Model keeps its own.
    /// </summary>
    [Parameter, ValidateNotNullOrEmpty] public string? Name { get; set; }
    /// <summary>Writes the trained model after the progress rows, as the last object.</summary>
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
        UseThreadsFor(model.Config.ParameterCount);
        var ownsModel = Model is null;
        try
        {
            model.CheckFits(task);
            var options = TrainingOptions(folder, initialiseModel: ownsModel);
            var action = $"Train {model.Name} for {Steps} updates on {task}, writing checkpoints";
            if (folder is not null && !ShouldProcess(folder, action)) return;
            using var runLock = LockRunFolder(folder);
            if (folder is not null) RecordTask(folder, task);
            Train(model, task, options, runLock);
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
        var families = TextFamilies();
        var weights = FamilyWeights(families.Count);
        var folder = RunFolder();
        var preset = ModelPreset.ToLowerInvariant();
        // The byte tokenizer for every preset, gpt2-small included: the text families are laid out and scored in its tokens.
        var model = IclModel.CreateRandom(ModelConfig.Presets[preset], Seed, Name ?? preset, TorchSelection.Device(Device), configDescription: $"preset:{preset}",
            tokenizer: SimpleTokenizer.Bytes());
        UseThreadsFor(model.Config.ParameterCount);
        var ownsModel = true;
        try
        {
            var sampler = new SymbolicSequenceSampler();
            var components = families.Select((f, i) => new MixtureComponent(f.Name,
                new SymbolicBatchSource(f.Train, sampler, model.Tokenizer, model.Config.ContextLength, BatchSize, Shots, TaskSeed), weights[i])).ToArray();
            IBatchSource source = components.Length == 1 ? new SymbolicTrainingSource(components[0].Source) : new MixtureTrainingSource(components);
            var evaluators = families.Select(f =>
                (f.Name, Evaluator: new SymbolicIclEvaluator(model.Tokenizer, f.Train, f.HeldOut, EvaluationShots, EvaluationTasks, (int)(Seed & int.MaxValue), sampler.Format))).ToArray();
            var familyNames = string.Join(" + ", families.Select(f => f.Name));
            if (folder is not null && !ShouldProcess(folder, $"Train {model.Name} for {Steps} updates on {familyNames}, writing checkpoints")) return;
            using var runLock = LockRunFolder(folder);
            var trainer = new IclTrainer(model.Network, source, TrainingOptions(folder, initialiseModel: true))
            {
                FolderLock = runLock,
                Evaluator = (network, step) => IsReportStep(step) ? EvaluateFamilies(evaluators, network) : new Dictionary<string, double>(),
            };
            WriteVerbose($"Training {model.Name} ({model.Config}, {model.Config.ParameterCount:N0} parameters, tokenizer {model.Tokenizer.Name}) on {model.Network.Device}: " +
                $"{string.Join("; ", families.Select(f => $"{f.Name} with {f.Train.Count} training and {f.HeldOut.Count} held-out maps"))}, {Shots} shots per sequence; " +
                $"{Steps} updates of {BatchSize}, lr {LearningRate} {Schedule}, weight decay {WeightDecay}, seed {Seed}{(folder is null ? "" : $", checkpoints in {folder}")}.");
            if (source is MixtureTrainingSource mixture)
                WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                    $"Mixture: {string.Join(", ", families.Select((f, i) => $"{f.Name} {mixture.Probabilities[i]:0.###}"))} of the training sequences."));
            foreach (var (f, e) in families.Zip(evaluators))
                WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                    $"{f.Name} progress rows score every pair of {e.Evaluator.TrainSubset.Count} training and {e.Evaluator.HeldOutSubset.Count} held-out maps at {EvaluationShots} shots; {f.ChanceNote}."));
            Run(trainer, model.Name, (e, meanLoss) => families.Select(f => new TextTrainingProgress
            {
                Model = model.Name, Family = f.Name, Step = e.Step, Steps = Steps, Loss = meanLoss, LearningRate = e.LearningRate, Shots = EvaluationShots,
                TrainAccuracy = e.Metrics[MetricKey(f.Name, SymbolicIclEvaluator.TrainAccuracy)],
                HeldOutAccuracy = e.Metrics[MetricKey(f.Name, SymbolicIclEvaluator.HeldOutAccuracy)], Elapsed = e.Elapsed,
            }).ToArray());
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

    private static string MetricKey(string family, string metric) => $"{family}/{metric}";

    /// <summary>Each family's training and held-out accuracy, under "family/metric".</summary>
    private Dictionary<string, double> EvaluateFamilies((string Name, SymbolicIclEvaluator Evaluator)[] evaluators, TransformerModel network)
    {
        var metrics = new Dictionary<string, double>();
        foreach (var (name, evaluator) in evaluators)
            foreach (var (metric, value) in evaluator.Evaluate(network, Cancellation)) metrics[MetricKey(name, metric)] = value;
        return metrics;
    }

    /// <summary>-FamilyWeight checked against the families: one finite weight above 0 per family; equal when not given.</summary>
    private double[] FamilyWeights(int families)
    {
        if (FamilyWeight is null) return Enumerable.Repeat(1.0, families).ToArray();
        if (FamilyWeight.Length != families)
            throw new IclPsException(TrainingErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"-FamilyWeight needs one weight per -TextFamily ({families}), got {FamilyWeight.Length}.", FamilyWeight);
        var bad = FamilyWeight.Where(w => !(w > 0) || !double.IsFinite(w)).Select(w => (double?)w).FirstOrDefault();
        if (bad is not null)
            throw new IclPsException(TrainingErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"Every -FamilyWeight must be a finite number above 0, got {bad}."), bad);
        return FamilyWeight;
    }

    /// <summary>Each -TextFamily, in the order given (named as ValidateSet spells it), with its training and held-out tasks and a note on chance for the verbose log.</summary>
    private List<(string Name, IReadOnlyList<SymbolicTask> Train, IReadOnlyList<SymbolicTask> HeldOut, string ChanceNote)> TextFamilies()
    {
        var names = TextFamily.Select(f => new[] { "KeyedLookup", "Rules", "Transduction" }.First(n => string.Equals(n, f, StringComparison.OrdinalIgnoreCase))).ToArray();
        var twice = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new IclPsException(TrainingErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"-TextFamily names {twice.Key} twice.", twice.Key);
        return names.Select(TextTasks).ToList();
    }

    /// <summary>The training and held-out tasks of the family <paramref name="name"/>, and a note on chance for the verbose log.</summary>
    private (string Name, IReadOnlyList<SymbolicTask> Train, IReadOnlyList<SymbolicTask> HeldOut, string ChanceNote) TextTasks(string name)
    {
        switch (name)
        {
            case "Rules":
                var rules = new RuleTaskFamily(new RuleTaskFamilyOptions
                {
                    Alphabet = Alphabet, Shifts = Shifts, Permutations = Permutations, HeldOutShifts = HeldOutShifts, TaskSeed = TaskSeed,
                });
                return (name, rules.TrainTasks, rules.HeldOutTasks, string.Create(CultureInfo.InvariantCulture,
                    $"rules {string.Join(", ", rules.TrainTasks.Select(t => t.Name))}; zero-shot chance among them {rules.Chance:0.000}"));
            case "Transduction":
                var words = new TransductionTaskFamily(new TransductionTaskFamilyOptions
                {
                    Alphabet = TransductionAlphabet, Outputs = TransductionOutputs, WordLength = WordLength, TrainTasks = TrainTasks, HeldOutTasks = HeldOutTasks, TaskSeed = TaskSeed,
                });
                return (name, words.TrainTasks, words.HeldOutTasks, string.Create(CultureInfo.InvariantCulture,
                    $"chance {words.Chance:0.000}, best possible {words.AccuracyCeiling(EvaluationShots, 10_000):0.000}"));
            default:
                var family = new KeyedLookupTaskFamily(new KeyedLookupTaskFamilyOptions
                {
                    Keys = Keys, Instances = Instances, Outputs = Outputs, TrainTasks = TrainTasks, HeldOutTasks = HeldOutTasks, TaskSeed = TaskSeed,
                });
                return (name, family.TrainTasks, family.HeldOutTasks, string.Create(CultureInfo.InvariantCulture,
                    $"chance {family.Chance:0.000}, best possible {family.AccuracyCeiling(EvaluationShots):0.000}"));
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

    /// <summary>The run folder locked for this run (see <see cref="RunFolderLock"/>); null without -Path.</summary>
    private WriterLock? LockRunFolder(string? folder) => folder is null ? null : RunFolderLock.Acquire(this, folder, "Start-IclTraining");

    private void Train(IclRegressionModel model, RegressionTaskSettings task, IclTrainingOptions options, WriterLock? runLock)
    {
        var family = task.CreateTaskFamily();
        using var ownedFamily = family as IDisposable;
        var width = model.Config.InputDim;
        var stageFamilies = new List<IRegressionTaskFamily>();
        IBatchSource source = new RegressionBatchSource(family, task.Points, width);
        if (Curriculum)
        {
            var (dimensions, points) = CurriculumStages(task);
            source = new CurriculumBatchSource(dimensions, points, (d, k) =>
            {
                var stage = task.CreateTaskFamily(d);
                stageFamilies.Add(stage);
                return new RegressionBatchSource(stage, k, width);
            });
            WriteVerbose($"Curriculum: dimensions {dimensions}; points {points}.");
        }
        var evaluator = new RegressionEvaluator(family, task.Points, new RegressionEvaluationOptions
        {
            Samples = EvaluationSamples, BatchSize = Math.Min(EvaluationSamples, 256), Seed = Seed, Baselines = TrackedBaselines(family),
        });
        var trainer = new IclTrainer(model.Network, source, options)
        {
            FolderLock = runLock,
            Evaluator = (network, step) => IsReportStep(step)
                ? ProgressMetrics(evaluator.Evaluate(model.Name, (RegressionModel)network).Summaries)
                : new Dictionary<string, double>(),
        };
        WriteVerbose($"Training {model.Name} ({model.Config}, {model.Config.ParameterCount:N0} parameters) on {model.Network.Device}: {source.Description}; " +
            $"{Steps} updates of {BatchSize}, lr {LearningRate} {Schedule}, weight decay {WeightDecay}, seed {Seed}{(options.CheckpointFolder is null ? "" : $", checkpoints in {options.CheckpointFolder}")}.");

        try
        {
            Run(trainer, model.Name, (e, meanLoss) => new RegressionTrainingProgress
            {
                Model = model.Name, Step = e.Step, Steps = Steps, Loss = meanLoss, LearningRate = e.LearningRate,
                PretrainError = e.Metrics[RegressionTaskSource.Pretrain], FreshError = e.Metrics[RegressionTaskSource.Fresh],
                PretrainDeltaRidge = Metric(e.Metrics, RegressionTaskSource.Pretrain, DeltaRidgeKey),
                PretrainDeltaDmmse = Metric(e.Metrics, RegressionTaskSource.Pretrain, DeltaDmmseKey),
                FreshDeltaRidge = Metric(e.Metrics, RegressionTaskSource.Fresh, DeltaRidgeKey),
                FreshDeltaDmmse = Metric(e.Metrics, RegressionTaskSource.Fresh, DeltaDmmseKey),
                Elapsed = e.Elapsed,
            });
        }
        finally
        {
            foreach (var stage in stageFamilies) (stage as IDisposable)?.Dispose();
        }
    }

    private const string DeltaRidgeKey = "delta-ridge", DeltaDmmseKey = "delta-dmmse";

    /// <summary>
    /// The estimators whose Delta a progress row tracks: Ridge (needs a noise variance above 0) and dMMSE (needs a pool),
    /// both Bayes-optimal for linear tasks only.
    /// </summary>
    private static List<IRegressionBaseline> TrackedBaselines(IRegressionTaskFamily family)
    {
        var tracked = new List<IRegressionBaseline>();
        if (family is not LinearTaskFamily linear) return tracked;
        if (linear.NoiseVariance > 0) tracked.Add(new RidgeBaseline(linear.NoiseVariance));
        if (linear.Pool is not null) tracked.Add(DmmseBaseline.For(linear));
        return tracked;
    }

    /// <summary>The model's error per source under the source's name, and its Deltas under "source/delta-...".</summary>
    private static Dictionary<string, double> ProgressMetrics(IEnumerable<RegressionSummary> summaries)
    {
        var metrics = new Dictionary<string, double>();
        foreach (var s in summaries)
        {
            metrics[s.TaskSource] = s.ModelError;
            if (s.DeltaRidge is { } ridge) metrics[$"{s.TaskSource}/{DeltaRidgeKey}"] = ridge;
            if (s.DeltaDmmse is { } dmmse) metrics[$"{s.TaskSource}/{DeltaDmmseKey}"] = dmmse;
        }
        return metrics;
    }

    private static double? Metric(IReadOnlyDictionary<string, double> metrics, string source, string key) =>
        metrics.TryGetValue($"{source}/{key}", out var value) ? value : null;

    /// <summary>
    /// Trains with a progress bar, writing <paramref name="row"/> (given the report and the mean loss since the previous
    /// row) at every report step; a cancelled run warns where it stopped and ends the pipeline.
    /// </summary>
    private void Run(IclTrainer trainer, string modelName, Func<TrainingEvaluation, double, object> row)
    {
        var progress = StartProgress($"Training {modelName}");
        var (lossSum, lossCount) = (0.0, 0);
        // A stop raised by a write (the usual place for Ctrl+C to land) still gets the trainer's last checkpoint.
        using var stop = new WriteStopGuard(Cancellation);
        try
        {
            var result = trainer.Train(e => stop.Write(() =>
            {
                (lossSum, lossCount) = (lossSum + e.Loss, lossCount + 1);
                progress.Report(e.Step, Steps, string.Create(CultureInfo.InvariantCulture, $"Update {e.Step}/{Steps}, loss {e.Loss:0.0000}"));
                if (!IsReportStep(e.Step)) return;
                WriteObject(row(e, lossSum / lossCount), enumerateCollection: true);
                (lossSum, lossCount) = (0, 0);
            }), stop.Token);
            stop.ThrowIfStopped();
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
