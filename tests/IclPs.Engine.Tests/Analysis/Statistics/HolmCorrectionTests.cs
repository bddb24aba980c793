using IclPs.Engine.Analysis.Statistics;

namespace IclPs.Engine.Tests.Analysis.Statistics;

public class HolmCorrectionTests
{
    [Fact]
    public void HandComputedFamily()
    {
        // Sorted: 0.005 (x4), 0.01 (x3), 0.03 (x2), 0.04 (x1) -> 0.02, 0.03, 0.06, 0.04 -> running max 0.02, 0.03, 0.06, 0.06.
        var adjusted = HolmCorrection.Adjust([0.01, 0.04, 0.03, 0.005]);
        Assert.Equal(new[] { 0.03, 0.06, 0.06, 0.02 }, adjusted.Select(p => Math.Round(p, 12)));
    }

    [Fact]
    public void AdjustedValuesAreCappedAtOneAndNeverBelowTheRaw()
    {
        // 0.5 * 2 = 1; 0.6 * 1 = 0.6 is lifted to the running maximum 1.
        Assert.Equal(new[] { 1.0, 1.0 }, HolmCorrection.Adjust([0.5, 0.6]));
        var raw = new[] { 0.001, 0.2, 0.013, 0.04, 0.9 };
        var adjusted = HolmCorrection.Adjust(raw);
        for (var i = 0; i < raw.Length; i++) Assert.InRange(adjusted[i], raw[i], 1);
        Assert.Equal(0.005, adjusted[0], 15);   // smallest: times m = 5
    }

    [Fact]
    public void OneOrNoPValues()
    {
        Assert.Equal(new[] { 0.2 }, HolmCorrection.Adjust([0.2]));
        Assert.Empty(HolmCorrection.Adjust([]));
    }

    [Fact]
    public void ValuesOutsideZeroToOneAreRefused() =>
        Assert.Equal(StatisticsErrorIds.OutOfRange, Assert.Throws<IclPsException>(() => HolmCorrection.Adjust([0.1, double.NaN])).ErrorId);
}
