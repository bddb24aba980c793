using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Tests.Tokenization;

// Expected ids are worked out by hand with SentencePiece BPE: the text gets a '▁' prefix and '▁' for spaces, then the
// adjacent pair whose merged piece has the highest score is merged until none is in the vocabulary; characters
// without a piece fall back to their UTF-8 bytes (<0xNN> at id 3 + NN).
public sealed class SentencePieceTokenizerTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private SentencePieceTokenizer Load(byte[] model)
    {
        File.WriteAllBytes(_folder.File("tokenizer.model"), model);
        return SentencePieceTokenizer.Load(_folder.Path);
    }

    [Theory]
    [InlineData("hello world", new[] { 268, 263 })]
    // ▁ h e l d: "ld" (-3) first, then "he" (-6), then "▁he" (-8); "▁held" is not a piece.
    [InlineData("held", new[] { 266, 261 })]
    [InlineData("world", new[] { 263 })]
    [InlineData("hello  world", new[] { 268, 269, 263 })]
    // 'é' has no piece: bytes C3 A9 at 3 + 0xC3 and 3 + 0xA9.
    [InlineData("é", new[] { 269, 198, 172 })]
    [InlineData("z", new[] { 269, 125 })]
    public void EncodesKnownIdsAndDecodesBack(string text, int[] expected)
    {
        var tok = Load(SentencePieceFixture.Llama());
        Assert.Equal(expected, tok.Encode(text));
        Assert.Equal(text, tok.Decode(expected));
    }

    [Fact]
    public void SpecialIdsComeFromTheModel()
    {
        var tok = Load(SentencePieceFixture.Llama());
        Assert.Equal(277, tok.VocabSize);
        Assert.Equal("sentencepiece-bpe (277)", tok.Name);
        Assert.Equal(1, tok.BosTokenId);
        Assert.Equal(2, tok.EosTokenId);
        Assert.Equal(2, tok.PadTokenId);
        Assert.Equal(0, tok.UnknownTokenId);
        Assert.Equal(new[] { 1, 268, 263 }, tok.Encode("hello world", addBos: true));
        Assert.Equal("<s>hello world</s>", tok.Decode([1, 268, 263, 2]));
    }

    [Fact]
    public void PadAndMissingBosAreHonoured()
    {
        var tok = Load(SentencePieceFixture.Llama(bosId: -1, padId: 0));
        Assert.Null(tok.BosTokenId);
        Assert.Equal(0, tok.PadTokenId);
        Assert.Equal(new[] { 268, 263 }, tok.Encode("hello world", addBos: true));
    }

    [Fact]
    public void WithoutBytePiecesUnknownCharactersBecomeUnk()
    {
        var tok = Load(SentencePieceFixture.WithoutBytes());
        Assert.Equal(21, tok.VocabSize);
        Assert.Equal(new[] { 12, 7 }, tok.Encode("hello world"));
        Assert.Equal(new[] { 13, 0 }, tok.Encode("z"));
        Assert.Equal("hello world", tok.Decode([12, 7]));
    }

    [Fact]
    public void SaveWritesTheSameModelAndLoadsBack()
    {
        var model = SentencePieceFixture.Llama();
        var tok = Load(model);
        var target = _folder.File("saved");
        tok.Save(target);
        Assert.Equal(model, File.ReadAllBytes(Path.Combine(target, "tokenizer.model")));
        Assert.Equal(new[] { 266, 261 }, SentencePieceTokenizer.Load(target).Encode("held"));
    }

    [Fact]
    public void GarbageIsReportedAsInvalidFile()
    {
        var e = Assert.Throws<IclPsException>(() => Load([0x0A, 0xFF, 0x01, 0x02]));
        Assert.Equal("TokenizerFileInvalid", e.ErrorId);
        Assert.Equal(IclErrorKind.InvalidData, e.Kind);
        Assert.Equal(_folder.File("tokenizer.model"), e.Target);
    }

    [Fact]
    public void EmptyFileIsReportedAsInvalid()
    {
        var e = Assert.Throws<IclPsException>(() => Load([]));
        Assert.Equal("TokenizerFileInvalid", e.ErrorId);
        Assert.Contains("no pieces", e.Message);
    }

    [Fact]
    public void UnigramModelIsRefused()
    {
        var e = Assert.Throws<IclPsException>(() => Load(SentencePieceFixture.Llama(modelType: 1)));
        Assert.Equal("TokenizerUnsupported", e.ErrorId);
        Assert.Equal(IclErrorKind.NotImplemented, e.Kind);
    }

    [Fact]
    public void SpecialIdOutsideThePiecesIsInvalid()
    {
        var e = Assert.Throws<IclPsException>(() => Load(SentencePieceFixture.Llama(padId: 277)));
        Assert.Equal("TokenizerFileInvalid", e.ErrorId);
        Assert.Contains("pad_id 277", e.Message);
    }

    [Fact]
    public void DecodingAnIdOutsideTheVocabularyFails()
    {
        var tok = Load(SentencePieceFixture.Llama());
        var e = Assert.Throws<IclPsException>(() => tok.Decode([277]));
        Assert.Equal("TokenIdOutOfRange", e.ErrorId);
    }
}
