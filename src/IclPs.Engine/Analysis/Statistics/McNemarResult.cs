namespace IclPs.Engine.Analysis.Statistics;

/// <summary>The outcome of an exact <see cref="McNemar"/> test on paired yes/no outcomes.</summary>
public sealed record McNemarResult
{
    /// <summary>Pairs where only the first member is true (e.g. the reference right, the candidate wrong).</summary>
    public required long FirstOnly { get; init; }
    /// <summary>Pairs where only the second member is true (e.g. the candidate right, the reference wrong).</summary>
    public required long SecondOnly { get; init; }
    /// <summary>Discordant pairs, <see cref="FirstOnly"/> + <see cref="SecondOnly"/>: the pairs the test looks at.</summary>
    public long Discordant => FirstOnly + SecondOnly;
    /// <summary>The exact binomial p-value for <see cref="Alternative"/>; 1 when there are no discordant pairs.</summary>
    public required double PValue { get; init; }
    public required Alternative Alternative { get; init; }
}
