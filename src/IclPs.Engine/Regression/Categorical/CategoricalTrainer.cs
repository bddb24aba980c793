using System.Diagnostics;
using IclPs.Engine.Data;
using IclPs.Engine.Storage;
using IclPs.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>
/// Trains a <see cref="CategoricalAttentionModel"/> on a fixed training set of <see cref="CategoricalTasks"/> contexts with the
/// authors' optimisers and early stopping (<see cref="CategoricalTrainingOptions"/>), with resumable checkpoints. A plain loop
/// rather than <see cref="IclTrainer"/>, which trains token-sequence transformers on streamed batches with HF checkpoints.
/// At the end the model holds the weights of the best validation loss.
/// </summary>
public sealed class CategoricalTrainer
{
    private readonly CategoricalTasks _tasks;
    private readonly CategoricalAttentionModel _model;
    private readonly CategoricalTrainingOptions _options;

    public CategoricalTrainer(CategoricalTasks tasks, CategoricalAttentionModel model, CategoricalTrainingOptions options)
    {
        options.Validate();
        model.Config.CheckFits(tasks.Settings);
        (_tasks, _model, _options) = (tasks, model, options);
    }

    /// <summary>
    /// The writer lock of <see cref="CategoricalTrainingOptions.CheckpointFolder"/> when the caller already holds it; the caller
    /// releases it. When null, <see cref="Train"/> takes the lock itself for the run and removes leftovers of dead writers.
    /// </summary>
    public WriterLock? FolderLock { get; init; }

