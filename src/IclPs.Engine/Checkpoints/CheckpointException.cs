namespace IclPs.Engine.Checkpoints;

/// <summary>
/// A checkpoint or safetensors file that cannot be read or written as asked. <see cref="IclPsException.Target"/> is the
/// tensor name when one tensor is at fault, otherwise the file or folder.
/// </summary>
public sealed class CheckpointException(string errorId, IclErrorKind kind, string message, string path, string? tensorName = null, Exception? inner = null)
    : IclPsException(errorId, kind, message, (object?)tensorName ?? path, inner)
{
    /// <summary>The file (or checkpoint folder) the problem was found in.</summary>
    public string Path { get; } = path;

    /// <summary>The tensor at fault, when there is one.</summary>
    public string? TensorName { get; } = tensorName;
}
