namespace IclPs.Engine.Tokenization;

/// <summary>Text to token ids and back, as a model's checkpoint folder defines it.</summary>
/// <remarks>
/// Implementations: <see cref="Gpt2BpeTokenizer"/>, <see cref="SentencePieceTokenizer"/>, <see cref="SimpleTokenizer"/>;
/// <see cref="TokenizerLoader"/> picks one from a folder's files. Decoding renders special tokens (BOS/EOS/...) as their
/// literal text and rejects ids outside the vocabulary with ErrorId "TokenIdOutOfRange".
/// </remarks>
public interface ITextTokenizer
{
    /// <summary>Short description, e.g. "gpt2-bpe (50257)".</summary>
    string Name { get; }
    int VocabSize { get; }
    /// <summary>Id used for left padding; padded positions are masked, so any valid id works.</summary>
    int PadTokenId { get; }
    /// <summary>Beginning-of-sequence id prepended by <see cref="Encode"/> when <paramref name="addBos"/> is set and the tokenizer has one.</summary>
    int? BosTokenId { get; }
    int? EosTokenId { get; }

    IReadOnlyList<int> Encode(string text, bool addBos = false);
    string Decode(IEnumerable<int> ids);

    /// <summary>Writes the tokenizer's files into a checkpoint folder (files only it owns; atomic per file).</summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <param name="modelMaxLength">
    /// The context length of the model the tokenizer feeds, for formats that record it (Hugging Face's
    /// tokenizer_config.json, written with <see cref="Gpt2BpeTokenizer"/>); formats without such a field ignore it.
    /// </param>
    void Save(string directory, int? modelMaxLength = null);
}
