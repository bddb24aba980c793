using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression;

/// <summary>Argument checks shared by the regression code, so every bad value fails with the same ids and wording.</summary>
internal static class RegressionChecks
{
    public static void AtLeast(string name, long value, long minimum)
    {
        if (value < minimum)
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"{name} must be at least {minimum}; got {value}.", value);
    }

    public static void NonNegative(string name, double value)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"{name} must be a finite number >= 0; got {value}.", value);
    }

    public static void Positive(string name, double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"{name} must be a finite number > 0; got {value}.", value);
    }

    /// <summary>Checks x [b, K, D] and y [b, K] agree and are floating point.</summary>
    public static void Pairs(Tensor x, Tensor y)
    {
        if (x.dim() != 3 || y.dim() != 2 || x.shape[0] != y.shape[0] || x.shape[1] != y.shape[1] || x.shape[2] < 1)
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"Expected x [b, K, D] and y [b, K] with the same b and K; got x {Shape(x)} and y {Shape(y)}.", x);
        if (!x.is_floating_point() || !y.is_floating_point())
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"x and y must be floating point; got {x.dtype} and {y.dtype}.", x);
    }

    /// <summary>Checks two prediction tensors [b, K] of the same shape.</summary>
    public static void SameShapePredictions(Tensor a, Tensor b)
    {
        if (a.dim() != 2 || !a.shape.SequenceEqual(b.shape))
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"Expected two [b, K] tensors of the same shape; got {Shape(a)} and {Shape(b)}.", a);
    }

    public static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
