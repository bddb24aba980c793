namespace IclPs.Engine.Analysis.Statistics;

/// <summary>
/// The exact McNemar test for paired yes/no outcomes: under the null each discordant pair is equally likely to favour
/// either member, so the number favouring the second member (c of b + c) is Binomial(b + c, 1/2).
/// </summary>
/// <remarks>
/// Two-sided: p = min(1, 2 P(X &lt;= min(b, c))), e.g. b = 5, c = 1 gives 2 (C(6,0) + C(6,1)) / 2^6 = 0.21875. One-sided:
/// <see cref="Alternative.Greater"/> (the second member true more often) is P(X &gt;= c), <see cref="Alternative.Less"/>
/// P(X &lt;= c). Binomial terms are summed in log space, so any number of pairs is exact to double precision.
/// </remarks>
public static class McNemar
{
    /// <summary>The test from the discordant counts: <paramref name="firstOnly"/> = b, <paramref name="secondOnly"/> = c.</summary>
    public static McNemarResult Exact(long firstOnly, long secondOnly, Alternative alternative = Alternative.TwoSided)
    {
        StatisticsChecks.Count(firstOnly, "The count of pairs where only the first is true");
        StatisticsChecks.Count(secondOnly, "The count of pairs where only the second is true");
        var n = firstOnly + secondOnly;
        var p = alternative switch
        {
            Alternative.Greater => BinomialHalfLowerTail(n, firstOnly),   // P(X >= c) = P(n - X <= b)
            Alternative.Less => BinomialHalfLowerTail(n, secondOnly),
            _ => Math.Min(1, 2 * BinomialHalfLowerTail(n, Math.Min(firstOnly, secondOnly))),
        };
        return new McNemarResult { FirstOnly = firstOnly, SecondOnly = secondOnly, PValue = Math.Min(1, p), Alternative = alternative };
    }

    /// <summary>The test on paired outcomes: pair i is (<paramref name="first"/>[i], <paramref name="second"/>[i]).</summary>
    public static McNemarResult Exact(IReadOnlyList<bool> first, IReadOnlyList<bool> second, Alternative alternative = Alternative.TwoSided)
    {
        StatisticsChecks.SameLength(first, second, "McNemar test");
        long b = 0, c = 0;
        for (var i = 0; i < first.Count; i++)
        {
            if (first[i] && !second[i]) b++;
            else if (!first[i] && second[i]) c++;
        }
        return Exact(b, c, alternative);
    }

    /// <summary>P(X &lt;= k) for X ~ Binomial(n, 1/2), summed in log space (log C(n, j) by the recurrence in j).</summary>
    public static double BinomialHalfLowerTail(long n, long k)
    {
        if (k < 0) return 0;
        if (k >= n) return 1;
        var log2 = Math.Log(2);
        var logTerm = -n * log2;          // log C(n, 0) 2^-n
        var logSum = logTerm;
        for (long j = 1; j <= k; j++)
        {
            logTerm += Math.Log(n - j + 1) - Math.Log(j);
            var (big, small) = logSum >= logTerm ? (logSum, logTerm) : (logTerm, logSum);
            logSum = big + Math.Log(1 + Math.Exp(small - big));
        }
        return Math.Min(1, Math.Exp(logSum));
    }
}
