using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Baselines;

/// <summary>A predictor that, for every prefix of a sequence, predicts the next target from the pairs before it.</summary>
public interface IRegressionBaseline
{
    /// <summary>Short name for result files, e.g. "ridge".</summary>
    string Name { get; }

    /// <summary>
    /// x [b, K, D], y [b, K] -> predictions [b, K] (float64, on x's device): element k predicts y_k from the k pairs
    /// (x_j, y_j), j &lt; k, and x_k; element 0 (no context) is 0. y_k itself is never used for element k.
    /// </summary>
    Tensor Predict(Tensor x, Tensor y);
}
