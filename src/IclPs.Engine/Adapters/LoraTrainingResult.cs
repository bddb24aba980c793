namespace IclPs.Engine.Adapters;

/// <summary>A finished (or stopped) adapter tuning: updates done, the loss of each, and whether it was cancelled.</summary>
public sealed record LoraTrainingResult(int CompletedSteps, IReadOnlyList<double> Losses, bool Cancelled, TimeSpan Elapsed);
