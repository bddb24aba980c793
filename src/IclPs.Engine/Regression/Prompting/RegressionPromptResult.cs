namespace IclPs.Engine.Regression.Prompting;

/// <summary>One numeric prompt's outcome: the model's prediction of y_K and, when asked for, each baseline's.</summary>
public sealed record RegressionPromptResult
{
    /// <summary>0-based position of the query in its input sequence.</summary>
    public required int Index { get; init; }
    /// <summary>The model's prediction of y_K, read at the x_K token.</summary>
    public required double Prediction { get; init; }
    /// <summary>y_K when known.</summary>
    public double? Expected { get; init; }
    /// <summary>(Prediction - Expected)^2 when y_K is known.</summary>
    public double? SquaredError { get; init; }
    /// <summary>Baseline predictions of y_K from the same K-1 pairs; null when that baseline was not asked for.</summary>
    public double? Ridge { get; init; }
    public double? LeastSquares { get; init; }
    public double? NearestNeighbours { get; init; }
    public double? Averaging { get; init; }
    public double? Dmmse { get; init; }
    /// <summary>K, the query included.</summary>
    public required int Points { get; init; }
    public required int Dimension { get; init; }
    /// <summary>The model's name.</summary>
    public required string Model { get; init; }
    /// <summary>The seed of generated prompts; null for prompts given by the caller.</summary>
    public long? Seed { get; init; }
    /// <summary>The task vector injected at the query's x token, in words; null for none.</summary>
    public string? Intervention { get; init; }
}
