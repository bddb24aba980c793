using System.Globalization;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Regression.Categorical;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>Trains the GD model or the trained transformer of categorical in-context learning (Wang, Henao and Carin).</summary>
/// <remarks>
/// <para>
/// Categorical in-context learning as functional gradient descent in attention (docs/science.md §4). Each context has N =
/// -ContextPoints points x ~ U(-1, 1)^d and a query, labelled from softmax_c(W_e^T f(x)), where f is a sum of k = -Clusters
/// RBF bumps placed on k of the C = -Categories categories' embeddings. Tokens are [x; w_{e,y}; E; f]; each of -Layers
/// blocks is a self-attention (head 1: one functional gradient-descent step into f with kernel -Kernel; head 2: clears E)
/// and a cross-attention onto the columns of W_e that writes the new expected embedding E. The query's logits are W_e^T f.
/// </para>
/// <para>
/// -ModelKind Gd learns only the step sizes alpha (L x d'), the kernel parameter and W_e (Adam, the authors' optimiser);
/// -Eraser chooses the exact eraser (the reference) or the authors' near-hard-argmax head. -ModelKind Transformer learns
/// every projection of the same blocks (AdamW with betas (0.9, 0.98), initial projections N(0, (0.002 / L)^2)).
/// Training draws minibatches of -BatchSize from a fixed set of -TrainContexts contexts and keeps the weights of the best
/// loss on -ValidationContexts held-out contexts (early stopping; -Patience evaluations without improvement end the run).
/// </para>
/// <para>
/// Writes one CategoricalTrainingProgress per validation evaluation (every -EvaluateEvery updates, by default every epoch):
/// Step, Loss (mean training loss since the previous row), ValidationLoss, ValidationAccuracy and BestStep; with -PassThru
/// the trained CategoricalModel last, holding the best weights. With -Path, checkpoints go to step-NNNNNNNN folders there
/// (Measure-IclCategorical -Path reads them) and -Resume continues the newest exactly. Ctrl+C writes a checkpoint and stops
/// (also when the stop lands while a row is being written). The run folder is locked for the run like Start-IclTraining's
/// (a second writer gets FolderInUse) and every checkpoint appears complete with one rename, or not at all.
/// Bad settings (too few context points for the categories, zero layers, an unknown kernel, a checkpoint of the other model
/// kind) are errors whose ids start with Categorical and that name the value; numbers outside their ranges are refused
/// before any work, and a data set too large for the available memory is CategoricalDataTooLarge.
/// </para>
/// </remarks>
/// <example>
/// <code>Start-IclCategoricalTraining -Layers 1 -TrainContexts 256 -ValidationContexts 128 -BatchSize 64 -Steps 20 -EvaluateEvery 10</code>
/// <para>A quick GD model: 20 Adam updates of 64 contexts, two validation rows.</para>
/// </example>
/// <example>
/// <code>$m = Start-IclCategoricalTraining -ModelKind Transformer -Layers 1 -TrainContexts 256 -ValidationContexts 128 -BatchSize 64 -Steps 10 -PassThru | Select-Object -Last 1; $m</code>
/// <para>Trains a small transformer for 10 updates and keeps the model for Measure-IclCategorical.</para>
/// </example>
/// <example>
/// <code>$run = Join-Path ([IO.Path]::GetTempPath()) "catgd-$PID"; Start-IclCategoricalTraining -Layers 1 -TrainContexts 128 -ValidationContexts 64 -BatchSize 32 -Steps 8 -Path $run | Out-Null; Start-IclCategoricalTraining -Layers 1 -TrainContexts 128 -ValidationContexts 64 -BatchSize 32 -Steps 16 -Path $run -Resume; Remove-Item $run -Recurse</code>
/// <para>Runs 8 updates with a checkpoint folder, then resumes the same run to 16 updates.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "IclCategoricalTraining", SupportsShouldProcess = true, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#start-iclcategoricaltraining")]
[OutputType(typeof(CategoricalTrainingProgress), typeof(CategoricalModel))]
public sealed class StartIclCategoricalTrainingCommand : IclPsCmdlet
{
    /// <summary>Gd (only alpha, beta and W_e learned) or Transformer (every projection learned). Default: Gd.</summary>
    [Parameter(Position = 0), ArgumentCompleter(typeof(CategoricalCompleter))] public string ModelKind { get; set; } = "Gd";
    /// <summary>L, the blocks (GD steps), from 1 to 1000. Default: 2.</summary>
    [Parameter] public int Layers { get; set; } = 2;
    /// <summary>Head 1's kernel: Softmax (the authors' default), Linear or Rbf. Default: Softmax.</summary>
    [Parameter, ArgumentCompleter(typeof(CategoricalCompleter))] public string Kernel { get; set; } = "Softmax";
    /// <summary>GD model only: Exact (E replaced, the reference) or Authors (near-hard argmax of x_i.x_j, which can erase another token's E from layer 2 on). Default: Exact.</summary>
    [Parameter, ArgumentCompleter(typeof(CategoricalCompleter))] public string? Eraser { get; set; }

