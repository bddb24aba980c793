namespace IclPs.Engine.Analysis.Statistics;

/// <summary>A two-sided confidence interval around a point estimate; the bounds are NaN when the data cannot give one.</summary>
/// <param name="Estimate">The point estimate the interval is built around.</param>
/// <param name="Low">The lower bound.</param>
/// <param name="High">The upper bound.</param>
/// <param name="Level">The coverage asked for, e.g. 0.95.</param>
/// <param name="Method">How the interval was made, in words (e.g. "t", "Newcombe hybrid score").</param>
public sealed record ConfidenceInterval(double Estimate, double Low, double High, double Level, string Method);
