namespace IclPs.Engine.Adapters;

/// <summary>
/// A finished (or stopped) adapter tuning: the update it started from (0, or the resumed checkpoint's), the updates
/// completed in all, the loss of each update this run made, and whether it was cancelled.
/// </summary>
public sealed record LoraTrainingResult(int FirstStep, int CompletedSteps, IReadOnlyList<double> Losses, bool Cancelled, TimeSpan Elapsed);
