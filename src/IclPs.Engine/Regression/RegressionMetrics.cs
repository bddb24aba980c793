using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression;

/// <summary>The regression ICL metrics of docs/science.md §2, normalised by D so that predicting 0 scores about 1.</summary>
public static class RegressionMetrics
{
    /// <summary>Per position k: mean over the batch of (prediction - target)^2 / D. Inputs [b, K]; K values.</summary>
    public static double[] ErrorPerPosition(Tensor predictions, Tensor targets, int dimension) =>
        MeanSquaredDifferencePerPosition(predictions, targets, dimension);

    /// <summary>Delta between two predictors [b, K] per position: mean over the batch of (a - b)^2 / D.</summary>
    public static double[] DeltaPerPosition(Tensor a, Tensor b, int dimension) => MeanSquaredDifferencePerPosition(a, b, dimension);

    /// <summary>Delta_{a,b}: mean over positions (and the batch) of (a - b)^2 / D.</summary>
    public static double Delta(Tensor a, Tensor b, int dimension) => DeltaPerPosition(a, b, dimension).Average();

    private static double[] MeanSquaredDifferencePerPosition(Tensor a, Tensor b, int dimension)
    {
        RegressionChecks.AtLeast("Dimension", dimension, 1);
        RegressionChecks.SameShapePredictions(a, b);
        using var scope = NewDisposeScope();
        var diff = a.to(ScalarType.Float64) - b.to(ScalarType.Float64, a.device);
        return (diff.square().mean(new long[] { 0 }) / dimension).cpu().data<double>().ToArray();
    }
}
