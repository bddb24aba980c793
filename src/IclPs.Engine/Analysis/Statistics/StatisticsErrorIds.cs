namespace IclPs.Engine.Analysis.Statistics;

/// <summary>The stable error ids of the statistics in this namespace.</summary>
public static class StatisticsErrorIds
{
    /// <summary>A value is NaN or infinite.</summary>
    public const string NonFiniteValue = "StatisticsNonFiniteValue";
    /// <summary>Paired inputs of different lengths.</summary>
    public const string LengthMismatch = "StatisticsLengthMismatch";
    /// <summary>A count, probability or confidence level outside its range.</summary>
    public const string OutOfRange = "StatisticsArgumentOutOfRange";
    /// <summary>An exact distribution asked for more pairs than it can enumerate.</summary>
    public const string TooManyForExact = "StatisticsTooManyForExact";
}
