namespace IclPs.Engine.Training;

/// <summary>
/// What <see cref="IclTrainer.Train"/> did: the update it started from (0, or the resumed checkpoint's step), the step
/// it reached, the per-update training losses of this call (index i is update FirstStep + i + 1), every evaluation,
/// the newest checkpoint folder (null without checkpointing) and whether cancellation stopped it early.
/// </summary>
public sealed record TrainingResult(
    int FirstStep,
    int FinalStep,
    IReadOnlyList<double> Losses,
    IReadOnlyList<TrainingEvaluation> Evaluations,
    string? LastCheckpoint,
    bool Cancelled);
