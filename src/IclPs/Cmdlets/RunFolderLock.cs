using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Storage;

namespace IclPs.Cmdlets;

/// <summary>
/// Takes a training run folder (-Path of Start-IclTraining and Start-IclCategoricalTraining) for one writer before any work:
/// creates it, locks it, and removes what runs that died in it left behind. A -Path that cannot be a folder fails here, at
/// once, with an IclPs id naming it, rather than after the training when the first checkpoint is written.
/// </summary>
internal static class RunFolderLock
{
    /// <summary>-Path (or a folder above it) is an existing file.</summary>
    public const string PathIsFileErrorId = "RunPathIsFile";

    /// <summary>The run folder could not be created or its lock file written (permissions, a name too long, a full disk).</summary>
    public const string WriteFailedErrorId = "RunFolderWriteFailed";

    /// <summary>
    /// Locks <paramref name="folder"/> for <paramref name="cmdlet"/> (another writer gets FolderInUse naming the holder), saying
    /// with -Verbose which stale lock it took over and which leftovers it removed.
    /// </summary>
    public static WriterLock Acquire(Cmdlet cmdlet, string folder, string purpose)
    {
        if (FileOnPath(folder) is { } file)
            throw new IclPsException(PathIsFileErrorId, IclErrorKind.InvalidArgument,
                file == folder ? $"Cannot use '{folder}' as a run folder: it is a file." : $"Cannot create run folder '{folder}': '{file}' is a file, not a folder.", folder);
        WriterLock runLock;
        try
        {
            runLock = WriterLock.AcquireFolder(folder, purpose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IclPsException(WriteFailedErrorId, IclErrorKind.WriteError,
                $"Cannot create or lock run folder '{folder}': {IclErrorRecords.FirstLine(e.Message)}", folder, e);
        }
        if (runLock.Replaced is { } gone) cmdlet.WriteVerbose($"Took over the lock of run folder '{folder}' left by {gone}, which is gone.");
        foreach (var cleaned in TempFiles.RemoveStale(folder))
        {
            if (cleaned.IsWarning) cmdlet.WriteWarning(cleaned.Message);
            else cmdlet.WriteVerbose(cleaned.Message);
        }
        return runLock;
    }

    /// <summary>The nearest existing entry at or above <paramref name="folder"/> when it is a file; null when it is a folder.</summary>
    private static string? FileOnPath(string folder)
    {
        for (var path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)); !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path))
        {
            if (File.Exists(path)) return path;
            if (Directory.Exists(path)) return null;
        }
        return null;
    }
}
