namespace IclPs.Engine.Regression.GradientDescent;

/// <summary>
/// <see cref="GradientDescentComparison.Compare"/>'s figures for two predictors A ("first") and B ("second") on the same queries.
/// </summary>
public sealed record GradientDescentComparisonResult
{
    public int Samples { get; init; }
    /// <summary>mean |yhat_A - yhat_B|.</summary>
    public double MeanPredictionDifference { get; init; }
    /// <summary>mean ||d yhat_A/d x_q - d yhat_B/d x_q||.</summary>
    public double MeanGradientDifference { get; init; }
    /// <summary>mean cosine between d yhat_A/d x_q and d yhat_B/d x_q.</summary>
    public double MeanGradientCosine { get; init; }
    public double FirstHalfMse { get; init; }
    public double SecondHalfMse { get; init; }
    /// <summary>0.5 * mean y_q^2: predicting zero.</summary>
    public double ZeroHalfMse { get; init; }
}
