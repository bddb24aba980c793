using System.Numerics;
using IclPs.Engine.Analysis.Statistics;

namespace IclPs.Engine.Tests.Analysis.Statistics;

public class McNemarTests
{
    [Fact]
    public void FiveAgainstOneIsTwiceTheBinomialTail()
    {
        // 2 * (C(6,0) + C(6,1)) / 2^6 = 14/64.
        var result = McNemar.Exact(5, 1);
        Assert.Equal(0.21875, result.PValue, 14);
        Assert.Equal(6, result.Discordant);
        Assert.Equal(0.21875, McNemar.Exact(1, 5).PValue, 14);
    }

    [Fact]
    public void PairedOutcomesCountOnlyTheDiscordantPairs()
    {
        // 3 both right, 5 only the first right, 1 only the second right, 2 both wrong.
        bool[] first = [true, true, true, true, true, true, true, true, false, false, false];
        bool[] second = [true, true, true, false, false, false, false, false, true, false, false];
        var result = McNemar.Exact(first, second);
        Assert.Equal(5, result.FirstOnly);
        Assert.Equal(1, result.SecondOnly);
        Assert.Equal(0.21875, result.PValue, 14);
    }

    [Fact]
    public void OneSidedAlternativesAreSingleTails()
    {
        // X ~ Bin(6, 1/2) pairs favouring the second member, observed c = 5: P(X >= 5) = 7/64, P(X <= 5) = 63/64.
        Assert.Equal(7.0 / 64, McNemar.Exact(1, 5, Alternative.Greater).PValue, 14);
        Assert.Equal(63.0 / 64, McNemar.Exact(1, 5, Alternative.Less).PValue, 14);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 3)]
    public void BalancedOrNoDiscordantPairsGivePOne(long b, long c) => Assert.Equal(1.0, McNemar.Exact(b, c).PValue);

    [Fact]
    public void LargeCountsMatchExactIntegerArithmetic()
    {
        const int b = 400, c = 460, n = b + c;
        var tail = BigInteger.Zero;
        var term = BigInteger.One;
        for (var k = 0; k <= b; k++)
        {
            tail += term;
            term = term * (n - k) / (k + 1);
        }
        // 2 * tail / 2^n, as a double through a scaled integer division.
        var scaled = (double)(2 * tail * BigInteger.Pow(10, 30) / BigInteger.Pow(2, n)) / 1e30;
        Assert.Equal(scaled, McNemar.Exact(b, c).PValue, 1e-12);
        Assert.InRange(scaled, 0.03, 0.06);
    }

    [Fact]
    public void NegativeCountsAreRefused() =>
        Assert.Equal(StatisticsErrorIds.OutOfRange, Assert.Throws<IclPsException>(() => McNemar.Exact(-1, 2)).ErrorId);
}