    /// <summary>C, the categories, from 2 to 100000. Default: 25.</summary>
    [Parameter, ValidateRange(2, 100_000)] public int Categories { get; set; } = 25;
    /// <summary>d', the embedding width, from 1 to 4096. Default: 5.</summary>
    [Parameter, ValidateRange(1, 4096)] public int EmbeddingDim { get; set; } = 5;
    /// <summary>d, the input dimension, from 1 to 4096. Default: 10.</summary>
    [Parameter, ValidateRange(1, 4096)] public int Dimension { get; set; } = 10;
    /// <summary>N, the context points per context, from -Clusters to 100000. Default: 40 (the authors use 125).</summary>
    [Parameter, ValidateRange(1, 100_000)] public int ContextPoints { get; set; } = 40;
    /// <summary>k, the distinct categories (RBF centres) per context, from 2 to -Categories. Default: 5.</summary>
    [Parameter, ValidateRange(2, 100_000)] public int Clusters { get; set; } = 5;
    /// <summary>lambda, the scale of f, from 1e-6 to 1e6. Default: 10.</summary>
    [Parameter, ValidateRange(1e-6, 1e6)] public double Lambda { get; set; } = 10;
    /// <summary>The value of a centre's RBF at its nearest other centre, which sets the widths; in (0, 1), both ends excluded. Default: 0.1.</summary>
    [Parameter, ValidateRange(0.0, 1.0)] public double NearestRbf { get; set; } = 0.1;
    /// <summary>Fixes the data's W_e and the training, validation and evaluation sets. Default: 0.</summary>
    [Parameter] public long DataSeed { get; set; }

