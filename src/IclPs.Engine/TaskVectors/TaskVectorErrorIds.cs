namespace IclPs.Engine.TaskVectors;

/// <summary>Stable error ids of task-vector failures (they become ErrorRecord ids).</summary>
public static class TaskVectorErrorIds
{
    public const string ShapeMismatch = "TaskVectorShapeMismatch";
    public const string InvalidTaskVector = "InvalidTaskVector";
    public const string InvalidOption = "InvalidTaskVectorOption";
    public const string NotEnoughPrompts = "TaskVectorNotEnoughPrompts";
    public const string NonFinite = "TaskVectorNonFinite";
    public const string FileNotFound = "TaskVectorFileNotFound";
    public const string InvalidFile = "InvalidTaskVectorFile";
}
