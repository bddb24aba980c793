namespace IclPs.Engine.Training;

/// <summary>Stable ErrorIds of training failures.</summary>
public static class TrainingErrorIds
{
    public const string InvalidOption = "TrainingInvalidOption";
    /// <summary>The loss or gradient became NaN/Inf, or the loss exceeded <see cref="IclTrainingOptions.MaxLoss"/>.</summary>
    public const string Diverged = "TrainingDiverged";
    /// <summary>A checkpoint was written with other options, another model or another data stream than the resuming run.</summary>
    public const string ResumeMismatch = "TrainingResumeMismatch";
    /// <summary>A fresh run was asked to write into a folder that already holds checkpoints.</summary>
    public const string CheckpointsExist = "TrainingCheckpointsExist";
    public const string InvalidCheckpoint = "TrainingInvalidCheckpoint";
    public const string InvalidBatch = "TrainingInvalidBatch";
}
