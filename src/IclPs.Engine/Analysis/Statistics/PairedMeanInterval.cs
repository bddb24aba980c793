namespace IclPs.Engine.Analysis.Statistics;

/// <summary>
/// The t interval for the mean of paired differences: mean +- t(n - 1, (1 + level) / 2) * sd / sqrt(n), with the sample
/// standard deviation (n - 1 in the denominator). Needs two or more pairs; with fewer the bounds are NaN.
/// </summary>
public static class PairedMeanInterval
{
    public const string MethodName = "t";

    /// <summary>The interval for the mean of <paramref name="differences"/>.</summary>
    public static ConfidenceInterval Compute(IReadOnlyList<double> differences, double level = 0.95)
    {
        StatisticsChecks.Finite(differences, "Paired mean interval, differences");
        StatisticsChecks.Level(level);
        var n = differences.Count;
        if (n == 0) return new ConfidenceInterval(double.NaN, double.NaN, double.NaN, level, MethodName);
        var stats = new RunningStatistics();
        stats.AddRange(differences);
        if (n < 2) return new ConfidenceInterval(stats.Mean, double.NaN, double.NaN, level, MethodName);
        var half = StudentTDistribution.Quantile(0.5 + level / 2, n - 1) * stats.StandardError;
        return new ConfidenceInterval(stats.Mean, stats.Mean - half, stats.Mean + half, level, MethodName);
    }

    /// <summary>The interval for the mean of <paramref name="second"/>[i] - <paramref name="first"/>[i].</summary>
    public static ConfidenceInterval Compute(IReadOnlyList<double> first, IReadOnlyList<double> second, double level = 0.95)
    {
        StatisticsChecks.SameLength(first, second, "Paired mean interval");
        return Compute(first.Select((x, i) => second[i] - x).ToArray(), level);
    }
}
