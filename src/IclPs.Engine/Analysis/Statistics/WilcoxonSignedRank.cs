namespace IclPs.Engine.Analysis.Statistics;

/// <summary>
/// The Wilcoxon signed-rank test on paired differences d_i (second minus first), for a shift of their distribution away
/// from zero.
/// </summary>
/// <remarks>
/// <para>Zero differences are dropped before ranking (Wilcoxon's original method; Pratt's method, which ranks them and then
/// discards their ranks, is not used), so N counts the non-zero differences. The |d_i| are ranked 1..N with tied values
/// (exactly equal) given the average of the ranks they span.</para>
/// <para>The p-value is exact for N up to <see cref="ExactLimit"/>: every one of the 2^N sign assignments is equally likely
/// under the null, and the distribution of W+ is enumerated by dynamic programming over the actual ranks, doubled so
/// average ranks are integers; ties are therefore handled exactly too. Above the limit the normal approximation is used:
/// mean N(N+1)/4, variance N(N+1)(2N+1)/24 - sum(t^3 - t)/48 over the tie groups of size t, and a continuity correction of
/// 1/2 towards the mean. Two-sided p-values double the smaller tail, capped at 1 (the null distribution is symmetric).</para>
/// </remarks>
public static class WilcoxonSignedRank
{
    /// <summary>The most non-zero differences <see cref="WilcoxonMethod.Auto"/> treats exactly.</summary>
    public const int ExactLimit = 25;

    /// <summary>The most non-zero differences <see cref="WilcoxonMethod.Exact"/> accepts (the enumeration costs O(N^3)).</summary>
    public const int ExactMaximum = 400;

    /// <summary>The test on paired values: differences <paramref name="second"/>[i] - <paramref name="first"/>[i].</summary>
    public static WilcoxonSignedRankResult Test(IReadOnlyList<double> first, IReadOnlyList<double> second,
        Alternative alternative = Alternative.TwoSided, WilcoxonMethod method = WilcoxonMethod.Auto)
    {
        StatisticsChecks.SameLength(first, second, "Wilcoxon signed-rank test");
        StatisticsChecks.Finite(first, "Wilcoxon signed-rank test, first values");
        StatisticsChecks.Finite(second, "Wilcoxon signed-rank test, second values");
        var differences = new double[first.Count];
        for (var i = 0; i < differences.Length; i++) differences[i] = second[i] - first[i];
        return Test(differences, alternative, method);
    }

    /// <summary>The test on differences d_i; <see cref="Alternative.Greater"/> means they tend to be positive.</summary>
    public static WilcoxonSignedRankResult Test(IReadOnlyList<double> differences,
        Alternative alternative = Alternative.TwoSided, WilcoxonMethod method = WilcoxonMethod.Auto)
    {
        StatisticsChecks.Finite(differences, "Wilcoxon signed-rank test, differences");
        var nonZero = differences.Where(d => d != 0).ToArray();
        var n = nonZero.Length;
        var median = Median(differences);
        if (n == 0)
        {
            return new WilcoxonSignedRankResult
            {
                N = 0, Zeros = differences.Count, WPlus = 0, WMinus = 0, PValue = 1, Alternative = alternative, Exact = true,
                Z = 0, TieGroups = 0, MedianDifference = median,
            };
        }
        var (doubledRanks, tieGroups, tieSum) = DoubledRanks(nonZero);
        long doubledWPlus = 0;
        for (var i = 0; i < n; i++)
        {
            if (nonZero[i] > 0) doubledWPlus += doubledRanks[i];
        }
        var total = (double)n * (n + 1) / 2;
        var wPlus = doubledWPlus / 2.0;
        var mean = total / 2;
        var variance = (double)n * (n + 1) * (2.0 * n + 1) / 24 - tieSum / 48;
        var sd = Math.Sqrt(variance);
        var exact = method switch
        {
            WilcoxonMethod.Exact => n <= ExactMaximum ? true : throw new IclPsException(StatisticsErrorIds.TooManyForExact, IclErrorKind.LimitsExceeded,
                $"The exact Wilcoxon distribution is enumerated for at most {ExactMaximum} non-zero differences, got {n}; use the normal approximation.", n),
            WilcoxonMethod.Normal => false,
            _ => n <= ExactLimit,
        };
        double upper, lower;
        if (exact)
        {
            var distribution = ExactDistribution(doubledRanks);
            upper = lower = 0;
            for (var s = 0; s < distribution.Length; s++)
            {
                if (s >= doubledWPlus) upper += distribution[s];
                if (s <= doubledWPlus) lower += distribution[s];
            }
            upper = Math.Min(1, upper);
            lower = Math.Min(1, lower);
        }
        else
        {
            upper = NormalDistribution.UpperTail((wPlus - mean - 0.5) / sd);
            lower = NormalDistribution.Cdf((wPlus - mean + 0.5) / sd);
        }
        return new WilcoxonSignedRankResult
        {
            N = n,
            Zeros = differences.Count - n,
            WPlus = wPlus,
            WMinus = total - wPlus,
            PValue = PValue(upper, lower, alternative),
            Alternative = alternative,
            Exact = exact,
            Z = sd > 0 ? (wPlus - mean) / sd : 0,
            TieGroups = tieGroups,
            MedianDifference = median,
        };
    }

