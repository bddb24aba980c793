namespace IclPs.Engine.Regression.GradientDescent;

/// <summary>
/// How <see cref="LinearSelfAttentionTrainer"/> fits a <see cref="LinearSelfAttentionModel"/>: Adam on 0.5*MSE of the query
/// prediction over fresh batches, at a constant learning rate.
/// </summary>
public sealed record LinearSelfAttentionTraining
{
    public int Steps { get; init; } = 2000;
    public int BatchSize { get; init; } = 512;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Seed of the weights' initialisation and of every training batch.</summary>
    public long Seed { get; init; }
    /// <summary>Standard deviation of the N(0, s^2) initial weights.</summary>
    public double InitStd { get; init; } = 0.05;

    public void Validate()
    {
        RegressionChecks.AtLeast("Steps", Steps, 0);
        RegressionChecks.AtLeast("BatchSize", BatchSize, 1);
        RegressionChecks.Positive("LearningRate", LearningRate);
        RegressionChecks.Positive("InitStd", InitStd);
    }
}
