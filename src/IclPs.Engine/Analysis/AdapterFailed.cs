namespace IclPs.Engine.Analysis;

/// <summary>
/// One input's adapter in an instruction-tuned condition could not be tuned (its training diverged): the input, at
/// <see cref="InputIndex"/>, is left out of every statistic, and the other inputs keep their indices.
/// </summary>
public sealed record AdapterFailed(string Condition, int InputIndex, string Input, IclPsException Error);
