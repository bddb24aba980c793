using IclPs.Engine.Analysis;

namespace IclPs.Engine.Tests.Analysis;

public class RunningStatisticsTests
{
    [Theory]
    [InlineData(0.0, 1.0, 1000)]
    [InlineData(1e6, 1e-3, 5000)]   // a large offset: the naive sum-of-squares formula loses every digit here
    [InlineData(-3.0, 10.0, 2)]
    public void MatchesATwoPassComputation(double offset, double scale, int n)
    {
        var rng = new Random(42);
        var values = Enumerable.Range(0, n).Select(_ => offset + scale * (rng.NextDouble() * 2 - 1)).ToArray();
        var stats = new RunningStatistics();
        stats.AddRange(values);

        var mean = values.Sum() / n;
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        Assert.Equal(n, stats.Count);
        Assert.Equal(mean, stats.Mean, Math.Abs(mean) * 1e-12 + 1e-15);
        Assert.Equal(sd, stats.StandardDeviation, sd * 1e-6);   // naive E[x^2] - E[x]^2 is off by orders of magnitude at the 1e6 offset
        Assert.Equal(sd / Math.Sqrt(n), stats.StandardError, sd * 1e-6);
    }

    [Fact]
    public void FewerThanTwoValuesHaveNoSpread()
    {
        var stats = new RunningStatistics();
        Assert.True(double.IsNaN(stats.Mean));
        stats.Add(2.5);
        Assert.Equal(2.5, stats.Mean);
        Assert.True(double.IsNaN(stats.StandardDeviation));
        stats.Add(2.5);
        Assert.Equal(0.0, stats.StandardDeviation);
    }
}
