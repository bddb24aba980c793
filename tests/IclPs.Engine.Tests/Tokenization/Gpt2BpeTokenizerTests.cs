using System.Text.Json;
using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Tests.Tokenization;

// Expected ids are worked out by hand from Gpt2Fixture: GPT-2's regex splits the text, each piece becomes byte
// characters, and the lowest-ranked merge present is applied until none is.
public sealed class Gpt2BpeTokenizerTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public Gpt2BpeTokenizerTests() => Gpt2Fixture.Write(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("hello world", new[] { 13, 18 })]
    [InlineData("hello, world!", new[] { 13, 8, 18, 9 })]
    // h e l d: "l d" (rank 7) is applied, then "h e" (rank 0); "he ld" is no merge.
    [InlineData("held", new[] { 10, 17 })]
    // Without the leading space there is no "Ġw": w + or + ld.
    [InlineData("world", new[] { 5, 15, 17 })]
    // GPT-2's \s+(?!\S) leaves the last space to the word: "hello", " ", " world".
    [InlineData("hello  world", new[] { 13, 4, 18 })]
    [InlineData("hello\nworld", new[] { 13, 21, 5, 15, 17 })]
    // 'é' is UTF-8 C3 A9, GPT-2's characters 'Ã' '©'.
    [InlineData("é", new[] { 19, 20 })]
    [InlineData("hello<|endoftext|>world", new[] { 13, 22, 5, 15, 17 })]
    public void EncodesKnownIdsAndDecodesBack(string text, int[] expected)
    {
        var tok = Gpt2BpeTokenizer.Load(_folder.Path);
        Assert.Equal(expected, tok.Encode(text));
        Assert.Equal(text, tok.Decode(expected));
    }

    [Fact]
    public void EndOfTextIsBosEosAndPad()
    {
        var tok = Gpt2BpeTokenizer.Load(_folder.Path);
        Assert.Equal(22, tok.BosTokenId);
        Assert.Equal(22, tok.EosTokenId);
        Assert.Equal(22, tok.PadTokenId);
        Assert.Equal(23, tok.VocabSize);
        Assert.Equal("gpt2-bpe (23)", tok.Name);
        Assert.Equal(new[] { 22, 13, 18 }, tok.Encode("hello world", addBos: true));
        Assert.Equal("<|endoftext|>hello world", tok.Decode([22, 13, 18]));
    }

    [Fact]
    public void WithoutEndOfTextThereIsNoBosAndPadIsZero()
    {
        using var other = new TempFolder();
        Gpt2Fixture.Write(other.Path, withEndOfText: false);
        var tok = Gpt2BpeTokenizer.Load(other.Path);
        Assert.Null(tok.BosTokenId);
        Assert.Null(tok.EosTokenId);
        Assert.Equal(0, tok.PadTokenId);
        Assert.Equal(new[] { 13, 18 }, tok.Encode("hello world", addBos: true));
    }

    [Fact]
    public void SaveWritesTheSameFilesAndLoadsBack()
    {
        var tok = Gpt2BpeTokenizer.Load(_folder.Path);
        var target = _folder.File("saved");
        tok.Save(target);
        Assert.Equal(File.ReadAllBytes(_folder.File("vocab.json")), File.ReadAllBytes(Path.Combine(target, "vocab.json")));
        Assert.Equal(File.ReadAllBytes(_folder.File("merges.txt")), File.ReadAllBytes(Path.Combine(target, "merges.txt")));
        Assert.Equal(["merges.txt", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.json"],
            Directory.GetFiles(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var reloaded = Gpt2BpeTokenizer.Load(target);
        Assert.Equal(new[] { 13, 8, 18, 9 }, reloaded.Encode("hello, world!"));
    }

    [Fact]
    public void WithoutEndOfTextTheHuggingFaceFilesNameNoSpecialTokens()
    {
        using var source = new TempFolder();
        Gpt2Fixture.Write(source.Path, withEndOfText: false);
        using var target = new TempFolder();
        Gpt2BpeTokenizer.Load(source.Path).Save(target.Path);

        using var config = JsonDocument.Parse(File.ReadAllBytes(target.File("tokenizer_config.json")));
        foreach (var name in new[] { "bos_token", "eos_token", "unk_token" })
            Assert.Equal(JsonValueKind.Null, config.RootElement.GetProperty(name).ValueKind);
        Assert.Empty(config.RootElement.GetProperty("added_tokens_decoder").EnumerateObject());
        // No context length given: HF then applies no limit.
        Assert.False(config.RootElement.TryGetProperty("model_max_length", out _));
        using var map = JsonDocument.Parse(File.ReadAllBytes(target.File("special_tokens_map.json")));
        Assert.Empty(map.RootElement.EnumerateObject());
        using var fast = JsonDocument.Parse(File.ReadAllBytes(target.File("tokenizer.json")));
        Assert.Empty(fast.RootElement.GetProperty("added_tokens").EnumerateArray());
        Assert.Equal(9, fast.RootElement.GetProperty("model").GetProperty("merges").GetArrayLength());
    }

    [Fact]
    public void TextWithAByteTheVocabularyLacksIsRefused()
    {
        var tok = Gpt2BpeTokenizer.Load(_folder.Path);
        var e = Assert.Throws<IclPsException>(() => tok.Encode("hello x"));
        Assert.Equal("TextNotEncodable", e.ErrorId);
        Assert.Equal(IclErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("0x78", e.Message);
    }

    [Fact]
    public void DecodingAnIdOutsideTheVocabularyFails()
    {
        var tok = Gpt2BpeTokenizer.Load(_folder.Path);
        var e = Assert.Throws<IclPsException>(() => tok.Decode([13, 23]));
        Assert.Equal("TokenIdOutOfRange", e.ErrorId);
        Assert.Equal(23, e.Target);
    }

    [Fact]
    public void CorruptVocabIsReportedWithItsPath()
    {
        File.WriteAllText(_folder.File("vocab.json"), "{\"h\": 0, \"e\": ");
        var e = Assert.Throws<IclPsException>(() => Gpt2BpeTokenizer.Load(_folder.Path));
        Assert.Equal("TokenizerFileInvalid", e.ErrorId);
        Assert.Equal(IclErrorKind.InvalidData, e.Kind);
        Assert.Equal(_folder.File("vocab.json"), e.Target);
    }

    [Fact]
    public void MergeOfTokensNotInTheVocabularyIsReportedWithLine()
    {
        File.AppendAllText(_folder.File("merges.txt"), "w x\n");
        var e = Assert.Throws<IclPsException>(() => Gpt2BpeTokenizer.Load(_folder.Path));
        Assert.Equal("TokenizerFileInvalid", e.ErrorId);
        Assert.Equal(_folder.File("merges.txt"), e.Target);
        Assert.Contains("line 11 'w x'", e.Message);
    }
}
