namespace IclPs.Engine;

/// <summary>What went wrong, in terms a PowerShell layer maps onto ErrorCategory without the engine knowing PowerShell.</summary>
public enum IclErrorKind
{
    InvalidArgument,
    InvalidData,
    ObjectNotFound,
    LimitsExceeded,
    InvalidOperation,
    ReadError,
    WriteError,
    NotImplemented,
    /// <summary>Another writer holds the folder or file (see <c>IclPs.Engine.Storage.WriterLock</c>).</summary>
    ResourceBusy,
}

/// <summary>
/// Every failure the engine reports on bad input: a stable id (e.g. "SafetensorsOffsetOutOfRange"), a kind, and the
/// offending value (file, tensor name, query) so callers can say exactly what was wrong.
/// </summary>
public class IclPsException : Exception
{
    public IclPsException(string errorId, IclErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    public string ErrorId { get; }
    public IclErrorKind Kind { get; }
    public object? Target { get; }
}
