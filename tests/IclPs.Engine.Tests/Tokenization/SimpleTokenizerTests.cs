using System.Text.Json.Nodes;
using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Tests.Tokenization;

public sealed class SimpleTokenizerTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void BytesMapEachUtf8ByteToFourPlusByte()
    {
        var tok = SimpleTokenizer.Bytes();
        Assert.Equal(260, tok.VocabSize);
        Assert.Equal("simple-byte (260)", tok.Name);
        Assert.Equal((0, 1, 2, 3), (tok.PadTokenId, tok.BosTokenId!.Value, tok.EosTokenId!.Value, tok.UnknownTokenId));
        // 'H' = 0x48, 'i' = 0x69, 'é' = C3 A9.
        Assert.Equal(new[] { 76, 109 }, tok.Encode("Hi"));
        Assert.Equal(new[] { 1, 199, 173 }, tok.Encode("é", addBos: true));
        Assert.Equal("<bos>Hi<eos>", tok.Decode([1, 76, 109, 2]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Hello, world!\n\ttabs  and  spaces ")]
    [InlineData("Grüße, 東京, 😀 and <bos> as text")]
    public void BytesRoundTripAnyText(string text)
    {
        var tok = SimpleTokenizer.Bytes();
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
    }

    [Fact]
    public void CharVocabularyIsSortedByCodePoint()
    {
        var tok = SimpleTokenizer.FromCorpus(["cab", "ba d😀"], SimpleTokenizerLevel.Char);
        Assert.Equal(["<pad>", "<bos>", "<eos>", "<unk>", " ", "a", "b", "c", "d", "😀"], tok.Tokens);
        Assert.Equal(new[] { 6, 5, 8, 4, 9, 7 }, tok.Encode("bad 😀c"));
        Assert.Equal("bad 😀c", tok.Decode([6, 5, 8, 4, 9, 7]));
        Assert.Equal(new[] { 6, 3 }, tok.Encode("bz"));
    }

    [Fact]
    public void WordVocabularySplitsOnWhitespace()
    {
        var tok = SimpleTokenizer.FromCorpus(["the cat sat", "the\tdog <eos>"], SimpleTokenizerLevel.Word);
        Assert.Equal(["<pad>", "<bos>", "<eos>", "<unk>", "cat", "dog", "sat", "the"], tok.Tokens);
        Assert.Equal(new[] { 1, 7, 4, 3, 2 }, tok.Encode("the  cat\nran <eos>", addBos: true));
        Assert.Equal("the cat <unk>", tok.Decode([7, 4, 3]));
    }

    [Fact]
    public void ByteLevelFromCorpusIsBytes()
    {
        Assert.Equal(SimpleTokenizer.Bytes().Tokens, SimpleTokenizer.FromCorpus(["anything"], SimpleTokenizerLevel.Byte).Tokens);
    }

    [Theory]
    [InlineData(SimpleTokenizerLevel.Byte)]
    [InlineData(SimpleTokenizerLevel.Char)]
    [InlineData(SimpleTokenizerLevel.Word)]
    public void SaveAndLoadRoundTrip(SimpleTokenizerLevel level)
    {
        var tok = SimpleTokenizer.FromCorpus(["the cat", "sat on the mat é"], level);
        tok.Save(_folder.Path);
        var loaded = SimpleTokenizer.Load(_folder.Path);
        Assert.Equal(level, loaded.Level);
        Assert.Equal(tok.Tokens, loaded.Tokens);
        Assert.Equal((tok.PadTokenId, tok.BosTokenId, tok.EosTokenId, tok.UnknownTokenId), (loaded.PadTokenId, loaded.BosTokenId, loaded.EosTokenId, loaded.UnknownTokenId));
        Assert.Equal(tok.Encode("the mat é sat"), loaded.Encode("the mat é sat"));
    }

    [Fact]
    public void SavedFileFollowsTheDocumentedFormat()
    {
        SimpleTokenizer.FromCorpus(["b a"], SimpleTokenizerLevel.Char).Save(_folder.Path);
        var json = JsonNode.Parse(File.ReadAllText(_folder.File("iclps_tokenizer.json")))!;
        Assert.Equal("iclps-tokenizer", (string?)json["format"]);
        Assert.Equal(1, (int?)json["version"]);
        Assert.Equal("char", (string?)json["level"]);
        Assert.Equal(["<pad>", "<bos>", "<eos>", "<unk>", " ", "a", "b"], json["tokens"]!.AsArray().Select(t => (string?)t));
        Assert.Equal(new int?[] { 0, 1, 2, 3 }, new[] { "pad", "bos", "eos", "unk" }.Select(k => (int?)json["specials"]![k]));
    }

    [Fact]
    public void LoadHonoursSpecialIdsFromTheFile()
    {
        File.WriteAllText(_folder.File("iclps_tokenizer.json"), """
            {"format": "iclps-tokenizer", "version": 1, "level": "word",
             "tokens": ["hi", "there", "[U]", "[P]", "[B]", "[E]"],
             "specials": {"pad": 3, "bos": 4, "eos": 5, "unk": 2}}
            """);
        var tok = SimpleTokenizer.Load(_folder.Path);
        Assert.Equal((3, 4, 5, 2), (tok.PadTokenId, tok.BosTokenId!.Value, tok.EosTokenId!.Value, tok.UnknownTokenId));
        Assert.Equal(new[] { 4, 1, 2, 0 }, tok.Encode("there you hi", addBos: true));
    }

    [Theory]
    [InlineData("{\"format\": \"iclps-tokenizer\", ", "not valid JSON")]
    [InlineData("""{"format": "other", "version": 1, "level": "byte", "tokens": [], "specials": {}}""", "field 'format'")]
    [InlineData("""{"format": "iclps-tokenizer", "version": 2, "level": "byte", "tokens": [], "specials": {}}""", "version 2")]
    [InlineData("""{"format": "iclps-tokenizer", "version": 1, "level": "bpe", "tokens": [], "specials": {}}""", "level 'bpe'")]
    [InlineData("""{"format": "iclps-tokenizer", "version": 1, "level": "word", "tokens": ["a", "b", "c", "d", "a"], "specials": {"pad": 0, "bos": 1, "eos": 2, "unk": 3}}""", "appears at ids 0 and 4")]
    [InlineData("""{"format": "iclps-tokenizer", "version": 1, "level": "word", "tokens": ["a", "b", "c", "d"], "specials": {"pad": 0, "bos": 1, "eos": 2, "unk": 4}}""", "'unk' id 4")]
    [InlineData("""{"format": "iclps-tokenizer", "version": 1, "level": "word", "tokens": ["a", "b", "c", "d"], "specials": {"pad": 0, "bos": 1, "eos": 1, "unk": 3}}""", "not distinct")]
    [InlineData("""{"format": "iclps-tokenizer", "version": 1, "level": "word", "tokens": ["a", "b", "c", "d", "two words"], "specials": {"pad": 0, "bos": 1, "eos": 2, "unk": 3}}""", "'two words' is not a word token")]
    [InlineData("""{"format": "iclps-tokenizer", "version": 1, "level": "char", "tokens": ["a", "b", "c", "d", "xy"], "specials": {"pad": 0, "bos": 1, "eos": 2, "unk": 3}}""", "'xy' is not a char token")]
    [InlineData("""{"format": "iclps-tokenizer", "version": 1, "level": "byte", "tokens": ["a", "b", "c", "d", "<0x00>"], "specials": {"pad": 0, "bos": 1, "eos": 2, "unk": 3}}""", "256 byte tokens")]
    [InlineData("""{"format": "iclps-tokenizer", "version": 1, "level": "word", "tokens": ["a", 5], "specials": {}}""", "token 1 is not a non-empty string")]
    public void CorruptFileIsReportedWithItsPath(string content, string problem)
    {
        File.WriteAllText(_folder.File("iclps_tokenizer.json"), content);
        var e = Assert.Throws<IclPsException>(() => SimpleTokenizer.Load(_folder.Path));
        Assert.Equal("TokenizerFileInvalid", e.ErrorId);
        Assert.Equal(IclErrorKind.InvalidData, e.Kind);
        Assert.Equal(_folder.File("iclps_tokenizer.json"), e.Target);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void CorpusWithoutTokensOrWithNullTextIsRefused()
    {
        Assert.Equal("CorpusEmpty", Assert.Throws<IclPsException>(() => SimpleTokenizer.FromCorpus(["  ", "\n"], SimpleTokenizerLevel.Word)).ErrorId);
        Assert.Equal("CorpusTextNull", Assert.Throws<IclPsException>(() => SimpleTokenizer.FromCorpus(["a", null!], SimpleTokenizerLevel.Char)).ErrorId);
    }

    [Fact]
    public void DecodingAnIdOutsideTheVocabularyFails()
    {
        var e = Assert.Throws<IclPsException>(() => SimpleTokenizer.Bytes().Decode([4, 260]));
        Assert.Equal("TokenIdOutOfRange", e.ErrorId);
        Assert.Equal(260, e.Target);
    }
}
