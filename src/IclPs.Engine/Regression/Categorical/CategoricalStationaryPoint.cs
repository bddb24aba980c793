using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>Settings of <see cref="CategoricalStationaryPoint.Run"/>.</summary>
public sealed record CategoricalStationaryOptions
{
    /// <summary>Contexts of the evaluation set the expected loss and its gradient are estimated on (split into two halves for the noise floor).</summary>
    public int EvaluationContexts { get; init; } = 8192;
    /// <summary>The evaluation set's seed; null: the data's evaluation split.</summary>
    public long? EvaluationSeed { get; init; }
    /// <summary>Standard deviations of the random perturbations added to every transformer weight.</summary>
    public IReadOnlyList<double> Perturbations { get; init; } = [1e-3, 1e-2, 1e-1];
    /// <summary>Random directions per perturbation size.</summary>
    public int Directions { get; init; } = 2;
    /// <summary>Updates of continued training from the construction (AdamW, betas (0.9, 0.98), as the authors' --gd_init).</summary>
    public int ContinueSteps { get; init; } = 200;
    public double ContinueLearningRate { get; init; } = 1e-3;
    public int BatchSize { get; init; } = 512;
    /// <summary>The training set of the continued training.</summary>
    public int TrainContexts { get; init; } = 2048;
    /// <summary>The perturbation directions and the continued training's minibatch order.</summary>
    public long Seed { get; init; }
    /// <summary>The gradient counts as zero when its norm is at most this many noise floors.</summary>
    public double NoiseMultiple { get; init; } = 2;

    public void Validate()
    {
        CategoricalTaskSettings.AtLeast(nameof(EvaluationContexts), EvaluationContexts, 2);
        CategoricalTaskSettings.AtLeast(nameof(Directions), Directions, 1);
        CategoricalTaskSettings.AtLeast(nameof(ContinueSteps), ContinueSteps, 0);
        CategoricalTaskSettings.AtLeast(nameof(BatchSize), BatchSize, 1);
        CategoricalTaskSettings.AtLeast(nameof(TrainContexts), TrainContexts, 1);
        CategoricalTaskSettings.Positive(nameof(ContinueLearningRate), ContinueLearningRate);
        CategoricalTaskSettings.Positive(nameof(NoiseMultiple), NoiseMultiple);
        foreach (var p in Perturbations) CategoricalTaskSettings.Positive(nameof(Perturbations), p);
    }
}

/// <summary>The loss and gradient norm at the construction plus one random perturbation of standard deviation <see cref="Scale"/>.</summary>
public sealed record CategoricalPerturbation(double Scale, int Direction, double Loss, double GradientNorm);

/// <summary>One transformer weight's share of the gradient at the construction, and of the noise floor.</summary>
public sealed record CategoricalGradientPart(string Weight, double GradientNorm, double NoiseFloor);

/// <summary>
/// Whether the GD construction is a stationary point of the trained transformer's expected loss (docs/science.md §4), with the
/// numbers: the gradient norm on the evaluation set, its sampling-noise floor ||g_A - g_B|| / 2 from two disjoint halves,
/// the gradient norms after random perturbations, and the loss change of continued training against its standard error.
/// </summary>
public sealed record CategoricalStationaryPointResult
{
    public required string Model { get; init; }
    public int Layers { get; init; }
    public CategoricalKernel Kernel { get; init; }
    public CategoricalEraser Eraser { get; init; }
    public int ContextPoints { get; init; }
    public int EvaluationContexts { get; init; }
    /// <summary>Mean cross-entropy at the construction on the evaluation set.</summary>
    public double Loss { get; init; }
    /// <summary>||g||, the gradient of the loss on the whole evaluation set with respect to every transformer weight.</summary>
    public double GradientNorm { get; init; }
    public double HalfAGradientNorm { get; init; }
    public double HalfBGradientNorm { get; init; }
    /// <summary>||g_A - g_B|| / 2: the norm the full-set gradient would have from sampling noise alone if the true gradient were zero.</summary>
    public double NoiseFloor { get; init; }
    public double GradientOverNoise => GradientNorm / NoiseFloor;
    public required IReadOnlyList<CategoricalGradientPart> Parts { get; init; }
    public required IReadOnlyList<CategoricalPerturbation> Perturbations { get; init; }
    /// <summary>Mean gradient norm per perturbation size, increasing when the construction is a minimum-like stationary point.</summary>
    public bool GrowsWithPerturbation { get; init; }
    public int ContinueSteps { get; init; }
    public double LossAfterTraining { get; init; }
    /// <summary>Loss before minus loss after continued training (positive: it fell).</summary>
    public double LossDrop { get; init; }
    /// <summary>The standard error of that drop over the evaluation contexts (paired).</summary>
    public double LossDropStandardError { get; init; }
    public bool GradientWithinNoise { get; init; }
    public bool LossFallsBeyondNoise { get; init; }
    public bool Stationary => GradientWithinNoise && !LossFallsBeyondNoise;
    public required string Verdict { get; init; }
}

