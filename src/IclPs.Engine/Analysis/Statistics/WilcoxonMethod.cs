namespace IclPs.Engine.Analysis.Statistics;

/// <summary>How <see cref="WilcoxonSignedRank"/> turns W+ into a p-value.</summary>
public enum WilcoxonMethod
{
    /// <summary>Exact for up to <see cref="WilcoxonSignedRank.ExactLimit"/> non-zero differences, the normal approximation above.</summary>
    Auto,
    /// <summary>The exact null distribution, enumerated (up to <see cref="WilcoxonSignedRank.ExactMaximum"/> non-zero differences).</summary>
    Exact,
    /// <summary>The normal approximation with tie and continuity corrections, whatever the number of differences.</summary>
    Normal,
}
