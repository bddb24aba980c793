using System.Globalization;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// The learnable task vector (Saglam et al. 2025; docs/science.md §5): theta in R^{L x H}, one weight per head, trained with
/// the model frozen. Every layer l receives v_l = sum_h theta_{l,h} (a_{l,h} @ W_O[h]) added to its block output at the
/// prediction position, where a_{l,h} is the head's mean activation over clean ICL prompts (<see cref="HeadActivationSource.Mean"/>)
/// or the prompt's own activation in the same pass (<see cref="HeadActivationSource.Live"/>). Theta is trained by Adam on the
/// task loss of injected training prompts, with early stopping on a validation split; the best theta is kept.
/// <para>
/// Use <see cref="Train(TaskVectorProblem, LearnableTaskVectorOptions?, IProgress{LearnableTaskVectorProgress}?, CancellationToken)"/>
/// for a whole run; <see cref="Prepare"/> and <see cref="Step"/> expose single updates (benchmarks, custom loops).
/// </para>
/// </summary>
public sealed class LearnableTaskVector : IDisposable
{
    private readonly TaskVectorProblem _problem;
    private readonly Tensor? _meanZ;
    // The theta-independent part of every injection (see MeanOutputs), null with live activations.
    private readonly Tensor? _meanOutputs;
    private readonly Parameter _theta;
    private readonly Adam _adam;
    private bool _trained;

    private LearnableTaskVector(TaskVectorProblem problem, LearnableTaskVectorOptions options, Tensor? meanZ, Tensor? meanOutputs, Parameter theta)
    {
        _problem = problem;
        Options = options;
        _meanZ = meanZ;
        _meanOutputs = meanOutputs;
        _theta = theta;
        // PyTorch's Adam defaults, as the authors use them (TorchSharp's own default beta2 is 0.99).
        _adam = optim.Adam(new[] { theta }, lr: options.LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8);
    }

    /// <summary>The options with every default resolved for the problem's model.</summary>
    public LearnableTaskVectorOptions Options { get; }

    /// <summary>Adam updates made so far.</summary>
    public int Steps { get; private set; }

    /// <summary>The current theta, [layer, head].</summary>
    public double[,] Theta
    {
        get
        {
            using var scope = NewDisposeScope();
            var (layers, heads) = ((int)_theta.shape[0], (int)_theta.shape[1]);
            var flat = _theta.detach().to(ScalarType.Float64, CPU).data<double>().ToArray();
            var theta = new double[layers, heads];
            for (var l = 0; l < layers; l++)
                for (var h = 0; h < heads; h++) theta[l, h] = flat[l * heads + h];
            return theta;
        }
    }

    /// <summary>Trains an LTV on <paramref name="problem"/>; cancellation throws <see cref="OperationCanceledException"/> and returns nothing.</summary>
    public static TaskVector Train(TaskVectorProblem problem, LearnableTaskVectorOptions? options = null,
        IProgress<LearnableTaskVectorProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var ltv = Prepare(problem, options, cancellationToken);
        return ltv.Train(progress, cancellationToken);
    }

