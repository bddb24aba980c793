using Microsoft.ML.Tokenizers;

namespace IclPs.Engine.Tokenization;

/// <summary>
/// LLaMA-style SentencePiece BPE from a checkpoint folder's <c>tokenizer.model</c> (a SentencePiece ModelProto), run by
/// Microsoft.ML.Tokenizers' <see cref="LlamaTokenizer"/>. BOS, EOS and pad ids come from the model's TrainerSpec
/// (LLaMA: BOS 1, EOS 2, no pad, so EOS pads).
/// </summary>
/// <remarks>
/// Only BPE models are accepted. When a model has byte pieces, ML.Tokenizers decodes bytes as ids offset from "&lt;0x00&gt;" and
/// skips every id below it, so the model must list &lt;0x00&gt;..&lt;0xFF&gt; contiguously with only control and unknown
/// pieces before them, as SentencePiece's trainer writes it; other layouts are refused rather than mis-decoded.
/// </remarks>
public sealed class SentencePieceTokenizer : ITextTokenizer
{
    public const string ModelFileName = "tokenizer.model";

    private readonly LlamaTokenizer _sp;
    private readonly byte[] _modelFile;

    private SentencePieceTokenizer(LlamaTokenizer sp, SentencePieceModelFile model, byte[] modelFile)
    {
        _sp = sp;
        _modelFile = modelFile;
        VocabSize = model.Pieces.Count;
        UnknownTokenId = model.UnkId;
        BosTokenId = model.BosId >= 0 ? model.BosId : null;
        EosTokenId = model.EosId >= 0 ? model.EosId : null;
        PadTokenId = model.PadId >= 0 ? model.PadId : EosTokenId ?? model.UnkId;
    }

    public string Name => $"sentencepiece-bpe ({VocabSize})";
    public int VocabSize { get; }
    public int PadTokenId { get; }
    public int? BosTokenId { get; }
    public int? EosTokenId { get; }
    public int UnknownTokenId { get; }

    /// <summary>Reads <c>tokenizer.model</c> from <paramref name="directory"/>.</summary>
    /// <exception cref="IclPsException">TokenizerNotFound, TokenizerFileInvalid (not a model protobuf, bad ids), TokenizerUnsupported (not BPE, unusual byte layout).</exception>
    public static SentencePieceTokenizer Load(string directory)
    {
        var path = Path.Combine(directory, ModelFileName);
        var bytes = TokenizerErrors.ReadFile(path);
        var model = SentencePieceModelFile.Parse(bytes, path);
        if (model.ModelType != SentencePieceModelFile.ModelTypeBpe)
            throw TokenizerErrors.Unsupported(path, $"model_type {model.ModelType}; only BPE ({SentencePieceModelFile.ModelTypeBpe}) SentencePiece models are supported.");
        if (model.ByteFallback || model.Pieces.Any(p => p.Type == SentencePieceType.Byte)) RequireByteLayout(model, path);

        LlamaTokenizer sp;
        try
        {
            sp = LlamaTokenizer.Create(new MemoryStream(bytes), addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or NotSupportedException)
        {
            throw TokenizerErrors.FileInvalid(path, e.Message, e);
        }
        return new SentencePieceTokenizer(sp, model, bytes);
    }

    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        // BOS is added here rather than by ML.Tokenizers, which substitutes id 1 when the model has no BOS.
        var ids = _sp.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        if (!addBos || BosTokenId is not int bos) return ids;
        var withBos = new List<int>(ids.Count + 1) { bos };
        withBos.AddRange(ids);
        return withBos;
    }

    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids.ToList();
        foreach (var id in list)
            if (id < 0 || id >= VocabSize) throw TokenizerErrors.IdOutOfRange(id, Name);
        return _sp.Decode(list, considerSpecialTokens: true);
    }

    /// <summary>Writes the tokenizer.model this tokenizer was read from, byte for byte (it records no context length).</summary>
    public void Save(string directory, int? modelMaxLength = null)
    {
        AtomicFile.WriteAllBytes(Path.Combine(directory, ModelFileName), _modelFile);
    }

    private static void RequireByteLayout(SentencePieceModelFile model, string path)
    {
        var offset = -1;
        for (var i = 0; i < model.Pieces.Count && offset < 0; i++)
            if (model.Pieces[i].Piece == "<0x00>") offset = i;
        if (offset < 0 || offset + 256 > model.Pieces.Count)
            throw TokenizerErrors.Unsupported(path, "the model uses byte pieces but does not have all of <0x00>..<0xFF>.");
        for (var b = 0; b < 256; b++)
        {
            var (piece, type) = model.Pieces[offset + b];
            if (type != SentencePieceType.Byte || piece != $"<0x{b:X2}>")
                throw TokenizerErrors.Unsupported(path, $"byte piece <0x{b:X2}> is expected at id {offset + b} but '{piece}' is there.");
        }
        for (var i = 0; i < offset; i++)
            if (model.Pieces[i].Type is not (SentencePieceType.Control or SentencePieceType.Unknown or SentencePieceType.Unused))
                throw TokenizerErrors.Unsupported(path, $"piece {i} '{model.Pieces[i].Piece}' comes before the byte pieces, which only control pieces may.");
    }
}
