using Google.Protobuf;

namespace IclPs.Engine.Tokenization;

/// <summary>Kinds of piece in a SentencePiece model (ModelProto.SentencePiece.Type).</summary>
internal enum SentencePieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

/// <summary>
/// The parts of a SentencePiece <c>tokenizer.model</c> (protobuf ModelProto, sentencepiece_model.proto) that IclPs checks
/// before handing the file to Microsoft.ML.Tokenizers: the pieces in id order and the TrainerSpec's model type and
/// special ids. Field numbers and defaults are those of the proto2 schema.
/// </summary>
internal sealed record SentencePieceModelFile(
    IReadOnlyList<(string Piece, SentencePieceType Type)> Pieces,
    int ModelType,
    bool ByteFallback,
    int UnkId,
    int BosId,
    int EosId,
    int PadId)
{
    public const int ModelTypeUnigram = 1;
    public const int ModelTypeBpe = 2;

    public static SentencePieceModelFile Parse(byte[] bytes, string path)
    {
        var pieces = new List<(string, SentencePieceType)>();
        // TrainerSpec defaults: model_type UNIGRAM, byte_fallback false, unk 0, bos 1, eos 2, pad -1.
        int modelType = ModelTypeUnigram, unk = 0, bos = 1, eos = 2, pad = -1;
        var byteFallback = false;
        try
        {
            var input = new CodedInputStream(bytes);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                var lengthDelimited = WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1 when lengthDelimited:
                        pieces.Add(ParsePiece(input.ReadBytes(), pieces.Count, path));
                        break;
                    case 2 when lengthDelimited:
                        var trainer = new CodedInputStream(input.ReadBytes().ToByteArray());
                        uint t;
                        while ((t = trainer.ReadTag()) != 0)
                        {
                            switch (WireFormat.GetTagFieldNumber(t))
                            {
                                case 3: modelType = trainer.ReadEnum(); break;
                                case 35: byteFallback = trainer.ReadBool(); break;
                                case 40: unk = trainer.ReadInt32(); break;
                                case 41: bos = trainer.ReadInt32(); break;
                                case 42: eos = trainer.ReadInt32(); break;
                                case 43: pad = trainer.ReadInt32(); break;
                                default: trainer.SkipLastField(); break;
                            }
                        }
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw TokenizerErrors.FileInvalid(path, $"not a SentencePiece model protobuf: {e.Message}", e);
        }

        if (pieces.Count == 0) throw TokenizerErrors.FileInvalid(path, "the model has no pieces.");
        if (unk < 0 || unk >= pieces.Count) throw TokenizerErrors.FileInvalid(path, $"unk_id {unk} is outside the {pieces.Count} pieces.");
        foreach (var (name, id) in new[] { ("bos_id", bos), ("eos_id", eos), ("pad_id", pad) })
            if (id < -1 || id >= pieces.Count) throw TokenizerErrors.FileInvalid(path, $"{name} {id} is outside the {pieces.Count} pieces.");
        return new SentencePieceModelFile(pieces, modelType, byteFallback, unk, bos, eos, pad);
    }

    private static (string, SentencePieceType) ParsePiece(ByteString message, int id, string path)
    {
        var input = new CodedInputStream(message.ToByteArray());
        string? piece = null;
        var type = SentencePieceType.Normal;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: piece = input.ReadString(); break;
                case 3: type = (SentencePieceType)input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }
        if (string.IsNullOrEmpty(piece)) throw TokenizerErrors.FileInvalid(path, $"piece {id} has no text.");
        if (!Enum.IsDefined(type)) throw TokenizerErrors.FileInvalid(path, $"piece {id} '{piece}' has unknown type {(int)type}.");
        return (piece, type);
    }
}
