using IclPs.Engine.Tests.Reference;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>
/// Comparisons used throughout the model tests. Error norm: relative L2, ||actual - expected||_2 / ||expected||_2,
/// over the whole compared array (every position, head and channel of one capture point).
/// </summary>
public static class Numerics
{
    public static double[] ToDoubles(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().to(ScalarType.Float64, torch.CPU).contiguous().data<double>().ToArray();
    }

    public static double RelativeError(double[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        return Math.Sqrt(diff) / Math.Max(Math.Sqrt(norm), 1e-300);
    }

    public static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var error = RelativeError(actual, expected);
        Assert.True(error < tolerance, $"{what}: relative L2 error {error:E3} exceeds {tolerance:E1}.");
    }

    /// <summary>Compares an engine tensor for one prompt (batch axis of size 1, or none) with a reference tensor of the same layout.</summary>
    public static void AssertClose(RefTensor expected, Tensor actual, double tolerance, string what)
    {
        var shape = actual.shape.SkipWhile((s, i) => i == 0 && actual.dim() == expected.Shape.Length + 1 && s == 1).Select(s => (int)s);
        Assert.True(expected.Shape.SequenceEqual(shape), $"{what}: shape [{string.Join(", ", actual.shape)}] does not match reference [{string.Join(", ", expected.Shape)}].");
        AssertClose(expected.Data, ToDoubles(actual), tolerance, what);
    }
}
