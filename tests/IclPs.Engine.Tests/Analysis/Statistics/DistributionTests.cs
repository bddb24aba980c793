using IclPs.Engine.Analysis.Statistics;

namespace IclPs.Engine.Tests.Analysis.Statistics;

public class DistributionTests
{
    // References: Python's math.erfc (normal) and published t tables to their last digit (R's qt).
    [Theory]
    [InlineData(1.96, 0.9750021048517795)]
    [InlineData(-1.0, 0.15865525393145707)]
    [InlineData(-5.0, 2.866515718791946e-07)]
    [InlineData(0.0, 0.5)]
    public void NormalCdf(double z, double expected) => Assert.Equal(expected, NormalDistribution.Cdf(z), Math.Abs(expected) * 1e-12);

    [Fact]
    public void NormalQuantileInvertsTheCdf()
    {
        Assert.Equal(1.959963984540054, NormalDistribution.Quantile(0.975), 12);
        Assert.Equal(-1.959963984540054, NormalDistribution.Quantile(0.025), 12);
        Assert.Equal(-4.753424308822899, NormalDistribution.Quantile(1e-6), 10);
    }

    [Theory]
    [InlineData(0.975, 1, 12.706204736174705)]
    [InlineData(0.975, 4, 2.7764451051977987)]
    [InlineData(0.975, 29, 2.045229642132703)]
    [InlineData(0.995, 10, 3.169272672616951)]
    [InlineData(0.025, 4, -2.7764451051977987)]
    public void StudentTQuantile(double p, double df, double expected) =>
        Assert.Equal(expected, StudentTDistribution.Quantile(p, df), Math.Abs(expected) * 1e-11);

    [Fact]
    public void StudentTApproachesTheNormalWithManyDegreesOfFreedom() =>
        Assert.Equal(NormalDistribution.Cdf(1.5), StudentTDistribution.Cdf(1.5, 1e7), 1e-7);
}
