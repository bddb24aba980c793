using Google.Protobuf;

namespace IclPs.Engine.Tests.Tokenization;

/// <summary>
/// Tiny SentencePiece BPE models written as ModelProto bytes (sentencepiece_model.proto field numbers), laid out as
/// LLaMA's: &lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2, optionally the byte pieces &lt;0x00&gt;..&lt;0xFF&gt;, then merged pieces whose
/// scores rank the merges (higher merges first), then single characters.
/// </summary>
internal static class SentencePieceFixture
{
    public const int Normal = 1, Unknown = 2, Control = 3, Byte = 6;

    /// <summary>Merged pieces best-first, then single characters; ids follow the specials (and bytes).</summary>
    public static readonly string[] NormalPieces =
        ["▁w", "or", "ld", "▁wor", "▁world", "he", "ll", "▁he", "▁hell", "▁hello", "▁", "h", "e", "l", "o", "w", "r", "d"];

    /// <summary>LLaMA layout with byte fallback: bytes at 3..258, "▁w" at 259 ... "d" at 276 (277 pieces).</summary>
    public static byte[] Llama(int modelType = 2, int bosId = 1, int padId = -1) =>
        Build(withBytes: true, modelType, bosId, padId);

    /// <summary>No byte pieces and no byte fallback: "▁w" at 3 ... "d" at 20; unknown characters become &lt;unk&gt;.</summary>
    public static byte[] WithoutBytes() => Build(withBytes: false, modelType: 2, bosId: 1, padId: -1);

    private static byte[] Build(bool withBytes, int modelType, int bosId, int padId)
    {
        var pieces = new List<(string Piece, float Score, int Type)> { ("<unk>", 0, Unknown), ("<s>", 0, Control), ("</s>", 0, Control) };
        if (withBytes)
            for (var b = 0; b < 256; b++) pieces.Add(($"<0x{b:X2}>", 0, Byte));
        for (var i = 0; i < NormalPieces.Length; i++) pieces.Add((NormalPieces[i], -1 - i, Normal));

        return Message(o =>
        {
            foreach (var (piece, score, type) in pieces)
                WriteMessage(o, 1, p =>
                {
                    p.WriteTag(1, WireFormat.WireType.LengthDelimited); p.WriteString(piece);
                    p.WriteTag(2, WireFormat.WireType.Fixed32); p.WriteFloat(score);
                    p.WriteTag(3, WireFormat.WireType.Varint); p.WriteEnum(type);
                });
            WriteMessage(o, 2, t =>
            {
                t.WriteTag(3, WireFormat.WireType.Varint); t.WriteEnum(modelType);
                t.WriteTag(4, WireFormat.WireType.Varint); t.WriteInt32(pieces.Count);
                t.WriteTag(35, WireFormat.WireType.Varint); t.WriteBool(withBytes);
                t.WriteTag(40, WireFormat.WireType.Varint); t.WriteInt32(0);
                t.WriteTag(41, WireFormat.WireType.Varint); t.WriteInt32(bosId);
                t.WriteTag(42, WireFormat.WireType.Varint); t.WriteInt32(2);
                t.WriteTag(43, WireFormat.WireType.Varint); t.WriteInt32(padId);
            });
            // LLaMA's normalizer: identity, dummy prefix, whitespace kept and escaped to '▁'.
            WriteMessage(o, 3, n =>
            {
                n.WriteTag(1, WireFormat.WireType.LengthDelimited); n.WriteString("identity");
                n.WriteTag(3, WireFormat.WireType.Varint); n.WriteBool(true);
                n.WriteTag(4, WireFormat.WireType.Varint); n.WriteBool(false);
                n.WriteTag(5, WireFormat.WireType.Varint); n.WriteBool(true);
            });
        });
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }

    private static void WriteMessage(CodedOutputStream output, int field, Action<CodedOutputStream> write)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(Message(write)));
    }
}
