namespace IclPs.Engine.Analysis.Statistics;

/// <summary>
/// The alternative hypothesis of a paired test, in terms of the differences (second minus first, e.g. candidate minus
/// reference): <see cref="Greater"/> means they tend to be positive.
/// </summary>
public enum Alternative
{
    /// <summary>The differences tend to be non-zero in either direction; the p-value doubles the smaller tail (capped at 1).</summary>
    TwoSided,
    /// <summary>The differences tend to be positive (the second member of each pair is larger).</summary>
    Greater,
    /// <summary>The differences tend to be negative (the second member of each pair is smaller).</summary>
    Less,
}
