using IclPs.Engine.Analysis.Statistics;

namespace IclPs.Engine.Tests.Analysis.Statistics;

public class WilcoxonSignedRankTests
{
    [Fact]
    public void HandWorkedExampleHasWPlus11AndExactOneSidedP7Over32()
    {
        // Ranks of |d| = 1..5; W+ = 1 + 2 + 3 + 5 = 11, W- = 4. Of the 32 sign patterns, W+ >= 11 exactly when the
        // negative ranks sum to at most 4: {}, {1}, {2}, {3}, {4}, {1,2}, {1,3} -- 7 of them.
        var result = WilcoxonSignedRank.Test([1, 2, 3, -4, 5], Alternative.Greater);
        Assert.Equal(5, result.N);
        Assert.Equal(0, result.Zeros);
        Assert.Equal(11, result.WPlus);
        Assert.Equal(4, result.WMinus);
        Assert.True(result.Exact);
        Assert.Equal(7.0 / 32, result.PValue, 15);
        // W+ <= 11 fails only when the negative ranks sum to at most 3 ({}, {1}, {2}, {3}, {1,2}): 27 of 32.
        Assert.Equal(27.0 / 32, WilcoxonSignedRank.Test([1, 2, 3, -4, 5], Alternative.Less).PValue, 15);
        Assert.Equal(14.0 / 32, WilcoxonSignedRank.Test([1, 2, 3, -4, 5]).PValue, 15);
        Assert.Equal(2, result.MedianDifference);
    }

    [Fact]
    public void ZeroDifferencesAreDroppedBeforeRanking()
    {
        var result = WilcoxonSignedRank.Test([0, 1, 2, 3, -4, 5, 0], Alternative.Greater);
        Assert.Equal(5, result.N);
        Assert.Equal(2, result.Zeros);
        Assert.Equal(11, result.WPlus);
        Assert.Equal(7.0 / 32, result.PValue, 15);
        // The median is of every difference, zeros included: -4 0 0 1 2 3 5.
        Assert.Equal(1, result.MedianDifference);
    }

    [Fact]
    public void AllZeroDifferencesGiveNoEvidence()
    {
        var result = WilcoxonSignedRank.Test([0.0, 0.0, 0.0]);
        Assert.Equal(0, result.N);
        Assert.Equal(3, result.Zeros);
        Assert.Equal(1, result.PValue);
        Assert.Equal(0, result.Z);
    }

    [Fact]
    public void TiesGetAverageRanksAndAnExactDistributionOverThoseRanks()
    {
        // |d| = 1 1 2 2 3: ranks 1.5 1.5 3.5 3.5 5. W+ = 1.5 + 3.5 + 3.5 = 8.5, W- = 6.5. Doubled ranks {3, 3, 7, 7, 10}:
        // 15 of the 32 subsets sum to 17 or more (2 W+ = 17), 21 to 17 or less, so two-sided p = 2 * 15/32 = 15/16.
        var result = WilcoxonSignedRank.Test([1, -1, 2, 2, -3]);
        Assert.Equal(8.5, result.WPlus);
        Assert.Equal(6.5, result.WMinus);
        Assert.Equal(2, result.TieGroups);
        Assert.True(result.Exact);
        Assert.Equal(15.0 / 16, result.PValue, 15);
        Assert.Equal(15.0 / 32, WilcoxonSignedRank.Test([1, -1, 2, 2, -3], Alternative.Greater).PValue, 15);
        Assert.Equal(21.0 / 32, WilcoxonSignedRank.Test([1, -1, 2, 2, -3], Alternative.Less).PValue, 15);
    }

    [Fact]
    public void NormalApproximationUsesTheTieAndContinuityCorrections()
    {
        // n = 5: variance 5*6*11/24 - ((2^3 - 2) + (2^3 - 2))/48 = 13.75 - 0.25 = 13.5; mean 7.5.
        var result = WilcoxonSignedRank.Test([1, -1, 2, 2, -3], method: WilcoxonMethod.Normal);
        Assert.False(result.Exact);
        Assert.Equal(1 / Math.Sqrt(13.5), result.Z, 12);
        // Continuity: (8.5 - 7.5 - 0.5) / sqrt(13.5); two-sided doubles the upper tail (reference: Python math.erfc).
        Assert.Equal(0.8917558535067944, result.PValue, 12);
    }

