using System.Text;
using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Tests.Prompting;

/// <summary>Test-only byte-level tokenizer: ids 0..255 are UTF-8 bytes, then pad, bos, eos. Fits the 512-token test presets.</summary>
public sealed class TestByteTokenizer : ITextTokenizer
{
    public const int Pad = 256;
    public const int Bos = 257;
    public const int Eos = 258;

    public string Name => "test-bytes (259)";
    public int VocabSize => 259;
    public int PadTokenId => Pad;
    public int? BosTokenId => Bos;
    public int? EosTokenId => Eos;

    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        var ids = new List<int>();
        if (addBos) ids.Add(Bos);
        ids.AddRange(Encoding.UTF8.GetBytes(text).Select(b => (int)b));
        return ids;
    }

    public string Decode(IEnumerable<int> ids) => Encoding.UTF8.GetString(ids.Where(i => i < 256).Select(i => (byte)i).ToArray());

    public void Save(string directory, int? modelMaxLength = null) => File.WriteAllText(Path.Combine(directory, "test-bytes.txt"), Name);
}
