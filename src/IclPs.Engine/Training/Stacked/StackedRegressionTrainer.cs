using IclPs.Engine.Checkpoints;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Training.Stacked;

/// <summary>
/// Trains G regression models of one shape together as a <see cref="StackedRegressionModel"/>: one forward, one backward
/// and one AdamW step per update for all of them, each model still on its own data stream (its source, seeded from its
/// own <see cref="IclTrainingOptions.Seed"/> and the step, exactly as <see cref="IclTrainer"/> seeds it), with its own
/// gradient clipping (the norm over its own gradients), divergence checks and checkpoint folder. AdamW is elementwise
/// and the models share no parameter, so each model follows the path <see cref="IclTrainer"/> gives it alone, up to the
/// rounding of batched kernels. The options of all models must agree except for Seed and CheckpointFolder. The ordinary
/// models receive the trained weights when <see cref="Train"/> returns or throws, and before every checkpoint.
/// </summary>
public sealed class StackedRegressionTrainer
{
    public StackedRegressionTrainer(IReadOnlyList<RegressionModel> models, IReadOnlyList<IBatchSource> sources, IReadOnlyList<IclTrainingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(options);
        if (models.Count == 0 || sources.Count != models.Count || options.Count != models.Count)
            throw new IclPsException(StackedTrainingErrorIds.InvalidStack, IclErrorKind.InvalidArgument,
                $"A stack needs one source and one set of options per model; got {models.Count} models, {sources.Count} sources and {options.Count} options.", models.Count);
        var shared = options[0];
        for (var g = 0; g < options.Count; g++)
        {
            options[g].Validate();
            // Everything but the seed and the folder is shared: one learning rate, one step count, one clipping limit.
            if (options[g] with { Seed = shared.Seed, CheckpointFolder = shared.CheckpointFolder } != shared)
                throw new IclPsException(StackedTrainingErrorIds.InvalidStack, IclErrorKind.InvalidArgument,
                    $"The options of model {g} differ from model 0's in more than Seed and CheckpointFolder.", g);
        }
        var folders = options.Select(o => o.CheckpointFolder is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(o.CheckpointFolder))).ToArray();
        if (folders.Any(f => f is null) && folders.Any(f => f is not null))
            throw new IclPsException(StackedTrainingErrorIds.InvalidStack, IclErrorKind.InvalidArgument, "Either every model of a stack has a checkpoint folder or none has.", "CheckpointFolder");
        if (folders.OfType<string>().Distinct(StringComparer.Ordinal).Count() != folders.OfType<string>().Count())
            throw new IclPsException(StackedTrainingErrorIds.InvalidStack, IclErrorKind.InvalidArgument, "Each model of a stack needs its own checkpoint folder.", "CheckpointFolder");
        (Models, Sources, Options, _folders) = (models, sources, options, folders);
    }

    public IReadOnlyList<RegressionModel> Models { get; }
    public IReadOnlyList<IBatchSource> Sources { get; }
    public IReadOnlyList<IclTrainingOptions> Options { get; }
    private readonly string?[] _folders;

    /// <summary>
    /// Runs updates until Steps, calling <paramref name="onUpdate"/> after each with the number of completed updates, the
    /// learning rate and every model's loss. Cancellation stops before the next update and checkpoints (when folders are
    /// set). Divergence of any model throws <see cref="TrainingDivergedException"/> naming it; the models then hold the
    /// weights of the last completed update. Returns one <see cref="TrainingResult"/> per model (no evaluations).
    /// </summary>
    public IReadOnlyList<TrainingResult> Train(Action<int, double, IReadOnlyList<double>>? onUpdate = null, CancellationToken cancellationToken = default)
    {
        var o = Options[0];
        var count = Models.Count;
        var first = Models[0];
        // The stacked weights, gradients and two moments, plus each model's own moments for its checkpoints.
        ModelMemory.EnsureFits(first.Config, first.DType, first.Device, copies: 6 * count, what: "stacked training state (weights, gradients and AdamW moments of every model)");
        var locks = new List<WriterLock>();
        var ownOptimizers = Models.Select(m => new AdamWOptimizer(m.CheckpointTensors(), o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay)).ToArray();
        try
        {
            foreach (var folder in _folders.OfType<string>())
            {
                // One writer per run folder, as for a single run.
                locks.Add(WriterLock.AcquireFolder(folder, "training"));
                TempFiles.RemoveStale(folder);
            }
            var start = Start(ownOptimizers);
            using var stack = new StackedRegressionModel(Models);
            using var optimizer = new AdamWOptimizer(stack.Parameters, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay);
            if (start > 0) LoadMoments(optimizer, ownOptimizers);
            return Run(stack, optimizer, ownOptimizers, start, onUpdate, cancellationToken);
        }
        finally
        {
            foreach (var own in ownOptimizers) own.Dispose();
            foreach (var taken in locks) taken.Dispose();
        }
    }

    private IReadOnlyList<TrainingResult> Run(StackedRegressionModel stack, AdamWOptimizer optimizer, AdamWOptimizer[] ownOptimizers, int first,
        Action<int, double, IReadOnlyList<double>>? onUpdate, CancellationToken cancellationToken)
    {
        var o = Options[0];
        var count = Models.Count;
        var lastCheckpoints = _folders.Select(f => f is null ? null : TrainingCheckpoint.List(f).LastOrDefault().Path).ToArray();
        var losses = Enumerable.Range(0, count).Select(_ => new List<double>()).ToArray();
        var (completed, cancelled) = (first, false);
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
                var values = Update(stack, optimizer, step, learningRate, lastCheckpoints);
                completed = step + 1;
                for (var g = 0; g < count; g++) losses[g].Add(values[g]);
                onUpdate?.Invoke(completed, learningRate, values);
                if (_folders[0] is not null && ((o.CheckpointEvery > 0 && completed % o.CheckpointEvery == 0) || completed == o.Steps))
                    Checkpoint(stack, optimizer, ownOptimizers, completed, lastCheckpoints);
            }
            if (cancelled && _folders[0] is not null) Checkpoint(stack, optimizer, ownOptimizers, completed, lastCheckpoints);
        }
        finally
        {
            for (var g = 0; g < count; g++) stack.CopyTo(g, Models[g]);
        }
        return Enumerable.Range(0, count)
            .Select(g => new TrainingResult(first, completed, losses[g], [], lastCheckpoints[g], cancelled)).ToArray();
    }

    /// <summary>Each model resumed from its newest checkpoint or initialised from its seed; all must stand at one update.</summary>
    private int Start(AdamWOptimizer[] ownOptimizers)
    {
        var steps = new int[Models.Count];
        for (var g = 0; g < Models.Count; g++)
        {
            var o = Options[g];
            var existing = _folders[g] is { } folder ? TrainingCheckpoint.List(folder) : [];
            if (existing.Count > 0)
            {
                if (!o.Resume)
                    throw new IclPsException(TrainingErrorIds.CheckpointsExist, IclErrorKind.InvalidOperation,
                        $"Checkpoint folder '{o.CheckpointFolder}' already holds checkpoints (newest '{existing[^1].Path}'); set Resume to continue from it or choose an empty folder.",
                        o.CheckpointFolder);
                steps[g] = TrainingCheckpoint.Load(existing[^1].Path, Models[g], ownOptimizers[g], o, Sources[g].Description);
            }
            else if (o.InitialiseModel) Models[g].Initialise(o.Seed);
        }
        if (steps.Distinct().Count() > 1)
            throw new IclPsException(StackedTrainingErrorIds.ResumeOutOfStep, IclErrorKind.InvalidOperation,
                $"The models of a stack continue together, but their run folders stand at updates {string.Join(", ", steps)}; resume them separately.", steps);
        return steps[0];
    }

    /// <summary>One update of every model on its own batch of <paramref name="step"/>; checks every loss and gradient norm before touching weights.</summary>
    private double[] Update(StackedRegressionModel stack, AdamWOptimizer optimizer, int step, double learningRate, string?[] lastCheckpoints)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var (inputs, targets, mask) = StackedBatch(step);
        var perModel = stack.Losses(inputs, targets, mask);
        var values = perModel.detach().to(ScalarType.Float64, CPU).data<double>().ToArray();
        for (var g = 0; g < values.Length; g++)
            if (!double.IsFinite(values[g]) || values[g] > Options[g].MaxLoss)
                throw new TrainingDivergedException(step, $"the training loss of model {g}", values[g], lastCheckpoints[g]);
        foreach (var (_, p) in stack.Parameters) p.grad?.zero_();
        // Model g's loss touches only its slice, so the sum's gradient holds each model's own gradient.
        perModel.sum().backward();
        var norms = ClipGradNorms(stack, Options[0].MaxGradNorm);
        for (var g = 0; g < norms.Length; g++)
            if (!double.IsFinite(norms[g]))
                throw new TrainingDivergedException(step, $"the gradient norm of model {g}", norms[g], lastCheckpoints[g]);
        optimizer.Step(learningRate);
        return values;
    }

    /// <summary>
    /// Each model's global gradient L2 norm over its own slices, and, where it exceeds <paramref name="maxNorm"/>, that
    /// model's gradients scaled by maxNorm / (norm + 1e-6), as <see cref="AdamWOptimizer.ClipGradNorm"/> does for one model.
    /// Nothing is scaled when any norm is not finite (the update is refused then).
    /// </summary>
    public static double[] ClipGradNorms(StackedRegressionModel model, double? maxNorm)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var count = model.Count;
        var grads = model.Parameters.Select(p => p.Tensor.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return new double[count];
        // [P, G] per-tensor norms of each model, then the norm over tensors: torch's clip_grad_norm_ per model. (The
        // dimensions go as arrays: sum(int) binds to an overload that reads the int as a result dtype.)
        var tensorNorms = stack(grads.Select(g => g.reshape(count, -1).square().sum(new long[] { 1 }).sqrt()).ToArray(), 0);
        var norms = tensorNorms.square().sum(new long[] { 0 }).sqrt().to(ScalarType.Float64, CPU).data<double>().ToArray();
        if (maxNorm is double max && norms.All(double.IsFinite) && norms.Any(n => n > max))
        {
            var coefficients = norms.Select(n => n > max ? max / (n + 1e-6) : 1.0).ToArray();
            var scale = tensor(coefficients, [count], ScalarType.Float64).to(grads[0].dtype, grads[0].device);
            foreach (var g in grads) g.mul_(scale.view([count, .. Enumerable.Repeat(1L, (int)g.dim() - 1)]));
        }
        return norms;
    }

    /// <summary>The batch of <paramref name="step"/> from each model's source and seed, stacked: inputs [G, b, t, d_in], targets and mask [G, b, t].</summary>
    private (Tensor Inputs, Tensor Targets, Tensor Mask) StackedBatch(int step)
    {
        var batches = new TrainingBatch[Models.Count];
        try
        {
            for (var g = 0; g < batches.Length; g++)
            {
                // The generator IclTrainer gives update `step` of a run with this seed: the same batch as training alone.
                using var generator = new Generator(new SeededRandom(Options[g].Seed, step).NextUInt64(), CPU);
                batches[g] = Sources[g].Next(step, Options[g].BatchSize, generator);
                if (batches[g].AttentionMask is not null || !batches[g].Inputs.shape.SequenceEqual(batches[0].Inputs.shape))
                    throw new IclPsException(TrainingErrorIds.InvalidBatch, IclErrorKind.InvalidData,
                        $"Stacked models train on unpadded batches of one shape; model {g}'s batch at update {step} is [{string.Join(", ", batches[g].Inputs.shape)}]" +
                        $"{(batches[g].AttentionMask is null ? "" : " with an attention mask")}, model 0's [{string.Join(", ", batches[0].Inputs.shape)}].", g);
            }
            return (stack(batches.Select(b => b.Inputs).ToArray(), 0), stack(batches.Select(b => b.Targets).ToArray(), 0), stack(batches.Select(b => b.LossMask).ToArray(), 0));
        }
        finally
        {
            foreach (var b in batches) b?.Dispose();
        }
    }

    /// <summary>Each model's moments from its resumed checkpoint, stacked into the stack's optimizer.</summary>
    private static void LoadMoments(AdamWOptimizer optimizer, AdamWOptimizer[] ownOptimizers)
    {
        using var noGrad = no_grad();
        var own = ownOptimizers.Select(x => x.StateTensors().ToDictionary(s => s.Name, s => s.Tensor)).ToArray();
        foreach (var (name, stacked) in optimizer.StateTensors())
        {
            using var scope = NewDisposeScope();
            stacked.copy_(stack(own.Select(o => o[name]).ToArray(), 0));
        }
        optimizer.StepCount = ownOptimizers[0].StepCount;
    }

    /// <summary>
    /// Writes each model's weights and moments into it and its own optimizer, then checkpoints each into its folder after
    /// the checks <see cref="IclTrainer"/> makes: every tensor finite and the loss at these weights on the next batch finite.
    /// </summary>
    private void Checkpoint(StackedRegressionModel stack, AdamWOptimizer optimizer, AdamWOptimizer[] ownOptimizers, int step, string?[] lastCheckpoints)
    {
        using (var noGrad = no_grad())
        {
            var stacked = optimizer.StateTensors().ToDictionary(s => s.Name, s => s.Tensor);
            for (var g = 0; g < Models.Count; g++)
            {
                stack.CopyTo(g, Models[g]);
                foreach (var (name, own) in ownOptimizers[g].StateTensors())
                {
                    using var slice = stacked[name][g];
                    own.copy_(slice);
                }
                ownOptimizers[g].StepCount = optimizer.StepCount;
            }
        }
        for (var g = 0; g < Models.Count; g++) CheckCheckpointable(g, ownOptimizers[g], step, lastCheckpoints[g]);
        for (var g = 0; g < Models.Count; g++)
        {
            lastCheckpoints[g] = TrainingCheckpoint.Save(_folders[g]!, step, Models[g], ownOptimizers[g], Options[g], Sources[g].Description, CancellationToken.None);
            TrainingCheckpoint.Prune(_folders[g]!, Options[g].KeepCheckpoints);
        }
    }

    private void CheckCheckpointable(int g, AdamWOptimizer own, int step, string? lastCheckpoint)
    {
        foreach (var (name, tensor) in Models[g].CheckpointTensors().Concat(own.StateTensors()))
        {
            var (nan, posInf, negInf) = FiniteCheck.Count(tensor);
            if (nan + posInf + negInf > 0)
                throw new TrainingDivergedException(step, $"tensor '{name}' of model {g}'s weights to checkpoint", nan > 0 ? double.NaN : posInf > 0 ? double.PositiveInfinity : double.NegativeInfinity, lastCheckpoint);
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(new SeededRandom(Options[g].Seed, step).NextUInt64(), CPU);
        using var batch = Sources[g].Next(step, Options[g].BatchSize, generator);
        var value = IclTrainer.Loss(Models[g], batch).to(ScalarType.Float64).item<double>();
        if (!double.IsFinite(value) || value > Options[g].MaxLoss)
            throw new TrainingDivergedException(step, $"model {g}'s training loss at the weights to checkpoint", value, lastCheckpoint);
    }
}