    /// <summary>Runs to <see cref="CategoricalTrainingOptions.Steps"/> updates, an early stop or cancellation (then a checkpoint is written if a folder is set).</summary>
    public CategoricalTrainingResult Train(IProgress<CategoricalTrainingReport>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = _options;
        var folder = o.CheckpointFolder;
        // One writer per run folder: a second run on it fails with FolderInUse, naming this one, instead of racing it.
        using var runLock = AcquireRunLock();
        if (folder is not null && !o.Resume && CategoricalCheckpoint.List(folder).Count > 0)
            throw new IclPsException(CategoricalErrorIds.CheckpointsExist, IclErrorKind.InvalidArgument,
                $"'{Path.GetFullPath(folder)}' already holds checkpoints; resume that run or choose another folder.", folder);
        var dtype = _model.DType;
        var device = _model.Embedding.device;
        using var train = _tasks.Sample(CategoricalDataSplit.Train, o.TrainContexts, dtype, device);
        using var validation = _tasks.Sample(CategoricalDataSplit.Validation, o.ValidationContexts, dtype, device);
        using var optimizer = new AdamWOptimizer(_model.Weights(), beta1: 0.9, beta2: o.EffectiveBeta2(_model.Config.Kind), weightDecay: o.WeightDecay);
        var best = _model.Weights().Select(w => (w.Name, Tensor: w.Parameter.detach().clone().DetachFromDisposeScope())).ToList();
        try
        {
            var stopping = CategoricalEarlyStopping.Start;
            var first = 0;
            if (o.Resume && CategoricalCheckpoint.List(folder!) is { Count: > 0 } saved)
                (first, stopping) = CategoricalCheckpoint.Resume(saved[^1].Path, _model, optimizer, best, _tasks.Settings, o);
            string? last = null;
            var clock = Stopwatch.StartNew();
            var step = first;
            var cancelled = false;
            while (step < o.Steps && !stopping.Stopped)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    cancelled = true;
                    break;
                }
                var loss = Update(train, optimizer, step);
                step++;
                CategoricalScore? score = null;
                var isBest = false;
                if (step % o.EffectiveEvaluateEvery == 0 || step == o.Steps)
                {
                    var s = CategoricalEvaluator.Score(_model, validation);
                    score = s;
                    if (!double.IsFinite(s.Nll))
                        throw new IclPsException(CategoricalErrorIds.Diverged, IclErrorKind.InvalidOperation, $"The validation loss is {s.Nll} after update {step}.", step);
                    if (s.Nll < stopping.BestValidationLoss)
                    {
                        isBest = true;
                        stopping = new CategoricalEarlyStopping(step, s.Nll, s.Accuracy, 0, false);
                        CopyWeights(best);
                    }
                    else
                    {
                        var since = stopping.EvaluationsSinceBest + 1;
                        stopping = stopping with { EvaluationsSinceBest = since, Stopped = o.Patience > 0 && since >= o.Patience };
                    }
                }
                progress?.Report(new CategoricalTrainingReport(step, loss, score, isBest, stopping.BestStep, stopping.BestValidationLoss, clock.Elapsed));
                if (folder is not null && o.CheckpointEvery > 0 && step % o.CheckpointEvery == 0 && step < o.Steps && !stopping.Stopped)
                    last = Checkpoint(folder, step, optimizer, best, stopping, cancellationToken);
            }
            if (folder is not null && step > first)
                last = Checkpoint(folder, step, optimizer, best, stopping, CancellationToken.None);
            else if (folder is not null)
                last = CategoricalCheckpoint.List(folder) is { Count: > 0 } all ? all[^1].Path : null;
            if (!cancelled && stopping.BestStep > 0) _model.LoadWeights(best);
            return new CategoricalTrainingResult(first, step, stopping.BestStep, stopping.BestValidationLoss, stopping.BestValidationAccuracy, stopping.Stopped, cancelled, last);
        }
        finally
        {
            foreach (var (_, t) in best) t.Dispose();
        }
    }

    /// <summary>The run folder's lock when this run must take it (null without a folder or when <see cref="FolderLock"/> is given).</summary>
    private WriterLock? AcquireRunLock()
    {
        if (_options.CheckpointFolder is not { } folder) return null;
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (FolderLock is { } held)
        {
            if (!held.IsHeld || !string.Equals(held.Resource, full, StringComparison.Ordinal))
                throw new ArgumentException($"FolderLock must be the held lock of the checkpoint folder '{full}', not of '{held.Resource}'.", nameof(FolderLock));
            return null;
        }
        var taken = WriterLock.AcquireFolder(full, "categorical training");
        TempFiles.RemoveStale(full);
        return taken;
    }

    /// <summary>The contexts of update <paramref name="step"/> (0-based): minibatch t mod E of the epoch's permutation, seeded by (seed, epoch).</summary>
    public static Tensor MinibatchIndices(CategoricalTrainingOptions options, int step)
    {
        var perEpoch = options.UpdatesPerEpoch;
        var (epoch, position) = (step / perEpoch, step % perEpoch);
        using var gen = new Generator(new SeededRandom(options.Seed, 1L + epoch).NextUInt64());
        using var order = randperm(options.TrainContexts, generator: gen);
        var start = position * options.BatchSize;
        return order.narrow(0, start, Math.Min(options.BatchSize, options.TrainContexts - start)).clone();
    }

    private double Update(CategoricalBatch train, AdamWOptimizer optimizer, int step)
    {
        using var scope = NewDisposeScope();
        using var indices = MinibatchIndices(_options, step);
        using var batch = train.Select(indices.to(train.X.device));
        var loss = _model.Loss(batch);
        _model.zero_grad();
        loss.backward();
        var norm = optimizer.ClipGradNorm(_options.MaxGradNorm);
        var value = loss.to(ScalarType.Float64).item<double>();
        if (!double.IsFinite(value) || !double.IsFinite(norm))
            throw new IclPsException(CategoricalErrorIds.Diverged, IclErrorKind.InvalidOperation,
                $"Update {step + 1}: the loss is {value} and the gradient norm {norm}.", step + 1);
        optimizer.Step(_options.LearningRate);
        return value;
    }

    private void CopyWeights(List<(string Name, Tensor Tensor)> into)
    {
        using var noGrad = no_grad();
        foreach (var ((_, target), (_, source)) in into.Zip(_model.Weights())) target.copy_(source);
    }

    private string Checkpoint(string folder, int step, AdamWOptimizer optimizer, List<(string Name, Tensor Tensor)> best, CategoricalEarlyStopping stopping, CancellationToken token)
    {
        var path = CategoricalCheckpoint.Save(folder, step, _model, optimizer, best, _tasks.Settings, _options, stopping, token);
        CategoricalCheckpoint.Prune(folder, _options.KeepCheckpoints);
        return path;
    }
}
