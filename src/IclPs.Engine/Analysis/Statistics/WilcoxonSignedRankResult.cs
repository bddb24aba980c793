namespace IclPs.Engine.Analysis.Statistics;

/// <summary>The outcome of a <see cref="WilcoxonSignedRank"/> test on paired differences.</summary>
public sealed record WilcoxonSignedRankResult
{
    /// <summary>Non-zero differences: the pairs the test ranks (zero differences are dropped, Wilcoxon's method).</summary>
    public required int N { get; init; }
    /// <summary>Zero differences dropped before ranking.</summary>
    public required int Zeros { get; init; }
    /// <summary>Sum of the ranks of |d| over the positive differences (average ranks for ties; may end in .5).</summary>
    public required double WPlus { get; init; }
    /// <summary>Sum of the ranks over the negative differences; W+ + W- = N(N + 1)/2.</summary>
    public required double WMinus { get; init; }
    /// <summary>The p-value for <see cref="Alternative"/>; 1 when every difference is zero.</summary>
    public required double PValue { get; init; }
    public required Alternative Alternative { get; init; }
    /// <summary>Whether <see cref="PValue"/> comes from the exact distribution (else the normal approximation).</summary>
    public required bool Exact { get; init; }
    /// <summary>
    /// (W+ - N(N+1)/4) / sigma with the tie-corrected sigma and no continuity correction: a standardized W+ reported
    /// whichever way the p-value was found; 0 when N is 0.
    /// </summary>
    public required double Z { get; init; }
    /// <summary>Groups of tied |d| (of two or more) among the non-zero differences.</summary>
    public required int TieGroups { get; init; }
    /// <summary>The median of all the differences, zeros included (the mean of the middle two for an even count).</summary>
    public required double MedianDifference { get; init; }
}
