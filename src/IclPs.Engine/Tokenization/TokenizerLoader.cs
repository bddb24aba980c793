namespace IclPs.Engine.Tokenization;

/// <summary>Finds and reads the tokenizer of a checkpoint folder.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// Every file a tokenizer of any supported kind is read from in a checkpoint folder (a GPT-2 BPE also writes
    /// <see cref="Gpt2BpeTokenizer.HfDescriptionFileNames"/>, which loading does not need).
    /// </summary>
    public static IReadOnlyList<string> TokenizerFileNames { get; } =
        [SimpleTokenizer.FileName, SentencePieceTokenizer.ModelFileName, Gpt2BpeTokenizer.VocabFileName, Gpt2BpeTokenizer.MergesFileName];

    /// <summary>
    /// Returns the folder's tokenizer, trying in order: <c>iclps_tokenizer.json</c> (<see cref="SimpleTokenizer"/>),
    /// <c>tokenizer.model</c> (<see cref="SentencePieceTokenizer"/>), <c>vocab.json</c> + <c>merges.txt</c> (<see cref="Gpt2BpeTokenizer"/>),
    /// then <c>tokenizer.json</c> alone when it holds GPT-2's byte-level BPE (as transformers v5 saves it).
    /// </summary>
    /// <exception cref="IclPsException">
    /// TokenizerNotFound (ObjectNotFound) when the folder has none of them; TokenizerFileInvalid (InvalidData) naming a
    /// corrupt file; TokenizerUnsupported for a SentencePiece model IclPs cannot run.
    /// </exception>
    public static ITextTokenizer Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (File.Exists(Path.Combine(directory, SimpleTokenizer.FileName))) return SimpleTokenizer.Load(directory);
        if (File.Exists(Path.Combine(directory, SentencePieceTokenizer.ModelFileName))) return SentencePieceTokenizer.Load(directory);

        var hasVocab = File.Exists(Path.Combine(directory, Gpt2BpeTokenizer.VocabFileName));
        var hasMerges = File.Exists(Path.Combine(directory, Gpt2BpeTokenizer.MergesFileName));
        if (hasVocab && hasMerges) return Gpt2BpeTokenizer.Load(directory);
        if (!hasVocab && !hasMerges && File.Exists(Path.Combine(directory, Gpt2BpeTokenizer.TokenizerJsonFileName))) return Gpt2BpeTokenizer.LoadTokenizerJson(directory);

        var looked = $"{SimpleTokenizer.FileName}, {SentencePieceTokenizer.ModelFileName}, {Gpt2BpeTokenizer.VocabFileName} with {Gpt2BpeTokenizer.MergesFileName}, or a GPT-2 {Gpt2BpeTokenizer.TokenizerJsonFileName}";
        var detail = !Directory.Exists(directory) ? " The folder does not exist."
            : hasVocab ? $" It has {Gpt2BpeTokenizer.VocabFileName} but no {Gpt2BpeTokenizer.MergesFileName}."
            : hasMerges ? $" It has {Gpt2BpeTokenizer.MergesFileName} but no {Gpt2BpeTokenizer.VocabFileName}."
            : "";
        throw new IclPsException("TokenizerNotFound", IclErrorKind.ObjectNotFound,
            $"No tokenizer in folder '{directory}': looked for {looked}.{detail}", directory);
    }
}
