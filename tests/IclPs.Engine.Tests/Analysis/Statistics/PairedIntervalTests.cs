using IclPs.Engine.Analysis.Statistics;

namespace IclPs.Engine.Tests.Analysis.Statistics;

public class PairedIntervalTests
{
    [Fact]
    public void MeanDifferenceTIntervalByHand()
    {
        // d = 1 2 3 -4 5: mean 1.4, sample variance 45.2 / 4 = 11.3, se = sqrt(11.3 / 5), t(4, 0.975) = 2.7764451051977987.
        var interval = PairedMeanInterval.Compute([1, 2, 3, -4, 5]);
        var half = 2.7764451051977987 * Math.Sqrt(11.3 / 5);
        Assert.Equal(1.4, interval.Estimate, 14);
        Assert.Equal(1.4 - half, interval.Low, 11);
        Assert.Equal(1.4 + half, interval.High, 11);
        Assert.Equal(0.95, interval.Level);
        Assert.Equal("t", interval.Method);
        var paired = PairedMeanInterval.Compute([10, 10, 10, 10, 10], [11, 12, 13, 6, 15]);
        Assert.Equal(interval.Low, paired.Low, 12);
        Assert.Equal(interval.High, paired.High, 12);
    }

    [Fact]
    public void OnePairHasNoInterval()
    {
        var interval = PairedMeanInterval.Compute([2.0]);
        Assert.Equal(2.0, interval.Estimate);
        Assert.True(double.IsNaN(interval.Low) && double.IsNaN(interval.High));
    }

    [Fact]
    public void NewcombeReproducesThePublishedExample()
    {
        // Newcombe (1998) Table II example (a): a = 36, b = 12, c = 2, d = 0, p1 - p2 = 0.2; method 10: 0.0569 to 0.3404.
        // Here the estimate is second minus first, so the first member is the paper's second.
        var interval = PairedProportionInterval.Newcombe(36, 2, 12, 0);
        Assert.Equal(0.2, interval.Estimate, 14);
        Assert.Equal(0.0569, interval.Low, 4);
        Assert.Equal(0.3404, interval.High, 4);
        var mirrored = PairedProportionInterval.Newcombe(36, 12, 2, 0);
        Assert.Equal(-interval.High, mirrored.Low, 14);
        Assert.Equal(-interval.Low, mirrored.High, 14);
    }

    [Fact]
    public void NewcombeFromPairedOutcomesMatchesTheCounts()
    {
        // a = 3, b = 5, c = 1, d = 2 (the McNemar example); reference values from an independent Python computation.
        bool[] first = [true, true, true, true, true, true, true, true, false, false, false];
        bool[] second = [true, true, true, false, false, false, false, false, true, false, false];
        var interval = PairedProportionInterval.Newcombe(first, second);
        var counts = PairedProportionInterval.Newcombe(3, 5, 1, 2);
        Assert.Equal(counts, interval);
        Assert.Equal(-4.0 / 11, interval.Estimate, 14);
        Assert.InRange(interval.Low, -1, interval.Estimate);
        Assert.InRange(interval.High, interval.Estimate, 1);
    }

    [Fact]
    public void NewcombeStaysInsideMinusOneToOne()
    {
        var all = PairedProportionInterval.Newcombe(0, 10, 0, 0);
        Assert.Equal(-1, all.Estimate);
        Assert.Equal(-1, all.Low);
        Assert.True(all.High < 0);
        var none = PairedProportionInterval.Newcombe(10, 0, 0, 0);
        Assert.Equal(0, none.Estimate);
        Assert.True(none.Low < 0 && none.High > 0);
        Assert.Equal(-none.Low, none.High, 14);
    }

    [Fact]
    public void WilsonIntervalForOneProportion()
    {
        // 8 of 10: centre (0.8 + z^2/20) / (1 + z^2/10), z = 1.959964; reference values from an independent Python computation.
        var interval = ProportionInterval.Wilson(8, 10);
        Assert.Equal(0.8, interval.Estimate, 15);
        Assert.Equal(0.49016247153664183, interval.Low, 12);
        Assert.Equal(0.9433178485456247, interval.High, 12);
        // None of 10: the lower bound is 0 and the upper z^2 / (n + z^2).
        var none = ProportionInterval.Wilson(0, 10);
        Assert.Equal(0, none.Low, 15);
        Assert.Equal(3.841458820694124 / (10 + 3.841458820694124), none.High, 12);
        Assert.Equal(StatisticsErrorIds.OutOfRange, Assert.Throws<IclPsException>(() => ProportionInterval.Wilson(11, 10)).ErrorId);
    }

    [Fact]
    public void LevelsOutsideZeroToOneAreRefused() =>
        Assert.Equal(StatisticsErrorIds.OutOfRange, Assert.Throws<IclPsException>(() => PairedMeanInterval.Compute([1.0, 2], 95)).ErrorId);
}
