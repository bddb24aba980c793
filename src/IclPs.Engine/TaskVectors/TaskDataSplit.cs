namespace IclPs.Engine.TaskVectors;

/// <summary>Where queries come from. Demonstrations always come from the training split (text) or the task generator (regression).</summary>
public enum TaskDataSplit
{
    Train,
    Valid,
    Test,
}
