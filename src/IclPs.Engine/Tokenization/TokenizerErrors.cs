namespace IclPs.Engine.Tokenization;

/// <summary>The exceptions every tokenizer raises, so ids, kinds and wording stay the same across formats.</summary>
internal static class TokenizerErrors
{
    public static IclPsException FileInvalid(string file, string problem, Exception? inner = null) =>
        new("TokenizerFileInvalid", IclErrorKind.InvalidData, $"Tokenizer file '{file}' is invalid: {problem}", file, inner);

    public static IclPsException FileMissing(string file) =>
        new("TokenizerNotFound", IclErrorKind.ObjectNotFound, $"Tokenizer file '{file}' does not exist.", file);

    public static IclPsException Unsupported(string file, string problem) =>
        new("TokenizerUnsupported", IclErrorKind.NotImplemented, $"Tokenizer file '{file}' uses a feature IclPs does not support: {problem}", file);

    public static IclPsException IdOutOfRange(int id, string tokenizerName) =>
        new("TokenIdOutOfRange", IclErrorKind.InvalidArgument, $"Token id {id} is not in the vocabulary of tokenizer {tokenizerName}.", id);

    /// <summary>Reads a tokenizer file whole, turning a missing file or an I/O failure into an IclPsException naming it.</summary>
    public static byte[] ReadFile(string file)
    {
        if (!File.Exists(file)) throw FileMissing(file);
        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IclPsException("TokenizerReadFailed", IclErrorKind.ReadError, $"Cannot read tokenizer file '{file}': {e.Message}", file, e);
        }
    }
}
