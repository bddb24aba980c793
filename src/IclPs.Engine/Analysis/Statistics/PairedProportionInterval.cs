namespace IclPs.Engine.Analysis.Statistics;

/// <summary>
/// Newcombe's hybrid score interval (Newcombe 1998, Statistics in Medicine 17:2635, method 10, without continuity
/// correction) for the difference of two paired proportions, p2 - p1: the Wilson score intervals of p1 and p2 combined by
/// "square and add" with the correlation phi of the 2x2 table. Unlike the Wald interval it stays inside [-1, 1] and keeps
/// close to its nominal coverage with few pairs or proportions near 0 or 1.
/// </summary>
/// <remarks>
/// With a = both true, b = first only, c = second only, d = neither, n = a + b + c + d: p1 = (a + b)/n, p2 = (a + c)/n,
/// the estimate is (c - b)/n, and with Wilson intervals (l1, u1), (l2, u2) and phi = (ad - bc)/sqrt((a+b)(c+d)(a+c)(b+d))
/// (0 when a margin is empty) the bounds are
/// estimate - sqrt((p2 - l2)^2 - 2 phi (p2 - l2)(u1 - p1) + (u1 - p1)^2) and
/// estimate + sqrt((u2 - p2)^2 - 2 phi (u2 - p2)(p1 - l1) + (p1 - l1)^2).
/// </remarks>
public static class PairedProportionInterval
{
    public const string MethodName = "Newcombe hybrid score";

    /// <summary>The interval for p2 - p1 from the four cells of the paired table.</summary>
    /// <param name="both">a: pairs where both are true.</param>
    /// <param name="firstOnly">b: only the first is true.</param>
    /// <param name="secondOnly">c: only the second is true.</param>
    /// <param name="neither">d: neither is true.</param>
    /// <param name="level">The coverage, e.g. 0.95.</param>
    public static ConfidenceInterval Newcombe(long both, long firstOnly, long secondOnly, long neither, double level = 0.95)
    {
        StatisticsChecks.Count(both, "The count of pairs where both are true");
        StatisticsChecks.Count(firstOnly, "The count of pairs where only the first is true");
        StatisticsChecks.Count(secondOnly, "The count of pairs where only the second is true");
        StatisticsChecks.Count(neither, "The count of pairs where neither is true");
        StatisticsChecks.Level(level);
        double a = both, b = firstOnly, c = secondOnly, d = neither;
        var n = a + b + c + d;
        if (n == 0) return new ConfidenceInterval(double.NaN, double.NaN, double.NaN, level, MethodName);
        var z = NormalDistribution.Quantile(0.5 + level / 2);
        var p1 = (a + b) / n;
        var p2 = (a + c) / n;
        var (l1, u1) = ProportionInterval.WilsonBounds(p1, n, z);
        var (l2, u2) = ProportionInterval.WilsonBounds(p2, n, z);
        var margins = (a + b) * (c + d) * (a + c) * (b + d);
        var phi = margins > 0 ? (a * d - b * c) / Math.Sqrt(margins) : 0;
        var estimate = p2 - p1;
        var below = Math.Sqrt(Math.Max(0, Sq(p2 - l2) - 2 * phi * (p2 - l2) * (u1 - p1) + Sq(u1 - p1)));
        var above = Math.Sqrt(Math.Max(0, Sq(u2 - p2) - 2 * phi * (u2 - p2) * (p1 - l1) + Sq(p1 - l1)));
        return new ConfidenceInterval(estimate, Math.Max(-1, estimate - below), Math.Min(1, estimate + above), level, MethodName);
    }

    /// <summary>The interval for the proportion of <paramref name="second"/> minus that of <paramref name="first"/>, paired by index.</summary>
    public static ConfidenceInterval Newcombe(IReadOnlyList<bool> first, IReadOnlyList<bool> second, double level = 0.95)
    {
        StatisticsChecks.SameLength(first, second, "Paired proportion interval");
        long a = 0, b = 0, c = 0, d = 0;
        for (var i = 0; i < first.Count; i++)
        {
            switch ((first[i], second[i]))
            {
                case (true, true): a++; break;
                case (true, false): b++; break;
                case (false, true): c++; break;
                default: d++; break;
            }
        }
        return Newcombe(a, b, c, d, level);
    }

    private static double Sq(double x) => x * x;
}
