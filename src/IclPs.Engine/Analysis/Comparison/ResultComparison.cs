namespace IclPs.Engine.Analysis.Comparison;

/// <summary>
/// One metric compared between a reference and a candidate result set over the same queries (paired by a key): the two
/// means, their difference (candidate - reference) with a 95% interval, and a paired test's p-value.
/// </summary>
public sealed record ResultComparison
{
    /// <summary>The compared column, e.g. FirstTokenCorrect or SquaredError.</summary>
    public required string Metric { get; init; }
    /// <summary>McNemar (exact, for true/false metrics) or Wilcoxon (signed-rank, for numeric ones).</summary>
    public required string Test { get; init; }
    /// <summary>Pairs compared: rows matched by key with a value for this metric in both sets.</summary>
    public required int N { get; init; }
    /// <summary>Mean of the reference's values over the pairs (the proportion true for a true/false metric).</summary>
    public required double Reference { get; init; }
    /// <summary>Mean of the candidate's values over the pairs.</summary>
    public required double Candidate { get; init; }
    /// <summary>Candidate - Reference: the mean paired difference.</summary>
    public required double Difference { get; init; }
    /// <summary>Lower bound of the interval for <see cref="Difference"/> (Newcombe hybrid score for proportions, t for means).</summary>
    public required double CILow { get; init; }
    /// <summary>Upper bound of the interval for <see cref="Difference"/>.</summary>
    public required double CIHigh { get; init; }
    /// <summary>The paired test's p-value (two-sided unless another alternative was asked for).</summary>
    public required double PValue { get; init; }
    /// <summary>Holm's adjustment of <see cref="PValue"/> over every metric of the same comparison.</summary>
    public required double AdjustedPValue { get; init; }
    /// <summary>
    /// McNemar: the pairs where only the candidate is true (c); Wilcoxon: W+, the rank sum of the pairs where the
    /// candidate's value is higher.
    /// </summary>
    public required double Statistic { get; init; }
    /// <summary>The rest of the test's numbers in words (discordant counts; or W+, W-, non-zero pairs, zeros, exact or normal).</summary>
    public required string Detail { get; init; }
    /// <summary>Reference rows whose key found no candidate row (over the whole sets, not only this metric).</summary>
    public required int UnpairedReference { get; init; }
    /// <summary>Candidate rows whose key found no reference row.</summary>
    public required int UnpairedCandidate { get; init; }
    /// <summary>Pairs left out of this metric because a member has no value for it (an empty cell or null).</summary>
    public required int Missing { get; init; }
    /// <summary>The columns the rows were paired on, comma-separated.</summary>
    public required string Key { get; init; }
    /// <summary>The coverage of <see cref="CILow"/> .. <see cref="CIHigh"/>, e.g. 0.95.</summary>
    public required double ConfidenceLevel { get; init; }
    /// <summary>The alternative hypothesis of <see cref="PValue"/>: TwoSided, Greater (candidate higher) or Less.</summary>
    public required string Alternative { get; init; }
}
