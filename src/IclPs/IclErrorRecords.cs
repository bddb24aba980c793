using System.Management.Automation;
using IclPs.Engine;

namespace IclPs;

/// <summary>Turns engine failures into PowerShell error records: the engine's stable id, a category, and the offending value.</summary>
public static class IclErrorRecords
{
    public static ErrorCategory Category(IclErrorKind kind) => kind switch
    {
        IclErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        IclErrorKind.InvalidData => ErrorCategory.InvalidData,
        IclErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        IclErrorKind.LimitsExceeded => ErrorCategory.LimitsExceeded,
        IclErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        IclErrorKind.ReadError => ErrorCategory.ReadError,
        IclErrorKind.WriteError => ErrorCategory.WriteError,
        IclErrorKind.NotImplemented => ErrorCategory.NotImplemented,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>
    /// The record PowerShell shows and stores in $Error. Its FullyQualifiedErrorId becomes "ErrorId,Cmdlet.Type" once written,
    /// so scripts can match on the engine's id.
    /// </summary>
    public static ErrorRecord From(IclPsException exception) =>
        new(exception, exception.ErrorId, Category(exception.Kind), exception.Target);
}
