using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression;

/// <summary>
/// The token layout of docs/science.md §2: D+1 channels, x-token = [0, x_1..x_D], y-token = [y, 0..0], interleaved
/// x_1, y_1, x_2, y_2, ... (length 2K). The prediction of y_k is read at the x_k position (even positions), channel 0.
/// </summary>
public static class RegressionTokens
{
    /// <summary>x [b, K, D], y [b, K] -> tokens [b, 2K, D+1] in x's dtype and device.</summary>
    public static Tensor Encode(Tensor x, Tensor y)
    {
        RegressionChecks.Pairs(x, y);
        using var scope = NewDisposeScope();
        long b = x.shape[0], k = x.shape[1], d = x.shape[2];
        var yy = y.to(x.dtype, x.device).unsqueeze(-1);                                  // [b, K, 1]
        var xToken = cat(new[] { zeros_like(yy), x }, -1);                                 // [b, K, D+1]
        var yToken = cat(new[] { yy, zeros(new[] { b, k, d }, x.dtype, x.device) }, -1);   // [b, K, D+1]
        return stack(new[] { xToken, yToken }, 2).reshape(b, 2 * k, d + 1).MoveToOuterDisposeScope();
    }

    /// <summary>The positions 0, 2, ..., 2K-2 of the x-tokens, where the predictions of y_1..y_K are read.</summary>
    public static long[] PredictionPositions(int points)
    {
        RegressionChecks.AtLeast("Points", points, 1);
        return Enumerable.Range(0, points).Select(k => 2L * k).ToArray();
    }

    /// <summary>Read-out output [b, 2K, C] (C &gt;= 1) -> predictions [b, K]: channel 0 at the x-token positions.</summary>
    public static Tensor ReadPredictions(Tensor output)
    {
        if (output.dim() != 3 || output.shape[1] % 2 != 0 || output.shape[2] < 1)
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"Expected a read-out [b, 2K, C] with an even number of positions; got {RegressionChecks.Shape(output)}.", output);
        using var scope = NewDisposeScope();
        return output.select(2, 0).reshape(output.shape[0], output.shape[1] / 2, 2).select(2, 0).MoveToOuterDisposeScope();
    }
}
