namespace IclPs.Engine.Analysis;

/// <summary>
/// One input's adapter in an instruction-tuned condition, reported once it has been tuned: how many demonstrations and
/// updates, the loss of the first and last update (NaN with none), and how long the tuning took.
/// </summary>
public sealed record AdapterTuned(string Condition, int InputIndex, int Demonstrations, int Steps, double FirstLoss, double LastLoss, TimeSpan Elapsed);
