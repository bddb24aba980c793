namespace IclPs.Engine.Storage;

/// <summary>Stable ErrorIds of the shared write machinery (<see cref="WriterLock"/>, <see cref="StagedFileSet"/>).</summary>
public static class StorageErrorIds
{
    /// <summary>Another writer (named in the message: process id, host, start time) holds the folder's lock.</summary>
    public const string FolderInUse = "FolderInUse";
    /// <summary>Another writer holds the file's lock (for example another Export-IclResult committing to it).</summary>
    public const string FileInUse = "FileInUse";
    /// <summary>A file of the set must go where a folder of that name is.</summary>
    public const string TargetIsDirectory = "StagedTargetIsDirectory";
    /// <summary>The set's destination folder is a file.</summary>
    public const string DestinationIsFile = "StagedDestinationIsFile";
}
