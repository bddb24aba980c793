using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>The Huber loss shared by <see cref="LtvLoss.Huber"/> and <see cref="RegressionTaskLoss.Huber"/>.</summary>
internal static class HuberLoss
{
    /// <summary>Elementwise 0.5 e^2 for |e| &lt;= delta, else delta (|e| - delta/2), of prediction errors <paramref name="error"/>.</summary>
    public static Tensor Of(Tensor error, double delta)
    {
        var size = error.abs();
        return where(size <= delta, 0.5 * error.square(), delta * (size - 0.5 * delta));
    }
}
