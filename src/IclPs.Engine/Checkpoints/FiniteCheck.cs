using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Checkpoints;

/// <summary>
/// Refuses tensors holding NaN or infinity where they would otherwise pass silently (loaded weights give padding tokens
/// and NaN log-probabilities; a diverged run's weights would be kept as its last good checkpoint).
/// </summary>
public static class FiniteCheck
{
    /// <summary>How many elements of <paramref name="tensor"/> are NaN, +Inf and -Inf (all zero for integer tensors).</summary>
    public static (long NaN, long PositiveInfinity, long NegativeInfinity) Count(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!tensor.is_floating_point()) return (0, 0, 0);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (tensor.isfinite().all().item<bool>()) return (0, 0, 0);
        return (tensor.isnan().sum().item<long>(), tensor.isposinf().sum().item<long>(), tensor.isneginf().sum().item<long>());
    }

    /// <summary>True when every element of <paramref name="tensor"/> is finite.</summary>
    public static bool IsFinite(Tensor tensor) => Count(tensor) == (0, 0, 0);

    /// <summary>
    /// Throws a <see cref="CheckpointException"/> (<see cref="CheckpointErrorIds.NonFiniteTensor"/>, naming the tensor) when
    /// <paramref name="tensor"/> holds NaN or infinite values. <paramref name="hint"/> ends the message (e.g. how to allow it).
    /// </summary>
    public static void Require(Tensor tensor, string tensorName, string path, string? hint = null)
    {
        var (nan, posInf, negInf) = Count(tensor);
        if (nan + posInf + negInf == 0) return;
        var parts = new List<string>();
        if (nan > 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{nan} NaN"));
        if (posInf > 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{posInf} +Inf"));
        if (negInf > 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{negInf} -Inf"));
        throw new CheckpointException(CheckpointErrorIds.NonFiniteTensor, IclErrorKind.InvalidData,
            string.Create(CultureInfo.InvariantCulture,
                $"Tensor '{tensorName}' in '{path}' holds {string.Join(", ", parts)} of its {tensor.numel()} values (as {tensor.dtype.ToString().ToLowerInvariant()}); a model with non-finite weights predicts nothing meaningful.") +
            (hint is null ? "" : " " + hint), path, tensorName);
    }
}
