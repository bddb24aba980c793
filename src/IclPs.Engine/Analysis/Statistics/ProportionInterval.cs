namespace IclPs.Engine.Analysis.Statistics;

/// <summary>
/// The Wilson score interval for a single proportion (Wilson 1927): the p whose score test at the given level does not
/// reject, centred at (x + z^2/2) / (n + z^2). Unlike the Wald interval it stays inside [0, 1] and keeps close to its
/// coverage at 0 or n successes. For a one-sided bound at 1 - alpha, take a two-sided interval at level 1 - 2 alpha.
/// </summary>
public static class ProportionInterval
{
    public const string MethodName = "Wilson score";

    /// <summary>The interval for the proportion of <paramref name="successes"/> in <paramref name="trials"/>; NaN bounds for 0 trials.</summary>
    public static ConfidenceInterval Wilson(long successes, long trials, double level = 0.95)
    {
        StatisticsChecks.Count(successes, "The number of successes");
        StatisticsChecks.Count(trials - successes, "The number of trials minus successes");
        StatisticsChecks.Level(level);
        if (trials == 0) return new ConfidenceInterval(double.NaN, double.NaN, double.NaN, level, MethodName);
        var p = (double)successes / trials;
        var (low, high) = WilsonBounds(p, trials, NormalDistribution.Quantile(0.5 + level / 2));
        return new ConfidenceInterval(p, low, high, level, MethodName);
    }

    /// <summary>The Wilson bounds for a proportion <paramref name="p"/> of <paramref name="n"/> at normal quantile <paramref name="z"/>.</summary>
    internal static (double Low, double High) WilsonBounds(double p, double n, double z)
    {
        var z2 = z * z;
        var denominator = 1 + z2 / n;
        var centre = (p + z2 / (2 * n)) / denominator;
        var half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