    /// <summary>The fixed training set's size, from 1 to 10000000 (the authors: 2048 or 32768). Default: 2048.</summary>
    [Parameter, ValidateRange(1, 10_000_000)] public int TrainContexts { get; set; } = 2048;
    /// <summary>Held-out contexts for early stopping, from 1 to 10000000. Default: 2048.</summary>
    [Parameter, ValidateRange(1, 10_000_000)] public int ValidationContexts { get; set; } = 2048;
    /// <summary>The most updates, at least 1; early stopping may end sooner. Default: 2000.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)] public int Steps { get; set; } = 2000;
    /// <summary>Contexts per update, from 1 to 10000000. Default: 512 (the authors').</summary>
    [Parameter, ValidateRange(1, 10_000_000)] public int BatchSize { get; set; } = 512;
    /// <summary>Adam's learning rate, from 1e-12 to 1e6. Default: 0.001 (the authors').</summary>
    [Parameter, ValidateRange(1e-12, 1e6)] public double LearningRate { get; set; } = 1e-3;
    /// <summary>Adam's beta2, in (0, 1); by default 0.999 for the GD model (Adam) and 0.98 for the transformer (the authors' AdamW).</summary>
    [Parameter, ValidateRange(0.0, 1.0)] public double? Beta2 { get; set; }
    /// <summary>Decoupled weight decay, from 0 to 1e6. Default: 0 (the authors').</summary>
    [Parameter, ValidateRange(0.0, 1e6)] public double WeightDecay { get; set; }
    /// <summary>Clip the global gradient norm to this, from 1e-12 to 1e12; by default no clipping.</summary>
    [Parameter, ValidateRange(1e-12, 1e12)] public double? MaxGradNorm { get; set; }
    /// <summary>Transformer only: the standard deviation of the initial projections, from 1e-12 to 1e3. Default: 0.002 / L (the authors').</summary>
    [Parameter, ValidateRange(1e-12, 1e3)] public double? InitScale { get; set; }
    /// <summary>Updates between validation evaluations (and progress rows), 0 or more; 0 means every epoch, as the authors. Default: 0.</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int EvaluateEvery { get; set; }
    /// <summary>Evaluations without a better validation loss before the run stops, 0 or more; 0 never stops early (the best weights are still kept). Default: 0.</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int Patience { get; set; }
    /// <summary>Seed of the initial weights and the minibatch order. Default: 0.</summary>
    [Parameter] public long Seed { get; set; }

