using System.Globalization;

namespace IclPs.Engine.Training;

/// <summary>
/// How <see cref="IclTrainer"/> trains. The fields that define the run (Steps through Seed) must match when resuming,
/// except Steps under the Constant schedule, whose learning rate does not depend on the run's length, so such a run can be
/// extended to more updates and is then the same as one that asked for them at the start; the bookkeeping fields
/// (evaluation and checkpoint cadence, folder, limits) may change between sessions.
/// Defaults follow Raventós et al.: Adam(W) at 1e-3, batch 256, triangle schedule.
/// </summary>
public sealed record IclTrainingOptions
{
    /// <summary>Total optimizer updates of the whole run (including any before a resume).</summary>
    public required int Steps { get; init; }
    public int BatchSize { get; init; } = 256;
    public double LearningRate { get; init; } = 1e-3;
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Triangle;
    /// <summary>Linear warm-up updates of the Constant and Cosine schedules (the triangle warms up over half the run by definition).</summary>
    public int WarmupSteps { get; init; }
    /// <summary>AdamW's decoupled weight decay (0 gives Adam); applied to every parameter, as Raventós et al. do.</summary>
    public double WeightDecay { get; init; }
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;
    /// <summary>Clip the global gradient L2 norm to this value before each update; null for no clipping.</summary>
    public double? MaxGradNorm { get; init; }
    /// <summary>Every random choice of the run: model initialisation and the per-step data generator.</summary>
    public long Seed { get; init; }

    /// <summary>Report a <see cref="TrainingEvaluation"/> after every this many updates (and after the last); 0 reports only the last.</summary>
    public int EvaluateEvery { get; init; }
    /// <summary>Write a checkpoint after every this many updates (and after the last, and on cancellation); 0 only those.</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Folder of step-NNNNNNNN checkpoints; null trains without checkpoints.</summary>
    public string? CheckpointFolder { get; init; }
    /// <summary>How many of the newest checkpoints to keep.</summary>
    public int KeepCheckpoints { get; init; } = 2;
    /// <summary>Continue from the newest checkpoint in <see cref="CheckpointFolder"/> (a fresh start if it has none).</summary>
    public bool Resume { get; init; }
    /// <summary>Initialise the model from <see cref="Seed"/> on a fresh start; false trains the weights as given (fine-tuning).</summary>
    public bool InitialiseModel { get; init; } = true;
    /// <summary>A training loss above this counts as divergence, like NaN or Inf.</summary>
    public double MaxLoss { get; init; } = 1e6;

    /// <summary>
    /// The largest learning rate (and weight decay) accepted: far above any useful value, and far below what overflows the
    /// float32 arithmetic of the update (which libtorch would report as a raw error).
    /// </summary>
    public const double MaxLearningRate = 1e6;

    /// <summary>The learning rate of update <paramref name="step"/> (0-based), the closed forms of <see cref="LearningRateSchedule"/>.</summary>
    public double LearningRateAt(int step)
    {
        var (t, total) = ((double)step, (double)Steps);
        switch (Schedule)
        {
            case LearningRateSchedule.Constant:
                return t < WarmupSteps ? LearningRate * t / WarmupSteps : LearningRate;
            case LearningRateSchedule.Triangle:
                var half = total / 2;
                return LearningRate * Math.Max(0, Math.Min(t / half, (total - t) / (total - half)));
            case LearningRateSchedule.Cosine:
                if (t < WarmupSteps) return LearningRate * t / WarmupSteps;
                var progress = Math.Min(1, (t - WarmupSteps) / (total - WarmupSteps));
                return LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
            default:
                throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, null);
        }
    }

    internal void Validate()
    {
        void Require(bool ok, string field, object? value, string what)
        {
            if (!ok) throw new IclPsException(TrainingErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"training option {field} {what}; got {Format(value)}.", field);
        }
        Require(Steps > 0, nameof(Steps), Steps, "must be positive");
        Require(BatchSize > 0, nameof(BatchSize), BatchSize, "must be positive");
        Require(LearningRate > 0 && LearningRate <= MaxLearningRate, nameof(LearningRate), LearningRate, $"must be a positive number at most {MaxLearningRate:0e0}");
        Require(Enum.IsDefined(Schedule), nameof(Schedule), Schedule, "must be Constant, Triangle or Cosine");
        Require(WarmupSteps >= 0 && WarmupSteps < Steps, nameof(WarmupSteps), WarmupSteps, $"must lie in [0, Steps = {Steps})");
        Require(WeightDecay >= 0 && WeightDecay <= MaxLearningRate, nameof(WeightDecay), WeightDecay, $"must be a non-negative number at most {MaxLearningRate:0e0}");
        Require(Beta1 is >= 0 and < 1, nameof(Beta1), Beta1, "must lie in [0, 1)");
        Require(Beta2 is >= 0 and < 1, nameof(Beta2), Beta2, "must lie in [0, 1)");
        Require(Epsilon > 0 && double.IsFinite(Epsilon), nameof(Epsilon), Epsilon, "must be a positive number");
        Require(MaxGradNorm is null || (MaxGradNorm > 0 && double.IsFinite(MaxGradNorm.Value)), nameof(MaxGradNorm), MaxGradNorm, "must be a positive number when given");
        Require(EvaluateEvery >= 0, nameof(EvaluateEvery), EvaluateEvery, "must not be negative");
        Require(CheckpointEvery >= 0, nameof(CheckpointEvery), CheckpointEvery, "must not be negative");
        Require(CheckpointFolder is not null || (CheckpointEvery == 0 && !Resume), nameof(CheckpointFolder), CheckpointFolder, "is needed for checkpoints and resuming");
        Require(KeepCheckpoints > 0, nameof(KeepCheckpoints), KeepCheckpoints, "must be positive");
        Require(MaxLoss > 0, nameof(MaxLoss), MaxLoss, "must be positive");
    }

    /// <summary>The fields that define the run, as invariant text; a checkpoint records them and a resume must match them.</summary>
    internal IReadOnlyList<KeyValuePair<string, string>> DefiningFields() =>
    [
        .. Schedule == LearningRateSchedule.Constant ? [] : new KeyValuePair<string, string>[] { new(nameof(Steps), Format(Steps)) },
        new(nameof(BatchSize), Format(BatchSize)),
        new(nameof(LearningRate), Format(LearningRate)),
        new(nameof(Schedule), Format(Schedule)),
        new(nameof(WarmupSteps), Format(WarmupSteps)),
        new(nameof(WeightDecay), Format(WeightDecay)),
        new(nameof(Beta1), Format(Beta1)),
        new(nameof(Beta2), Format(Beta2)),
        new(nameof(Epsilon), Format(Epsilon)),
        new(nameof(MaxGradNorm), Format(MaxGradNorm)),
        new(nameof(Seed), Format(Seed)),
    ];

    private static string Format(object? value) => value switch
    {
        null => "none",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
