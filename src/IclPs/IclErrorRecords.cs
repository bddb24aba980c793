using System.Globalization;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using IclPs.Engine;

namespace IclPs;

/// <summary>Turns engine failures into PowerShell error records: the engine's stable id, a category, and the offending value.</summary>
public static partial class IclErrorRecords
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
        IclErrorKind.ResourceBusy => ErrorCategory.ResourceBusy,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>
    /// The record PowerShell shows and stores in $Error. Its FullyQualifiedErrorId becomes "ErrorId,Cmdlet.Type" once written,
    /// so scripts can match on the engine's id.
    /// </summary>
    public static ErrorRecord From(IclPsException exception) =>
        new(exception, exception.ErrorId, Category(exception.Kind), exception.Target);

    /// <summary>
    /// Failures that come out of libtorch or the file system rather than as an <see cref="IclPsException"/>: libtorch's
    /// <see cref="ExternalException"/>, <see cref="IOException"/>, <see cref="UnauthorizedAccessException"/> and
    /// <see cref="OutOfMemoryException"/>. <see cref="FromFailure"/> maps every one of them; nothing reaches a user raw.
    /// </summary>
    public static bool IsEngineFailure(Exception exception) =>
        exception is ExternalException or IOException or UnauthorizedAccessException or OutOfMemoryException;

    /// <summary>
    /// The one mapping of raw failures to records with an IclPs id, a category and the offending value (the path, the bytes
    /// asked for, or <paramref name="target"/>): TorchOutOfMemory, TorchError, OutOfMemory, PathNotFound, AccessDenied,
    /// PathTooLong, DiskFull, IOFailed. libtorch's C++ stack trace is cut from the message (its first line is kept; the
    /// inner exception keeps the full text). An <see cref="IclPsException"/> maps as <see cref="From(IclPsException)"/>.
    /// </summary>
    public static ErrorRecord FromFailure(Exception exception, object? target = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case IclPsException icl:
                return From(icl);
            case ExternalException external:
            {
                var line = FirstLine(external.Message);
                var bytes = AllocationBytes().Match(line);
                var outOfMemory = bytes.Success || line.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
                    || line.Contains("allocate", StringComparison.OrdinalIgnoreCase);
                var value = bytes.Success && long.TryParse(bytes.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : target ?? line;
                var (id, kind, category, advice) = outOfMemory
                    ? ("TorchOutOfMemory", IclErrorKind.LimitsExceeded, ErrorCategory.ResourceUnavailable,
                        " Use a smaller model, batch or dtype; IclPs checks sizes before allocating against ICLPS_MEMORY_LIMIT_BYTES or the free memory.")
                    : ("TorchError", IclErrorKind.InvalidOperation, ErrorCategory.InvalidOperation, "");
                var wrapped = new IclPsException(id, kind, $"libtorch failed: {line}{advice}", value, external);
                return new ErrorRecord(wrapped, id, category, value);
            }
            case IOException or UnauthorizedAccessException when target is null && QuotedPath().Match(exception.Message) is { Success: true } quoted:
                // .NET names the file in its message ("... : '/path'"); that path is the offending value.
                return FromFailure(exception, quoted.Groups[1].Value);
            case OutOfMemoryException:
                return new ErrorRecord(exception, "OutOfMemory", ErrorCategory.ResourceUnavailable, target);
            case FileNotFoundException notFound:
                return new ErrorRecord(exception, "PathNotFound", ErrorCategory.ObjectNotFound, notFound.FileName ?? target);
            case DirectoryNotFoundException or System.IO.DriveNotFoundException:
                return new ErrorRecord(exception, "PathNotFound", ErrorCategory.ObjectNotFound, target);
            case UnauthorizedAccessException:
                return new ErrorRecord(exception, "AccessDenied", ErrorCategory.PermissionDenied, target);
            case PathTooLongException:
                return new ErrorRecord(exception, "PathTooLong", ErrorCategory.InvalidArgument, target);
            case IOException io when IsDiskFull(io):
                return new ErrorRecord(exception, "DiskFull", ErrorCategory.WriteError, target);
            case IOException:
                return new ErrorRecord(exception, "IOFailed", ErrorCategory.ResourceUnavailable, target);
            default:
                return new ErrorRecord(exception, exception.GetType().Name, ErrorCategory.NotSpecified, target);
        }
    }

    /// <summary>
    /// The record of a write that failed in a cmdlet that names its own failure (<paramref name="errorId"/>, e.g.
    /// CheckpointWriteFailed): an <see cref="IclPsException"/> of kind WriteError whose message says what could not be
    /// written and why (the first line of the cause), whose target is the file that could not be put in place (a
    /// <see cref="IclPs.Engine.Storage.StagedCommitException"/>'s path) or else <paramref name="target"/>, and whose inner exception is the
    /// cause; <paramref name="category"/> is WriteError unless given (OpenError for a file that cannot be opened). Every such catch goes through here, so no raw .NET exception or message is the record a user sees.
    /// </summary>
    public static ErrorRecord WriteFailure(string errorId, string what, Exception cause, string target, ErrorCategory category = ErrorCategory.WriteError)
    {
        ArgumentNullException.ThrowIfNull(cause);
        var value = cause is IclPs.Engine.Storage.StagedCommitException commit ? commit.Path : target;
        var wrapped = new IclPsException(errorId, IclErrorKind.WriteError, $"Cannot write {what}: {FirstLine(cause.Message)}", value, cause);
        return new ErrorRecord(wrapped, errorId, category, value);
    }

    /// <summary>The first line of a message: libtorch appends its C++ stack trace on the lines after it.</summary>
    public static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].TrimEnd('\r', ' ');
        return line.Length > 0 ? line : message.Trim();
    }

    // ENOSPC (28) on Unix, ERROR_DISK_FULL (0x70) and ERROR_HANDLE_DISK_FULL (0x27) on Windows.
    private static bool IsDiskFull(IOException e) =>
        (e.HResult & 0xFFFF) is 28 or 0x70 or 0x27 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"'((?:/|[A-Za-z]:[\\/])[^']*)'")]
    private static partial Regex QuotedPath();

    [GeneratedRegex(@"allocate (\d+) bytes")]
    private static partial Regex AllocationBytes();
}
