namespace IclPs.Engine.Regression.Runs;

/// <summary>Stable ErrorIds of regression training runs and their folders.</summary>
public static class RegressionRunErrorIds
{
    /// <summary>A run folder's regression-task.json describes other tasks than the ones asked for.</summary>
    public const string TaskMismatch = "RegressionTaskMismatch";
    /// <summary>A path that holds neither a training checkpoint nor a regression model checkpoint.</summary>
    public const string CheckpointNotFound = "RegressionCheckpointNotFound";
    /// <summary>A checkpoint or model of a text family where a regression model is needed.</summary>
    public const string NotARegressionModel = "NotARegressionModel";
    /// <summary>regression-task.json is not valid.</summary>
    public const string InvalidTaskFile = "RegressionInvalidTaskFile";
    /// <summary>The model's read-in is narrower than the tasks' D + 1 channels, or its context shorter than 2K positions.</summary>
    public const string ModelTooSmall = "RegressionModelTooSmall";
}
