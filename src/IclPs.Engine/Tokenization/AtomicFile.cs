using IclPs.Engine.Checkpoints;

namespace IclPs.Engine.Tokenization;

/// <summary>
/// Whole-file writes that never leave a half-written file behind: a <see cref="StagedFile"/> beside the target, forced to
/// disk and renamed into place; on any failure the temporary copy is removed. Creates the target's folder if needed.
/// </summary>
internal static class AtomicFile
{
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        try
        {
            using var file = new StagedFile(path);
            file.WriteAllBytes(bytes);
            file.Commit();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IclPsException("TokenizerWriteFailed", IclErrorKind.WriteError, $"Cannot write tokenizer file '{path}': {e.Message}", path, e);
        }
    }
}
