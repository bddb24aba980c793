namespace IclPs.Engine.Regression.Evaluation;

/// <summary>
/// One point of an error-per-position curve: method <paramref name="Method"/> ("model" for the model itself, else a baseline's
/// name) at <paramref name="Position"/> k (1-based: k - 1 context pairs precede the query), on sequences from
/// <paramref name="TaskSource"/>, evaluated alongside <paramref name="Model"/>. <paramref name="Error"/> is the mean of
/// (prediction - y_k)^2 / D; <paramref name="Delta"/> the mean of (model - method)^2 / D there (null on the model's own row).
/// </summary>
public sealed record RegressionErrorRow(string Model, string TaskSource, int Position, string Method, double Error, double? Delta);
