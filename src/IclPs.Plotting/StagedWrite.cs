using IclPs.Engine;

namespace IclPs.Plotting;

/// <summary>Whole-file writes through a temporary file beside the target, renamed over it only once fully on disk.</summary>
internal static class StagedWrite
{
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        // Same folder, so the rename stays on one file system; dot-prefixed so listings skip it.
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new IclPsException("PlotWriteFailed", IclErrorKind.WriteError, $"Cannot write '{path}': {e.Message}", path, e);
        }
    }
}
