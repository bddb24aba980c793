namespace IclPs.Engine.Regression.Evaluation;

/// <summary>What <see cref="RegressionEvaluator.Evaluate"/> measured: per-position rows and per-(model, source) summaries.</summary>
public sealed record RegressionEvaluationResult(IReadOnlyList<RegressionErrorRow> Rows, IReadOnlyList<RegressionSummary> Summaries);
