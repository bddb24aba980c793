using IclPs.Engine.Native;
using IclPs.Engine.Regression;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Regression;

public class RegressionMetricsTests
{
    public RegressionMetricsTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void ErrorAndDeltaOfAHandWorkedCase()
    {
        // D = 2; squared differences [[1, 4, 0], [9, 0, 16]]: per position mean 5, 2, 8, divided by D.
        using var a = tensor(new[] { 1.0, 2, 3, 3, 5, 4 }, new long[] { 2, 3 });
        using var b = tensor(new float[] { 0, 0, 3, 0, 5, 0 }, new long[] { 2, 3 });
        Assert.Equal(new[] { 2.5, 1, 4 }, RegressionMetrics.ErrorPerPosition(a, b, 2));
        Assert.Equal(new[] { 2.5, 1, 4 }, RegressionMetrics.DeltaPerPosition(b, a, 2));
        Assert.Equal(2.5, RegressionMetrics.Delta(a, b, 2), 1e-15);
    }

    [Fact]
    public void ZeroPredictorScoresAboutOnePerDimensionOnGaussianLinearTasks()
    {
        // E[y^2] / D = (D + sigma^2) / D = 1.03125 at D = 8, sigma^2 = 0.25. Per position: 4,000 sequences with
        // Var(y^2) about 184, so the sd of each position's estimate is sqrt(184 / 4000) / 8 = 0.027; allow 0.12 (> 4 sd).
        using var family = new LinearTaskFamily();
        using var batch = family.Sample(4000, 16, seed: 21);
        using var zero = zeros_like(batch.Y);
        var error = RegressionMetrics.ErrorPerPosition(zero, batch.Y, family.Dimension);
        Assert.Equal(16, error.Length);
        Assert.All(error, e => Assert.Equal(1.03125, e, 0.12));
        Assert.Equal(1.03125, error.Average(), 0.03);
    }

    [Fact]
    public void ShapesMustAgree()
    {
        using var a = zeros(2, 3);
        using var b = zeros(2, 4);
        var e = Assert.Throws<IclPsException>(() => RegressionMetrics.Delta(a, b, 8));
        Assert.Equal(RegressionErrorIds.ShapeMismatch, e.ErrorId);
    }
}
