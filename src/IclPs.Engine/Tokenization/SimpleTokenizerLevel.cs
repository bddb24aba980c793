namespace IclPs.Engine.Tokenization;

/// <summary>What one token of a <see cref="SimpleTokenizer"/> stands for.</summary>
public enum SimpleTokenizerLevel
{
    /// <summary>One UTF-8 byte: 256 tokens that encode any text.</summary>
    Byte,
    /// <summary>One Unicode code point seen in the corpus; others become &lt;unk&gt;.</summary>
    Char,
    /// <summary>One whitespace-separated word seen in the corpus; others become &lt;unk&gt;. Decoding joins words with single spaces.</summary>
    Word,
}