    [Fact]
    public void ExactPValuesMatchBruteForceEnumerationOfSignPatterns()
    {
        var rng = new Random(7);
        for (var trial = 0; trial < 40; trial++)
        {
            var n = rng.Next(1, 13);
            // Few distinct magnitudes, so ties are common.
            var d = Enumerable.Range(0, n).Select(_ => (rng.Next(2) == 0 ? -1 : 1) * (double)rng.Next(1, 6)).ToArray();
            var magnitudes = d.Select(Math.Abs).ToArray();
            var ranks = magnitudes.Select(m => magnitudes.Count(x => x < m) + (magnitudes.Count(x => x == m) + 1) / 2.0).ToArray();
            var observed = d.Select((x, i) => x > 0 ? ranks[i] : 0).Sum();
            int atLeast = 0, atMost = 0;
            for (var mask = 0; mask < 1 << n; mask++)
            {
                var w = 0.0;
                for (var i = 0; i < n; i++) if ((mask >> i & 1) == 1) w += ranks[i];
                if (w >= observed - 1e-9) atLeast++;
                if (w <= observed + 1e-9) atMost++;
            }
            var total = (double)(1 << n);
            Assert.Equal(observed, WilcoxonSignedRank.Test(d).WPlus, 12);
            Assert.Equal(atLeast / total, WilcoxonSignedRank.Test(d, Alternative.Greater).PValue, 14);
            Assert.Equal(atMost / total, WilcoxonSignedRank.Test(d, Alternative.Less).PValue, 14);
            Assert.Equal(Math.Min(1, 2 * Math.Min(atLeast, atMost) / total), WilcoxonSignedRank.Test(d).PValue, 14);
        }
    }

    [Fact]
    public void NormalApproximationIsWithinOneHundredthOfTheExactDistributionAtN30()
    {
        // Ranks 1..30 without ties; W+ from 120 to 345 (mean 232.5, sd 48.6), by choosing which ranks are positive.
        for (var w = 120; w <= 345; w += 5)
        {
            var d = new double[30];
            var left = w;
            for (var r = 30; r >= 1; r--)
            {
                var positive = r <= left;
                if (positive) left -= r;
                d[r - 1] = positive ? r : -r;
            }
            Assert.Equal(0, left);
            foreach (var alternative in new[] { Alternative.TwoSided, Alternative.Greater, Alternative.Less })
            {
                var exact = WilcoxonSignedRank.Test(d, alternative, WilcoxonMethod.Exact);
                var normal = WilcoxonSignedRank.Test(d, alternative, WilcoxonMethod.Normal);
                Assert.Equal(w, exact.WPlus);
                Assert.True(exact.Exact);
                Assert.False(normal.Exact);
                Assert.True(Math.Abs(exact.PValue - normal.PValue) < 0.01, $"W+ = {w}, {alternative}: exact {exact.PValue}, normal {normal.PValue}");
            }
        }
    }

    [Fact]
    public void AutoIsExactUpTo25NonZeroDifferences()
    {
        var d25 = Enumerable.Range(1, 25).Select(i => i % 3 == 0 ? -(double)i : i).ToArray();
        var d26 = Enumerable.Range(1, 26).Select(i => i % 3 == 0 ? -(double)i : i).ToArray();
        Assert.True(WilcoxonSignedRank.Test(d25).Exact);
        Assert.False(WilcoxonSignedRank.Test(d26).Exact);
        // Zeros do not count towards the limit.
        Assert.True(WilcoxonSignedRank.Test(d25.Concat(new double[10]).ToArray()).Exact);
    }

    [Fact]
    public void ExactDistributionSumsToOneAndIsSymmetric()
    {
        var p = WilcoxonSignedRank.ExactDistribution([2, 4, 6, 8, 10, 12]);
        Assert.Equal(1.0, p.Sum(), 15);
        for (var s = 0; s < p.Length; s++) Assert.Equal(p[s], p[p.Length - 1 - s]);
    }

    [Fact]
    public void PairedValuesAreTestedOnSecondMinusFirst()
    {
        double[] reference = [10, 10, 10, 10, 10];
        double[] candidate = [11, 12, 13, 6, 15];
        var paired = WilcoxonSignedRank.Test(reference, candidate, Alternative.Greater);
        Assert.Equal(11, paired.WPlus);
        Assert.Equal(7.0 / 32, paired.PValue, 15);
    }

    [Fact]
    public void NonFiniteValuesAndLengthMismatchesAreRefused()
    {
        Assert.Equal(StatisticsErrorIds.NonFiniteValue, Assert.Throws<IclPsException>(() => WilcoxonSignedRank.Test([1, double.NaN])).ErrorId);
        Assert.Equal(StatisticsErrorIds.LengthMismatch, Assert.Throws<IclPsException>(() => WilcoxonSignedRank.Test([1.0, 2], [1.0])).ErrorId);
        var many = Enumerable.Range(1, WilcoxonSignedRank.ExactMaximum + 1).Select(i => (double)i).ToArray();
        Assert.Equal(StatisticsErrorIds.TooManyForExact, Assert.Throws<IclPsException>(() => WilcoxonSignedRank.Test(many, method: WilcoxonMethod.Exact)).ErrorId);
    }
}
