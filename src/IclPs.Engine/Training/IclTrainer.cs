using System.Diagnostics;
using IclPs.Engine.Adapters;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Training;

/// <summary>
/// Trains a <see cref="TransformerModel"/> on batches from an <see cref="IBatchSource"/> with AdamW: MSE over the scored
/// positions for the regression family, next-token cross-entropy over the scored positions for text families. Every
/// random choice comes from <see cref="IclTrainingOptions.Seed"/>; checkpoints hold everything needed to continue exactly
/// as an uninterrupted run would.
/// </summary>
public sealed class IclTrainer
{
    public IclTrainer(TransformerModel model, IBatchSource source, IclTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // The trainer updates the base weights; an attached adapter would go untrained and unsaved.
        if (model.Adapter is not null)
            throw new IclPsException(LoraErrorIds.AdapterNotMerged, IclErrorKind.InvalidOperation,
                "The model carries a LoRA adapter kept separate; merge it before training the whole model.", model.Identity);
        (Model, Source, Options) = (model, source, options);
    }

    public TransformerModel Model { get; }
    public IBatchSource Source { get; }
    public IclTrainingOptions Options { get; }

    /// <summary>
    /// Measures the model at each report (e.g. error per position on held-out tasks) and returns named values for
    /// <see cref="TrainingEvaluation.Metrics"/>; called with gradients off and the model in eval mode, given the step.
    /// </summary>
    public Func<TransformerModel, int, IReadOnlyDictionary<string, double>>? Evaluator { get; init; }

    /// <summary>
    /// The writer lock of <see cref="IclTrainingOptions.CheckpointFolder"/> when the caller already holds it (a cmdlet that
    /// locks the run folder before writing other files there); the caller releases it. When null, <see cref="Train"/>
    /// takes the lock itself for the run and removes leftovers of dead writers from the folder.
    /// </summary>
    public WriterLock? FolderLock { get; init; }

