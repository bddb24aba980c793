namespace IclPs.Engine.Checkpoints;

/// <summary>
/// A file written under a temporary name in its destination's folder and moved over the destination only by
/// <see cref="Commit"/>, so a failed or cancelled write never leaves a half-written file where a good one was.
/// Disposing without committing deletes the temporary file.
/// </summary>
internal sealed class StagedFile : IDisposable
{
    private bool _committed;

    public StagedFile(string destination)
    {
        Destination = Path.GetFullPath(destination);
        if (Directory.Exists(Destination))
            throw new CheckpointException(CheckpointErrorIds.TargetIsDirectory, IclErrorKind.WriteError,
                $"Cannot write '{Destination}': a folder of that name exists.", Destination);
        var folder = Path.GetDirectoryName(Destination)!;
        Directory.CreateDirectory(folder);
        // Same folder, so the final move is a rename on one file system; dot-prefixed so listings skip it.
        TempPath = Path.Combine(folder, $".{Path.GetFileName(Destination)}.{Guid.NewGuid():N}.tmp");
    }

    public string Destination { get; }

    public string TempPath { get; }

    /// <summary>A new stream on the temporary file; <see cref="Flush"/> it to disk before committing.</summary>
    public FileStream OpenWrite() => new(TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);

    public void WriteAllText(string text)
    {
        using var stream = OpenWrite();
        using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true)) writer.Write(text);
        Flush(stream);
    }

    public void WriteAllBytes(byte[] bytes)
    {
        using var stream = OpenWrite();
        stream.Write(bytes);
        Flush(stream);
    }

    /// <summary>Forces the bytes to disk, so a crash right after the rename cannot expose an empty file.</summary>
    public static void Flush(FileStream stream) => stream.Flush(flushToDisk: true);

    public void Commit()
    {
        File.Move(TempPath, Destination, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (_committed) return;
        try
        {
            File.Delete(TempPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not masking the failure being unwound: the dot-prefixed leftover is removed by TempFiles.RemoveStale later.
        }
    }
}
