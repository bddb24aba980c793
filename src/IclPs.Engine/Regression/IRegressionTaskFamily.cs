using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression;

/// <summary>A distribution over regression tasks f and sequences (x_k, f(x_k) + noise), k = 1..K.</summary>
public interface IRegressionTaskFamily
{
    /// <summary>Short name for logs and result files, e.g. "linear", "decision-tree".</summary>
    string Name { get; }

    /// <summary>Input dimension D.</summary>
    int Dimension { get; }

    /// <summary>Variance of the Gaussian noise added to every target.</summary>
    double NoiseVariance { get; }

    RegressionInputOptions Inputs { get; }

    /// <summary>
    /// Draws <paramref name="batchSize"/> sequences of <paramref name="points"/> pairs from the training distribution; the same
    /// seed gives the same batch. Draws happen in float64 on the CPU (so a seed means the same data on every device) and are then
    /// cast to <paramref name="dtype"/> and moved to <paramref name="device"/> (CPU when null).
    /// </summary>
    RegressionBatch Sample(int batchSize, int points, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null);
}