    /// <summary>
    /// Runs updates until <see cref="IclTrainingOptions.Steps"/>, reporting each evaluation to <paramref name="onEvaluation"/>
    /// on the calling thread. Cancellation stops before the next update, writes a checkpoint (when a folder is set) and
    /// returns with <see cref="TrainingResult.Cancelled"/>. Divergence throws <see cref="TrainingDivergedException"/>.
    /// </summary>
    public TrainingResult Train(Action<TrainingEvaluation>? onEvaluation = null, CancellationToken cancellationToken = default)
    {
        var o = Options;
        // Gradients and AdamW's two moments: three more copies of the weights, refused before they are allocated.
        ModelMemory.EnsureFits(Model.Config, Model.DType, Model.Device, copies: 3, what: "training state (gradients and two AdamW moments)");
        // One writer per run folder: a second run on it fails with FolderInUse, naming this one, instead of racing it.
        using var runLock = AcquireRunLock();
        using var optimizer = new AdamWOptimizer(Model.CheckpointTensors(), o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay);
        var first = Start(optimizer);
        string? lastCheckpoint = o.CheckpointFolder is null ? null : TrainingCheckpoint.List(o.CheckpointFolder).LastOrDefault().Path;
        var losses = new List<double>();
        var evaluations = new List<TrainingEvaluation>();
        var watch = Stopwatch.StartNew();
        var (windowSum, windowCount, completed, cancelled) = (0.0, 0, first, false);

        Model.train();
        try
        {
            for (var step = first; step < o.Steps; step++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    cancelled = true;
                    break;
                }
                var learningRate = o.LearningRateAt(step);
                var loss = Update(step, optimizer, learningRate, lastCheckpoint);
                completed = step + 1;
                losses.Add(loss);
                (windowSum, windowCount) = (windowSum + loss, windowCount + 1);

                if ((o.EvaluateEvery > 0 && completed % o.EvaluateEvery == 0) || completed == o.Steps)
                {
                    var evaluation = new TrainingEvaluation(completed, loss, windowSum / windowCount, learningRate, watch.Elapsed, Evaluate(completed));
                    evaluations.Add(evaluation);
                    (windowSum, windowCount) = (0, 0);
                    onEvaluation?.Invoke(evaluation);
                }
                if (o.CheckpointFolder is not null && ((o.CheckpointEvery > 0 && completed % o.CheckpointEvery == 0) || completed == o.Steps))
                    lastCheckpoint = Checkpoint(completed, optimizer, lastCheckpoint);
            }
            if (cancelled && o.CheckpointFolder is not null) lastCheckpoint = Checkpoint(completed, optimizer, lastCheckpoint);
        }
        finally
        {
            Model.eval();
        }
        return new TrainingResult(first, completed, losses, evaluations, lastCheckpoint, cancelled);
    }

    /// <summary>
    /// The training loss of <paramref name="batch"/> as a scalar tensor with its graph: for a <see cref="RegressionModel"/>
    /// sum(mask * (prediction - target)^2) / sum(mask); for a text model sum(mask * cross-entropy(logits, target)) / sum(mask).
    /// </summary>
    public static Tensor Loss(TransformerModel model, TrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var (inputs, targets, mask) = (batch.Inputs, batch.Targets, batch.LossMask);
        var bt = inputs.shape[..2];
        if (inputs.dim() < 2 || !targets.shape.SequenceEqual(bt) || !mask.shape.SequenceEqual(bt))
            throw new IclPsException(TrainingErrorIds.InvalidBatch, IclErrorKind.InvalidData,
                $"a batch needs targets and loss mask shaped [batch, positions] like its inputs [{string.Join(", ", inputs.shape)}]; " +
                $"got targets [{string.Join(", ", targets.shape)}] and mask [{string.Join(", ", mask.shape)}].", targets.shape);
        var weights = mask.to(model.DType, model.Device);
        Tensor perPosition;
        if (model is RegressionModel regression)
        {
            var predictions = regression.Predict(inputs, batch.AttentionMask);
            perPosition = (predictions - targets.to(model.DType, model.Device)).square();
        }
        else
        {
            var logits = model.Forward(inputs, batch.AttentionMask);
            var vocab = logits.shape[^1];
            // Unscored positions may hold any id; they are replaced so cross_entropy never sees an invalid one.
            var ids = targets.to(ScalarType.Int64, model.Device).masked_fill(weights.eq(0), 0);
            perPosition = nn.functional.cross_entropy(logits.reshape(-1, vocab), ids.reshape(-1), reduction: nn.Reduction.None).view(bt);
        }
        return ((perPosition * weights).sum() / weights.sum().clamp_min(1)).MoveToOuterDisposeScope();
    }

    /// <summary>The run folder's lock when this run must take it (null without a folder or when <see cref="FolderLock"/> is given).</summary>
    private WriterLock? AcquireRunLock()
    {
        var folder = Options.CheckpointFolder;
        if (folder is null) return null;
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (FolderLock is { } held)
        {
            if (!held.IsHeld || !string.Equals(held.Resource, full, StringComparison.Ordinal))
                throw new ArgumentException($"FolderLock must be the held lock of the checkpoint folder '{full}', not of '{held.Resource}'.", nameof(FolderLock));
            return null;
        }
        var taken = WriterLock.AcquireFolder(full, "training");
        TempFiles.RemoveStale(full);
        return taken;
    }

    /// <summary>Restores the newest checkpoint when resuming, else initialises; returns the number of completed updates.</summary>
    private int Start(AdamWOptimizer optimizer)
    {
        var o = Options;
        var existing = o.CheckpointFolder is null ? [] : TrainingCheckpoint.List(o.CheckpointFolder);
        if (existing.Count > 0)
        {
            if (!o.Resume)
                throw new IclPsException(TrainingErrorIds.CheckpointsExist, IclErrorKind.InvalidOperation,
                    $"Checkpoint folder '{o.CheckpointFolder}' already holds checkpoints (newest '{existing[^1].Path}'); set Resume to continue from it or choose an empty folder.",
                    o.CheckpointFolder);
            return TrainingCheckpoint.Load(existing[^1].Path, Model, optimizer, o, Source.Description);
        }
        if (o.InitialiseModel) Model.Initialise(o.Seed);
        return 0;
    }

    /// <summary>One AdamW update on the batch of <paramref name="step"/>; checks loss and gradients before touching the weights.</summary>
    private double Update(int step, AdamWOptimizer optimizer, double learningRate, string? lastCheckpoint)
    {
        using var scope = NewDisposeScope();
        // A caller inside no_grad (a benchmark, an inference session) still trains.
        using var grad = enable_grad();
        using var generator = new Generator(new SeededRandom(Options.Seed, step).NextUInt64(), CPU);
        using var batch = Source.Next(step, Options.BatchSize, generator);
        var loss = Loss(Model, batch);
        var value = loss.to(ScalarType.Float64).item<double>();
        if (!double.IsFinite(value) || value > Options.MaxLoss)
            throw new TrainingDivergedException(step, "the training loss", value, lastCheckpoint);
        Model.zero_grad();
        loss.backward();
        var norm = optimizer.ClipGradNorm(Options.MaxGradNorm);
        if (!double.IsFinite(norm))
            throw new TrainingDivergedException(step, "the gradient norm", norm, lastCheckpoint);
        optimizer.Step(learningRate);
        return value;
    }

    /// <summary>
    /// A checkpoint holds only weights a run can continue from: every parameter and optimizer moment finite, and the loss
    /// at these weights (on the batch of update <paramref name="step"/>, the one the next update would take) finite and at
    /// most <see cref="IclTrainingOptions.MaxLoss"/>. Otherwise the run has diverged and <paramref name="lastCheckpoint"/>
    /// stays the last good one.
    /// </summary>
    private void CheckCheckpointable(int step, AdamWOptimizer optimizer, string? lastCheckpoint)
    {
        foreach (var (name, tensor) in Model.CheckpointTensors().Concat(optimizer.StateTensors()))
        {
            var (nan, posInf, negInf) = FiniteCheck.Count(tensor);
            if (nan + posInf + negInf > 0)
                throw new TrainingDivergedException(step, $"tensor '{name}' of the weights to checkpoint", nan > 0 ? double.NaN : posInf > 0 ? double.PositiveInfinity : double.NegativeInfinity, lastCheckpoint);
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(new SeededRandom(Options.Seed, step).NextUInt64(), CPU);
        using var batch = Source.Next(step, Options.BatchSize, generator);
        var value = Loss(Model, batch).to(ScalarType.Float64).item<double>();
        if (!double.IsFinite(value) || value > Options.MaxLoss)
            throw new TrainingDivergedException(step, "the training loss at the weights to checkpoint", value, lastCheckpoint);
    }

    private IReadOnlyDictionary<string, double> Evaluate(int step)
    {
        if (Evaluator is null) return new Dictionary<string, double>();
        Model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            return Evaluator(Model, step);
        }
        finally
        {
            Model.train();
        }
    }

    private string Checkpoint(int step, AdamWOptimizer optimizer, string? lastCheckpoint)
    {
        CheckCheckpointable(step, optimizer, lastCheckpoint);
        var path = TrainingCheckpoint.Save(Options.CheckpointFolder!, step, Model, optimizer, Options, Source.Description, CancellationToken.None);
        TrainingCheckpoint.Prune(Options.CheckpointFolder!, Options.KeepCheckpoints);
        return path;
    }
}