    /// <summary>Checks the options, computes the mean head activations and their outputs (for <see cref="HeadActivationSource.Mean"/>) and initialises theta and Adam.</summary>
    public static LearnableTaskVector Prepare(TaskVectorProblem problem, LearnableTaskVectorOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var model = problem.Network;
        var resolved = (options ?? new LearnableTaskVectorOptions()).Resolve(model.Config);
        cancellationToken.ThrowIfCancellationRequested();
        Tensor? meanZ = null;
        Tensor? meanOutputs = null;
        Parameter? theta = null;
        try
        {
            if (resolved.ActivationSource == HeadActivationSource.Mean)
            {
                meanZ = MeanHeadActivations.Compute(problem,
                    problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Train, resolved.MeanShots, resolved.MeanPrompts, resolved.BatchSize, resolved.Seed),
                    cancellationToken);
                if (!meanZ.isfinite().all().item<bool>())
                    throw new IclPsException(TaskVectorErrorIds.NonFinite, IclErrorKind.InvalidData,
                        "The mean head activations contain NaN or infinity; the model's outputs on clean prompts are not finite.", problem.ModelName);
            }
            theta = InitialTheta(model, resolved);
            if (meanZ is not null)
            {
                // Owned by the LTV and disposed with it, like theta, not by a scope the caller may have open.
                meanZ.DetachFromDisposeScope();
                meanOutputs = MeanOutputs(model, meanZ, theta.dtype, resolved.AuthorsVariant).DetachFromDisposeScope();
            }
            return new LearnableTaskVector(problem, resolved, meanZ, meanOutputs, theta);
        }
        catch
        {
            meanZ?.Dispose();
            meanOutputs?.Dispose();
            theta?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Hooks that inject theta [L, H] at sequence column <paramref name="column"/> (the prediction position) of every layer,
    /// keeping the autograd graph to theta. <paramref name="meanZ"/> [L, H, d_head] gives mean activations; null injects with
    /// live activations. <paramref name="authorsVariant"/> builds v_l as <see cref="LtvAuthorsVariant"/> describes.
    /// The model is not frozen here: with parameters that require grad, a backward pass also reaches them.
    /// </summary>
    public static HookSet CreateHooks(TransformerModel model, Tensor theta, Tensor? meanZ, int column, bool authorsVariant = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(theta);
        var config = model.Config;
        if (!theta.shape.SequenceEqual(new long[] { config.Layers, config.Heads }))
            throw new IclPsException(TaskVectorErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"theta is [{string.Join(", ", theta.shape)}]; the model has {config.Layers} layers x {config.Heads} heads.", theta.shape);
        if (meanZ is not null && !meanZ.shape.SequenceEqual(new long[] { config.Layers, config.Heads, config.DHead }))
            throw new IclPsException(TaskVectorErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"mean activations are [{string.Join(", ", meanZ.shape)}]; the model needs [{config.Layers}, {config.Heads}, {config.DHead}].", meanZ.shape);
        using var meanOutputs = meanZ is null ? null : MeanOutputs(model, meanZ, theta.dtype, authorsVariant);
        return InjectionHooks(model, theta, meanOutputs, column, authorsVariant);
    }

    /// <summary>
    /// One Adam update of theta on <paramref name="batch"/> (forward with injection, backward to theta, step), with the model
    /// frozen for its duration; returns the batch's mean loss before the update.
    /// </summary>
    public double Step(TaskPromptBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var frozen = new FrozenParameters(_problem.Network);
        return StepFrozen(batch);
    }

    /// <summary>
    /// Trains theta: the initial theta is evaluated (epoch 0), then each epoch makes one update per training batch, in a seeded
    /// order, and evaluates the validation prompts; training stops after <see cref="LearnableTaskVectorOptions.Patience"/> epochs
    /// without a lower validation loss, or after <see cref="LearnableTaskVectorOptions.MaxEpochs"/>. The returned vector holds the
    /// theta of the lowest validation loss. Cancellation throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public TaskVector Train(IProgress<LearnableTaskVectorProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_trained) throw new InvalidOperationException("This LTV has already been trained; prepare a new one.");
        _trained = true;
        var o = Options;
        var train = new List<TaskPromptBatch>();
        var valid = new List<TaskPromptBatch>();
        Tensor? best = null;
        try
        {
            Materialize(train, TaskDataSplit.Train, o.TrainPrompts, o.Seed + 1, cancellationToken);
            Materialize(valid, TaskDataSplit.Valid, o.ValidationPrompts, o.Seed + 2, cancellationToken);
            using var frozen = new FrozenParameters(_problem.Network);
            var curve = new List<TaskVectorTrainingPoint>();
            var (initialTrain, _) = Evaluate(train, cancellationToken);
            var (initialValid, initialMetric) = Evaluate(valid, cancellationToken);
            curve.Add(new TaskVectorTrainingPoint(0, 0, initialTrain, initialValid, initialMetric));
            progress?.Report(new LearnableTaskVectorProgress(0, o.MaxEpochs, 0, initialTrain, initialValid, initialMetric));
            best = _theta.detach().clone().DetachFromDisposeScope();
            var (bestLoss, bestEpoch, sinceBest) = (initialValid, 0, 0);
            for (var epoch = 1; epoch <= o.MaxEpochs && sinceBest < o.Patience; epoch++)
            {
                var order = Enumerable.Range(0, train.Count).ToArray();
                new SeededRandom(o.Seed, epoch).ShuffleFront(order, order.Length);
                var (lossSum, prompts) = (0.0, 0);
                foreach (var i in order)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var loss = StepFrozen(train[i]);
                    lossSum += loss * train[i].Count;
                    prompts += train[i].Count;
                    progress?.Report(new LearnableTaskVectorProgress(epoch, o.MaxEpochs, Steps, loss, null, null));
                }
                var (validLoss, validMetric) = Evaluate(valid, cancellationToken);
                curve.Add(new TaskVectorTrainingPoint(epoch, Steps, lossSum / prompts, validLoss, validMetric));
                progress?.Report(new LearnableTaskVectorProgress(epoch, o.MaxEpochs, Steps, lossSum / prompts, validLoss, validMetric));
                if (validLoss < bestLoss)
                {
                    (bestLoss, bestEpoch, sinceBest) = (validLoss, epoch, 0);
                    using (no_grad()) best.copy_(_theta);
                }
                else sinceBest++;
            }
            using (no_grad()) _theta.copy_(best);
            var settings = o.Settings();
            settings["BestEpoch"] = bestEpoch.ToString(CultureInfo.InvariantCulture);
            settings["Epochs"] = (curve.Count - 1).ToString(CultureInfo.InvariantCulture);
            settings["Steps"] = Steps.ToString(CultureInfo.InvariantCulture);
            settings["StoppedEarly"] = sinceBest >= o.Patience ? "true" : "false";
            var provenance = new TaskVectorProvenance
            {
                Source = _problem.Source,
                Shots = o.Shots!.Value,
                Seed = o.Seed,
                Prompts = train.Sum(b => b.Count),
                ValidationPrompts = valid.Sum(b => b.Count),
                Settings = settings,
                TrainingCurve = curve,
            };
            return Build(provenance);
        }
        finally
        {
            best?.Dispose();
            foreach (var b in train) b.Dispose();
            foreach (var b in valid) b.Dispose();
        }
    }

    public void Dispose()
    {
        _adam.Dispose();
        _theta.Dispose();
        _meanZ?.Dispose();
        _meanOutputs?.Dispose();
    }

    /// <summary>
    /// The part of the mean-activation v_l that theta does not touch, in <paramref name="thetaType"/>: each head's output
    /// a_{l,h} @ W_O[h], [L, H, d_model], or for the authors' variant the projected attention output o_l, [L, d_model].
    /// Model data outside theta's graph, and constant while the model is frozen, so a training run computes it once.
    /// </summary>
    private static Tensor MeanOutputs(TransformerModel model, Tensor meanZ, ScalarType thetaType, bool authorsVariant)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var outputs = authorsVariant ? LtvAuthorsVariant.ProjectedMeanOutputs(model, meanZ) : MeanHeadActivations.Project(model, meanZ);
        return outputs.to(thetaType).MoveToOuterDisposeScope();
    }

    /// <summary>Per-layer vectors [L, d_model] from <see cref="MeanOutputs"/>: the formula, or the authors' chunk scaling.</summary>
    private static Tensor LayerVectors(Tensor meanOutputs, Tensor theta, bool authorsVariant) =>
        authorsVariant ? LtvAuthorsVariant.ScaleChunks(meanOutputs, theta) : einsum("lh,lhd->ld", theta, meanOutputs);

    /// <summary><see cref="CreateHooks"/> for checked arguments; <paramref name="meanOutputs"/> from <see cref="MeanOutputs"/>, null for live activations.</summary>
    private static HookSet InjectionHooks(TransformerModel model, Tensor theta, Tensor? meanOutputs, int column, bool authorsVariant)
    {
        var hooks = new HookSet();
        try
        {
            if (meanOutputs is null)
            {
                for (var l = 0; l < model.Config.Layers; l++)
                {
                    var layerTheta = hooks.Own(theta[l]);
                    if (authorsVariant) LtvAuthorsVariant.RegisterLive(hooks, model, l, layerTheta, column);
                    else LiveHeadInjection.Register(hooks, model, l, layerTheta, column);
                }
                return hooks;
            }
            using var scope = NewDisposeScope();
            var vectors = LayerVectors(meanOutputs, theta, authorsVariant);
            for (var l = 0; l < model.Config.Layers; l++)
                hooks.AddVectorAt(HookNames.ResidPost(l), hooks.Own(vectors[l]), column);
            return hooks;
        }
        catch
        {
            hooks.Dispose();
            throw;
        }
    }

    private static Parameter InitialTheta(TransformerModel model, LearnableTaskVectorOptions options)
    {
        using var scope = NewDisposeScope();
        var (layers, heads) = (model.Config.Layers, model.Config.Heads);
        // Adam's moments need full precision even when the model runs in half precision.
        var dtype = model.DType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        Tensor init;
        if (options.Init == LtvThetaInit.Normal)
        {
            using var generator = new Generator((ulong)options.Seed, CPU);
            init = randn(new long[] { layers, heads }, dtype: ScalarType.Float32, generator: generator).to(dtype, model.Device);
        }
        else init = zeros(new long[] { layers, heads }, dtype: dtype, device: model.Device);
        var theta = new Parameter(init.detach().clone(), requires_grad: true);
        theta.DetachFromDisposeScope();
        return theta;
    }

    private void Materialize(List<TaskPromptBatch> into, TaskDataSplit split, int count, int seed, CancellationToken cancellationToken)
    {
        foreach (var batch in _problem.Prompts(Options.TrainingKind!.Value, split, Options.Shots!.Value, count, Options.BatchSize, seed))
        {
            into.Add(batch);
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (into.Sum(b => b.Count) == 0)
            throw new IclPsException(TaskVectorErrorIds.NotEnoughPrompts, IclErrorKind.InvalidArgument,
                $"The problem produced no {Options.TrainingKind} prompts from its {split} split to train the LTV on.", split);
    }

    private double StepFrozen(TaskPromptBatch batch)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        _adam.zero_grad();
        using var hooks = InjectionHooks(_problem.Network, _theta, _meanOutputs, batch.PredictionColumn, Options.AuthorsVariant);
        var loss = Loss(_problem.Predict(batch, hooks), batch).mean();
        var value = loss.to(ScalarType.Float64).item<double>();
        if (!double.IsFinite(value))
            throw new IclPsException(TaskVectorErrorIds.NonFinite, IclErrorKind.InvalidData,
                $"The LTV training loss became {value} after {Steps} updates; lower the learning rate.", value);
        loss.backward();
        _adam.step();
        Steps++;
        return value;
    }

    /// <summary>Mean loss and metric over the prompts of <paramref name="batches"/> with the current theta.</summary>
    private (double Loss, double Metric) Evaluate(IReadOnlyList<TaskPromptBatch> batches, CancellationToken cancellationToken)
    {
        using var noGrad = no_grad();
        var (loss, metric, count) = (0.0, 0.0, 0);
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using var hooks = InjectionHooks(_problem.Network, _theta, _meanOutputs, batch.PredictionColumn, Options.AuthorsVariant);
            var output = _problem.Predict(batch, hooks);
            loss += Loss(output, batch).to(ScalarType.Float64).sum().item<double>();
            metric += _problem.Metric(output, batch).to(ScalarType.Float64).sum().item<double>();
            count += batch.Count;
        }
        if (!double.IsFinite(loss))
            throw new IclPsException(TaskVectorErrorIds.NonFinite, IclErrorKind.InvalidData,
                $"The LTV loss became {loss} after {Steps} updates; lower the learning rate.", loss);
        return (loss / count, metric / count);
    }

    /// <summary>Per-prompt loss [b] of the configured kind.</summary>
    private Tensor Loss(Tensor output, TaskPromptBatch batch)
    {
        if (Options.Loss == LtvLoss.Task) return _problem.Loss(output, batch);
        if (output.dim() != 1 || !batch.Targets.is_floating_point())
            throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"LTV option Loss Huber needs one predicted number per prompt; this problem's output is [{string.Join(", ", output.shape)}] with {batch.Targets.dtype} targets.",
                nameof(LearnableTaskVectorOptions.Loss));
        return HuberLoss.Of(output - batch.Targets.to(output.dtype, output.device), Options.HuberDelta);
    }

    private TaskVector Build(TaskVectorProvenance provenance)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var model = _problem.Network;
        var config = model.Config;
        var theta = Theta;
        var meanZ = _meanZ?.to(ScalarType.Float32, CPU).contiguous();
        var heads = new List<TaskVectorHead>(config.Layers * config.Heads);
        for (var l = 0; l < config.Layers; l++)
            for (var h = 0; h < config.Heads; h++)
                heads.Add(new TaskVectorHead(l, h, theta[l, h], meanZ?[l, h].data<float>().ToArray()));
        var vectors = new List<TaskVectorLayer>();
        if (_meanOutputs is not null)
        {
            var perLayer = LayerVectors(_meanOutputs, _theta, Options.AuthorsVariant).to(ScalarType.Float32, CPU).contiguous();
            for (var l = 0; l < config.Layers; l++) vectors.Add(new TaskVectorLayer(l, perLayer[l].data<float>().ToArray()));
        }
        return new TaskVector(TaskVectorMethod.Ltv, _problem.ModelName, TaskVectorModelShape.Of(config), TaskVectorInjection.Add,
            vectors, heads, provenance, Options.ActivationSource!.Value, Options.AuthorsVariant);
    }
}