/// <summary>
/// The stationary-point check: writes a trained GD model into the transformer's parametrisation
/// (<see cref="CategoricalTransformerModel.FromGd"/>), then in float64 measures the expected-loss gradient over every
/// transformer weight against its noise floor, the gradient after random perturbations, and the effect of continuing to
/// train the transformer from there.
/// </summary>
public static class CategoricalStationaryPoint
{
    public static CategoricalStationaryPointResult Run(CategoricalTasks tasks, CategoricalGdModel gd, string name, CategoricalStationaryOptions options,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        gd.Config.CheckFits(tasks.Settings);
        using var start = CategoricalTransformerModel.FromGd(gd);
        using var exact = (CategoricalTransformerModel)start.Copy(ScalarType.Float64);
        using var data = tasks.Sample(options.EvaluationContexts, options.EvaluationSeed ?? tasks.SplitSeed(CategoricalDataSplit.Evaluation), ScalarType.Float64);
        var half = data.Count / 2;
        using var a = data.Slice(0, half);
        using var b = data.Slice(half, data.Count - half);

        progress?.Report("gradient at the construction");
        var (lossA, gradA) = LossAndGradient(exact, a, cancellationToken);
        var (lossB, gradB) = LossAndGradient(exact, b, cancellationToken);
        var wa = (double)a.Count / data.Count;
        var loss = wa * lossA + (1 - wa) * lossB;
        var names = exact.Weights().Select(w => w.Name).ToArray();
        var full = gradA.Zip(gradB, (x, y) => x * wa + y * (1 - wa)).ToArray();
        var parts = names.Select((n, i) => new CategoricalGradientPart(n, Norm(full[i]), Norm(gradA[i] - gradB[i]) / 2)).ToList();
        var gradientNorm = Math.Sqrt(full.Sum(g => Square(g)));
        var floor = Math.Sqrt(gradA.Zip(gradB).Sum(p => Square(p.First - p.Second))) / 2;
        var normA = Math.Sqrt(gradA.Sum(g => Square(g)));
        var normB = Math.Sqrt(gradB.Sum(g => Square(g)));
        foreach (var g in gradA.Concat(gradB).Concat(full)) g.Dispose();

        var perturbations = new List<CategoricalPerturbation>();
        using (var gen = new Generator((ulong)options.Seed))
        {
            foreach (var scale in options.Perturbations)
                for (var direction = 0; direction < options.Directions; direction++)
                {
                    progress?.Report(string.Create(CultureInfo.InvariantCulture, $"perturbation {scale:g3}, direction {direction + 1} of {options.Directions}"));
                    using var moved = (CategoricalTransformerModel)exact.Copy(ScalarType.Float64);
                    using (no_grad())
                        foreach (var (_, p) in moved.Weights()) p.add_(randn(p.shape, ScalarType.Float64, generator: gen) * scale);
                    var (l, grads) = LossAndGradient(moved, data, cancellationToken);
                    perturbations.Add(new CategoricalPerturbation(scale, direction, l, Math.Sqrt(grads.Sum(g => Square(g)))));
                    foreach (var g in grads) g.Dispose();
                }
        }
        var means = options.Perturbations.Select(s => perturbations.Where(p => p.Scale == s).Average(p => p.GradientNorm)).ToList();
        var grows = means.Count > 0 && means.Zip(means.Skip(1)).All(p => p.Second > p.First) && means[^1] > gradientNorm;

        // Continued training from the construction (float32, as a run would), scored on the same evaluation set in float64.
        var (after, drop, se) = (loss, 0.0, 0.0);
        if (options.ContinueSteps > 0)
        {
            progress?.Report($"continued training, {options.ContinueSteps} updates");
            var trainer = new CategoricalTrainer(tasks, start, new CategoricalTrainingOptions
            {
                Steps = options.ContinueSteps, BatchSize = options.BatchSize, LearningRate = options.ContinueLearningRate,
                TrainContexts = options.TrainContexts, ValidationContexts = 256, EvaluateEvery = options.ContinueSteps, Seed = options.Seed,
            });
            trainer.Train(cancellationToken: cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            using var trained = start.Copy(ScalarType.Float64);
            using var before = PerContextLoss(exact, data);
            using var later = PerContextLoss(trained, data);
            using var diff = before - later;
            after = later.mean().item<double>();
            drop = diff.mean().item<double>();
            se = diff.std().item<double>() / Math.Sqrt(data.Count);
        }
        var within = gradientNorm <= options.NoiseMultiple * floor;
        var falls = options.ContinueSteps > 0 && drop > 2 * se;
        string F(double v) => v.ToString("0.####E+0", CultureInfo.InvariantCulture);
        var verdict =
            FormattableString.Invariant($"{(within && !falls ? "Stationary within sampling noise" : "Not stationary")}: |g| = {F(gradientNorm)} vs noise floor {F(floor)} ({gradientNorm / floor:0.00}x, threshold {options.NoiseMultiple}x); ") +
            FormattableString.Invariant($"perturbations {string.Join("/", options.Perturbations.Select(s => s.ToString("g2", CultureInfo.InvariantCulture)))} give |g| {string.Join("/", means.Select(F))} ({(grows ? "growing" : "not growing")}); ") +
            (options.ContinueSteps > 0
                ? FormattableString.Invariant($"{options.ContinueSteps} more updates moved the loss {loss:0.0000} -> {after:0.0000} (drop {drop:0.0000} +- {se:0.0000} SE, {(falls ? "more" : "not more")} than 2 SE).")
                : "no continued training.");
        return new CategoricalStationaryPointResult
        {
            Model = name, Layers = gd.Config.Layers, Kernel = gd.Config.Kernel, Eraser = gd.Config.Eraser, ContextPoints = tasks.Settings.ContextPoints,
            EvaluationContexts = data.Count, Loss = loss, GradientNorm = gradientNorm, HalfAGradientNorm = normA, HalfBGradientNorm = normB,
            NoiseFloor = floor, Parts = parts, Perturbations = perturbations, GrowsWithPerturbation = grows, ContinueSteps = options.ContinueSteps,
            LossAfterTraining = after, LossDrop = drop, LossDropStandardError = se, GradientWithinNoise = within, LossFallsBeyondNoise = falls, Verdict = verdict,
        };
    }

    /// <summary>Mean cross-entropy over <paramref name="batch"/> and its gradient with respect to each weight (detached copies), in chunks.</summary>
    public static (double Loss, Tensor[] Gradients) LossAndGradient(CategoricalAttentionModel model, CategoricalBatch batch, CancellationToken cancellationToken = default, int chunk = 1024)
    {
        var weights = model.Weights();
        model.zero_grad();
        var total = 0.0;
        using (enable_grad())
        {
            for (var s = 0; s < batch.Count; s += chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var m = Math.Min(chunk, batch.Count - s);
                var logits = model.QueryLogits(batch.X.narrow(0, s, m).to(model.DType), batch.Labels.narrow(0, s, m));
                var sum = nn.functional.cross_entropy(logits, batch.Labels.narrow(0, s, m).select(1, batch.ContextPoints), reduction: nn.Reduction.Sum) / batch.Count;
                sum.backward();
                total += sum.to(ScalarType.Float64).item<double>();
            }
        }
        var grads = weights.Select(w => (w.Parameter.grad is { } g ? g.detach().to(ScalarType.Float64).clone() : zeros_like(w.Parameter, ScalarType.Float64)).DetachFromDisposeScope()).ToArray();
        model.zero_grad();
        return (total, grads);
    }

    private static Tensor PerContextLoss(CategoricalAttentionModel model, CategoricalBatch batch)
    {
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (var s = 0; s < batch.Count; s += 1024)
        {
            var m = Math.Min(1024, batch.Count - s);
            using var logits = model.QueryLogits(batch.X.narrow(0, s, m).to(model.DType), batch.Labels.narrow(0, s, m));
            parts.Add(nn.functional.cross_entropy(logits.to(ScalarType.Float64), batch.Labels.narrow(0, s, m).select(1, batch.ContextPoints), reduction: nn.Reduction.None));
        }
        var all = cat(parts.ToArray(), 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    private static double Square(Tensor t) => t.square().sum().item<double>();

    private static double Norm(Tensor t) => Math.Sqrt(Square(t));
}
