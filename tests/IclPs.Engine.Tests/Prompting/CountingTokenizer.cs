using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Tests.Prompting;

/// <summary>A tokenizer that records every text it is asked to encode, then encodes it with the tokenizer it wraps.</summary>
internal sealed class CountingTokenizer(ITextTokenizer inner) : ITextTokenizer
{
    public List<(string Text, bool AddBos)> Encoded { get; } = new();

    public string Name => inner.Name;
    public int VocabSize => inner.VocabSize;
    public int PadTokenId => inner.PadTokenId;
    public int? BosTokenId => inner.BosTokenId;
    public int? EosTokenId => inner.EosTokenId;

    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        Encoded.Add((text, addBos));
        return inner.Encode(text, addBos);
    }

    public string Decode(IEnumerable<int> ids) => inner.Decode(ids);

    public void Save(string directory, int? modelMaxLength = null) => inner.Save(directory, modelMaxLength);
}
