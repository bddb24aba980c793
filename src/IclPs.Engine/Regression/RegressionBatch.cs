using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression;

/// <summary>
/// One batch of regression sequences: b sequences of K pairs (x_k, y_k) in D dimensions. Owns its tensors.
/// </summary>
public sealed class RegressionBatch : IDisposable
{
    public RegressionBatch(Tensor x, Tensor y, Tensor? weights = null, Tensor? taskIndex = null)
    {
        X = x;
        Y = y;
        Weights = weights;
        TaskIndex = taskIndex;
    }

    /// <summary>Inputs [b, K, D].</summary>
    public Tensor X { get; }

    /// <summary>Targets [b, K] (noise included).</summary>
    public Tensor Y { get; }

    /// <summary>The task's weight vector [b, D] for linear families; null for trees and ReLU nets.</summary>
    public Tensor? Weights { get; }

    /// <summary>Index [b] (int64) into the family's task pool of each sequence's task; null when tasks were drawn fresh.</summary>
    public Tensor? TaskIndex { get; }

    public int BatchSize => (int)X.shape[0];
    public int Points => (int)X.shape[1];
    public int Dimension => (int)X.shape[2];

    /// <summary>The interleaved token sequence [b, 2K, D+1] (see <see cref="RegressionTokens.Encode"/>).</summary>
    public Tensor Tokens() => RegressionTokens.Encode(X, Y);

    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
        Weights?.Dispose();
        TaskIndex?.Dispose();
    }

    /// <summary>Casts the float64 CPU draws to the caller's dtype and device and hands them to the caller's dispose scope.</summary>
    internal static RegressionBatch From(Tensor x, Tensor y, Tensor? weights, Tensor? taskIndex, ScalarType dtype, Device? device)
    {
        device ??= CPU;
        return new RegressionBatch(
            x.to(dtype, device).MoveToOuterDisposeScope(),
            y.to(dtype, device).MoveToOuterDisposeScope(),
            weights?.to(dtype, device).MoveToOuterDisposeScope(),
            taskIndex?.to(device).MoveToOuterDisposeScope());
    }
}