    /// <summary>
    /// The exact null distribution of 2 W+ for the given doubled ranks: element s is P(2 W+ = s) when each rank carries a
    /// plus sign with probability 1/2 independently. Probabilities are multiples of 2^-N, exact in doubles for N &lt;= 52.
    /// </summary>
    public static double[] ExactDistribution(IReadOnlyList<long> doubledRanks)
    {
        ArgumentNullException.ThrowIfNull(doubledRanks);
        if (doubledRanks.Count > ExactMaximum)
            throw new IclPsException(StatisticsErrorIds.TooManyForExact, IclErrorKind.LimitsExceeded,
                $"The exact Wilcoxon distribution is enumerated for at most {ExactMaximum} ranks, got {doubledRanks.Count}.", doubledRanks.Count);
        var max = doubledRanks.Sum();
        var p = new double[max + 1];
        p[0] = 1;
        long reach = 0;
        foreach (var r in doubledRanks)
        {
            if (r <= 0) throw new IclPsException(StatisticsErrorIds.OutOfRange, IclErrorKind.InvalidArgument, $"Doubled ranks must be positive, got {r}.", r);
            reach += r;
            // Downwards so each rank is used at most once: P'(s) = (P(s) + P(s - r)) / 2.
            for (var s = reach; s >= 0; s--) p[s] = 0.5 * (p[s] + (s >= r ? p[s - r] : 0));
        }
        return p;
    }

    /// <summary>
    /// Twice the average ranks of |values| (1-based; tied magnitudes share the mean of the ranks they span, so doubled
    /// ranks are integers), the number of tie groups, and sum(t^3 - t) over them.
    /// </summary>
    public static (long[] DoubledRanks, int TieGroups, double TieSum) DoubledRanks(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var n = values.Count;
        var order = Enumerable.Range(0, n).OrderBy(i => Math.Abs(values[i])).ToArray();
        var ranks = new long[n];
        var groups = 0;
        var tieSum = 0.0;
        for (var start = 0; start < n;)
        {
            var end = start;
            while (end + 1 < n && Math.Abs(values[order[end + 1]]) == Math.Abs(values[order[start]])) end++;
            // Ranks start+1 .. end+1 average to (start + end + 2) / 2; doubled: start + end + 2.
            for (var k = start; k <= end; k++) ranks[order[k]] = start + end + 2;
            var t = end - start + 1;
            if (t > 1)
            {
                groups++;
                tieSum += (double)t * t * t - t;
            }
            start = end + 1;
        }
        return (ranks, groups, tieSum);
    }

    private static double PValue(double upper, double lower, Alternative alternative) => alternative switch
    {
        Alternative.Greater => upper,
        Alternative.Less => lower,
        _ => Math.Min(1, 2 * Math.Min(upper, lower)),
    };

    private static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }
}
