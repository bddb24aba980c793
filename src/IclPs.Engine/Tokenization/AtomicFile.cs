namespace IclPs.Engine.Tokenization;

/// <summary>
/// Whole-file writes that never leave a half-written file behind: write a temp file beside the target, then rename.
/// Creates the target's folder if needed.
/// </summary>
internal static class AtomicFile
{
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw new IclPsException("TokenizerWriteFailed", IclErrorKind.WriteError, $"Cannot write tokenizer file '{path}': {e.Message}", path, e);
        }
    }
}
