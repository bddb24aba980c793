using System.Text;
using System.Text.Json;
using IclPs.Engine;
using IclPs.Engine.Tokenization;

namespace IclPs.Internal;

/// <summary>
/// UTF-8 bytes as token ids 0..255: the tokenizer random preset models get, since they have no trained vocabulary.
/// Stand-in until the engine's SimpleTokenizer.Bytes() is merged; it then replaces this class.
/// </summary>
internal sealed class ByteTokenizer : ITextTokenizer
{
    public const string FileName = "byte_tokenizer.json";

    public string Name => "bytes (256)";
    public int VocabSize => 256;
    public int PadTokenId => 0;
    public int? BosTokenId => null;
    public int? EosTokenId => null;

    public IReadOnlyList<int> Encode(string text, bool addBos = false) =>
        Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id is < 0 or > 255)
                throw new IclPsException("TokenIdOutOfRange", IclErrorKind.InvalidArgument, $"token id {id} is outside the byte tokenizer's range 0..255.", id);
            bytes.Add((byte)id);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, FileName);
        var temp = target + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new { type = "bytes", vocab_size = VocabSize }));
        File.Move(temp, target, overwrite: true);
    }
}
