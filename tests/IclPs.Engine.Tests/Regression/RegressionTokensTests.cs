using IclPs.Engine.Native;
using IclPs.Engine.Regression;
using static IclPs.Engine.Tests.Regression.RegressionReference;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Regression;

public class RegressionTokensTests
{
    public RegressionTokensTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void TokensInterleaveXAndYInTheDocumentedChannels()
    {
        // b = 1, K = 2, D = 2: x_1 = (1, 2), x_2 = (3, 4), y = (5, 6).
        using var x = tensor(new[] { 1.0, 2, 3, 4 }, new long[] { 1, 2, 2 });
        using var y = tensor(new[] { 5.0, 6 }, new long[] { 1, 2 });
        using var tokens = RegressionTokens.Encode(x, y);
        Assert.Equal(new long[] { 1, 4, 3 }, tokens.shape);
        Assert.Equal(new double[] { 0, 1, 2, /**/ 5, 0, 0, /**/ 0, 3, 4, /**/ 6, 0, 0 }, ToDoubles(tokens));
    }

    [Fact]
    public void PredictionsAreReadAtTheXPositionsChannelZero()
    {
        Assert.Equal(new long[] { 0, 2, 4 }, RegressionTokens.PredictionPositions(3));
        // Read-out [b = 2, 2K = 4, C = 2] whose value encodes (batch, position, channel) as 100b + 10t + c.
        var values = new double[16];
        for (var b = 0; b < 2; b++) for (var t = 0; t < 4; t++) for (var c = 0; c < 2; c++) values[(b * 4 + t) * 2 + c] = 100 * b + 10 * t + c;
        using var output = tensor(values, new long[] { 2, 4, 2 });
        using var predictions = RegressionTokens.ReadPredictions(output);
        Assert.Equal(new long[] { 2, 2 }, predictions.shape);
        Assert.Equal(new double[] { 0, 20, 100, 120 }, ToDoubles(predictions));
    }

    [Fact]
    public void BatchTokensMatchEncode()
    {
        using var family = new LinearTaskFamily(dimension: 3);
        using var batch = family.Sample(2, 5, seed: 1);
        using var tokens = batch.Tokens();
        Assert.Equal(new long[] { 2, 10, 4 }, tokens.shape);
        Assert.Equal(ScalarType.Float32, tokens.dtype);
        using var xs = tokens.index_select(1, tensor(RegressionTokens.PredictionPositions(5))).narrow(2, 1, 3);
        Assert.True(Identical(xs, batch.X));
    }

    [Fact]
    public void OddReadOutLengthIsRejected()
    {
        using var output = zeros(1, 5, 1);
        var e = Assert.Throws<IclPsException>(() => RegressionTokens.ReadPredictions(output));
        Assert.Equal(RegressionErrorIds.ShapeMismatch, e.ErrorId);
    }
}