    /// <summary>The run folder for checkpoints (step-NNNNNNNN folders); without it nothing is written.</summary>
    [Parameter, ValidateNotNullOrEmpty] public string? Path { get; set; }
    /// <summary>Updates between checkpoints, 0 or more; 0 writes one only at the end (and on Ctrl+C). Default: 0.</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int CheckpointEvery { get; set; }
    /// <summary>Checkpoints kept in -Path, the newest, at least 1. Default: 2.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)] public int KeepCheckpoints { get; set; } = 2;
    /// <summary>Continue the run in -Path from its newest checkpoint, exactly; its settings must match.</summary>
    [Parameter] public SwitchParameter Resume { get; set; }
    /// <summary>The model's name in the output; by default the -Path folder's name or the kind and depth.</summary>
    [Parameter, ValidateNotNullOrEmpty] public string? Name { get; set; }
    /// <summary>Also write the trained CategoricalModel (best validation weights) after the progress rows.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }
    /// <summary>auto, cpu or cuda. Default: auto.</summary>
    [Parameter, ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)] public string Device { get; set; } = "auto";

    protected override void Process()
    {
        var kind = CategoricalChoices.Kind(ModelKind);
        var kernel = CategoricalChoices.Kernel(Kernel);
        CategoricalEraser? eraser = Eraser is null ? null : CategoricalChoices.Eraser(Eraser);
        var settings = new CategoricalTaskSettings
        {
            Categories = Categories, EmbeddingDim = EmbeddingDim, Dimension = Dimension, ContextPoints = ContextPoints, Clusters = Clusters,
            Lambda = Lambda, NearestRbf = NearestRbf, DataSeed = DataSeed,
        };
        settings.Validate();
        var config = CategoricalModelConfig.For(kind, Layers, kernel, eraser, settings) with { InitScale = InitScale };
        config.Validate();
        if (Resume && Path is null)
            throw new IclPsException(CategoricalErrorIds.InvalidOption, IclErrorKind.InvalidArgument, "-Resume needs -Path, the folder of the run to continue.", "Resume");
        var folder = Path is null ? null : ResolveFilePath(Path);
        var options = new CategoricalTrainingOptions
        {
            Steps = Steps, BatchSize = BatchSize, LearningRate = LearningRate, Beta2 = Beta2, WeightDecay = WeightDecay, MaxGradNorm = MaxGradNorm,
            TrainContexts = TrainContexts, ValidationContexts = ValidationContexts, EvaluateEvery = EvaluateEvery, Patience = Patience, Seed = Seed,
            CheckpointFolder = folder, CheckpointEvery = CheckpointEvery, KeepCheckpoints = KeepCheckpoints, Resume = Resume,
        };
        options.Validate();
        var name = Name ?? (folder is null ? $"{kind}-L{Layers}".ToLowerInvariant() : System.IO.Path.GetFileName(folder.TrimEnd(System.IO.Path.DirectorySeparatorChar)));
        if (folder is not null && !ShouldProcess(folder, $"Train the {config} for up to {Steps} updates, writing checkpoints")) return;

        // One writer per run folder, taken before any work: a -Path that cannot be a folder fails now, not at the first checkpoint.
        using var runLock = folder is null ? null : RunFolderLock.Acquire(this, folder, "Start-IclCategoricalTraining");
        using var tasks = new CategoricalTasks(settings);
        var network = CategoricalAttentionModel.Create(config, Seed, device: TorchSelection.Device(Device));
        UseThreadsFor(network.Weights().Sum(w => w.Parameter.numel()));
        var ownsNetwork = true;
        try
        {
            WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"Training {name}: {config}, {network.Weights().Sum(w => w.Parameter.numel())} parameters; data {settings}; {TrainContexts} training and {ValidationContexts} validation contexts; " +
                $"up to {Steps} updates of {BatchSize}, lr {LearningRate}, beta2 {options.EffectiveBeta2(kind)}, evaluation every {options.EffectiveEvaluateEvery} updates, patience {Patience}, seed {Seed}{(folder is null ? "" : $", checkpoints in {folder}")}."));
            var progress = StartProgress($"Training {name}");
            var (lossSum, lossCount) = (0.0, 0);
            CategoricalTrainingResult result;
            // A stop raised by a write (the usual place for Ctrl+C to land) still gets the trainer's last checkpoint.
            using var stop = new WriteStopGuard(Cancellation);
            try
            {
                var trainer = new CategoricalTrainer(tasks, network, options) { FolderLock = runLock };
                result = trainer.Train(new SynchronousProgress<CategoricalTrainingReport>(r => stop.Write(() =>
                {
                    (lossSum, lossCount) = (lossSum + r.Loss, lossCount + 1);
                    progress.Report(r.Step, Steps, string.Create(CultureInfo.InvariantCulture, $"Update {r.Step}/{Steps}, loss {r.Loss:0.0000}, best validation {r.BestValidationLoss:0.0000} at {r.BestStep}"));
                    if (r.Validation is not { } v) return;
                    WriteObject(new CategoricalTrainingProgress
                    {
                        Name = name, Kind = kind, Layers = Layers, Step = r.Step, Steps = Steps, Loss = lossSum / lossCount,
                        ValidationLoss = v.Nll, ValidationAccuracy = v.Accuracy, BestStep = r.BestStep, Elapsed = r.Elapsed,
                    });
                    (lossSum, lossCount) = (0, 0);
                })), stop.Token);
            }
            finally
            {
                progress.Complete();
            }
            stop.ThrowIfStopped();
            if (result.FirstStep > 0) WriteVerbose($"Resumed from update {result.FirstStep}.");
            if (result.Cancelled)
            {
                WriteWarning($"Training stopped at update {result.FinalStep}{(result.LastCheckpoint is null ? "" : $"; checkpoint '{result.LastCheckpoint}'")}.");
                throw new OperationCanceledException(Cancellation);
            }
            WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"{(result.StoppedEarly ? "Stopped early" : "Finished")} after {result.FinalStep} updates; best validation loss {result.BestValidationLoss:0.0000} (accuracy {result.BestValidationAccuracy:0.000}) at update {result.BestStep}."));
            if (PassThru)
            {
                WriteObject(new CategoricalModel(network, settings, name)
                {
                    TrainContexts = TrainContexts, Seed = Seed, Steps = result.FinalStep, BestStep = result.BestStep,
                    BestValidationLoss = result.BestValidationLoss, Path = result.LastCheckpoint,
                });
                ownsNetwork = false;
            }
        }
        finally
        {
            if (ownsNetwork) network.Dispose();
        }
    }
}
