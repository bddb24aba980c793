using System.Globalization;

namespace IclPs.Engine.Regression.GradientDescent;

/// <summary>
/// A trained linear self-attention layer (A) against one GD step with the tuned learning rate (B) on held-out queries.
/// </summary>
public sealed record GradientDescentExperimentResult(
    VonOswaldTasks Tasks, LinearSelfAttentionTraining Training, double GdLearningRate, double FinalTrainingLoss, GradientDescentComparisonResult Comparison)
{
    public int Dimension => Tasks.Dimension;
    public int ContextPoints => Tasks.ContextPoints;
    public double InputHalfWidth => Tasks.InputHalfWidth;
    public int Steps => Training.Steps;
    public int Samples => Comparison.Samples;
    /// <summary>0.5*MSE of the trained layer.</summary>
    public double ModelHalfMse => Comparison.FirstHalfMse;
    /// <summary>0.5*MSE of one tuned GD step.</summary>
    public double GdHalfMse => Comparison.SecondHalfMse;
    public double ZeroHalfMse => Comparison.ZeroHalfMse;
    public double PredictionDifference => Comparison.MeanPredictionDifference;
    public double GradientDifference => Comparison.MeanGradientDifference;
    public double GradientCosine => Comparison.MeanGradientCosine;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"LSA 0.5*MSE {ModelHalfMse:0.0000}, GD(eta={GdLearningRate:0.###}) {GdHalfMse:0.0000}, zero {ZeroHalfMse:0.0000}; |dy| {PredictionDifference:0.0000}, |dgrad| {GradientDifference:0.0000}, cos {GradientCosine:0.0000}");
}
