namespace IclPs.Engine.Regression.Prompting;

/// <summary>Stable ErrorIds of numeric (regression) prompts; every message names the query by its 0-based index.</summary>
public static class RegressionPromptErrorIds
{
    /// <summary>No x rows, or rows of different lengths.</summary>
    public const string RaggedInputs = "RegressionPromptRaggedInputs";
    /// <summary>Y has neither K-1 (context only) nor K (context and expected) values for K rows of X, or both a K-th Y and Expected.</summary>
    public const string TargetCount = "RegressionPromptTargetCount";
    /// <summary>A value that is NaN or infinite.</summary>
    public const string NotFinite = "RegressionPromptNotFinite";
    /// <summary>D + 1 channels do not fit the model's read-in, or D differs from the dMMSE task pool's.</summary>
    public const string WrongDimension = "RegressionPromptWrongDimension";
    /// <summary>2K tokens do not fit the model's context window.</summary>
    public const string TooManyPoints = "RegressionPromptTooManyPoints";
}
