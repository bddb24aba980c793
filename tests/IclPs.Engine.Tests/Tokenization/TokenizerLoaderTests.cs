using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Tests.Tokenization;

public sealed class TokenizerLoaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void FindsEachKindAndEncodesWithIt()
    {
        Gpt2Fixture.Write(_folder.Path);
        var gpt2 = TokenizerLoader.Load(_folder.Path);
        Assert.IsType<Gpt2BpeTokenizer>(gpt2);
        Assert.Equal(new[] { 13, 18 }, gpt2.Encode("hello world"));

        // tokenizer.model wins over vocab.json + merges.txt.
        File.WriteAllBytes(_folder.File("tokenizer.model"), SentencePieceFixture.Llama());
        var sp = TokenizerLoader.Load(_folder.Path);
        Assert.IsType<SentencePieceTokenizer>(sp);
        Assert.Equal(new[] { 268, 263 }, sp.Encode("hello world"));

        // iclps_tokenizer.json wins over both.
        SimpleTokenizer.Bytes().Save(_folder.Path);
        var simple = TokenizerLoader.Load(_folder.Path);
        Assert.IsType<SimpleTokenizer>(simple);
        Assert.Equal(new[] { 108, 105 }, simple.Encode("he"));
    }

    [Fact]
    public void EachKindSurvivesSaveAndLoad()
    {
        Gpt2Fixture.Write(_folder.Path);
        using var spSource = new TempFolder();
        File.WriteAllBytes(spSource.File("tokenizer.model"), SentencePieceFixture.Llama());

        var sources = new ITextTokenizer[]
        {
            Gpt2BpeTokenizer.Load(_folder.Path),
            SentencePieceTokenizer.Load(spSource.Path),
            SimpleTokenizer.FromCorpus(["hello world"], SimpleTokenizerLevel.Char),
        };
        foreach (var tok in sources)
        {
            using var target = new TempFolder();
            tok.Save(target.Path);
            var loaded = TokenizerLoader.Load(target.Path);
            Assert.Equal(tok.GetType(), loaded.GetType());
            Assert.Equal(tok.Name, loaded.Name);
            Assert.Equal(tok.Encode("hello world", addBos: true), loaded.Encode("hello world", addBos: true));
        }
    }

    [Fact]
    public void EmptyFolderNamesTheFolderAndTheFilesLookedFor()
    {
        var e = Assert.Throws<IclPsException>(() => TokenizerLoader.Load(_folder.Path));
        Assert.Equal("TokenizerNotFound", e.ErrorId);
        Assert.Equal(IclErrorKind.ObjectNotFound, e.Kind);
        Assert.Equal(_folder.Path, e.Target);
        foreach (var part in new[] { _folder.Path, "iclps_tokenizer.json", "tokenizer.model", "vocab.json", "merges.txt" })
            Assert.Contains(part, e.Message);
    }

    [Fact]
    public void VocabWithoutMergesSaysWhichIsMissing()
    {
        File.WriteAllText(_folder.File("vocab.json"), Gpt2Fixture.Vocab);
        var e = Assert.Throws<IclPsException>(() => TokenizerLoader.Load(_folder.Path));
        Assert.Equal("TokenizerNotFound", e.ErrorId);
        Assert.Contains("has vocab.json but no merges.txt", e.Message);
    }

    [Fact]
    public void AGpt2FolderAskingForAPrefixSpaceIsRefusedNotEncodedDifferently()
    {
        File.WriteAllText(_folder.File("vocab.json"), Gpt2Fixture.Vocab);
        File.WriteAllText(_folder.File("merges.txt"), Gpt2Fixture.Merges);
        File.WriteAllText(_folder.File("tokenizer_config.json"), """{"tokenizer_class": "GPT2Tokenizer", "add_prefix_space": false}""");
        Assert.IsType<Gpt2BpeTokenizer>(TokenizerLoader.Load(_folder.Path));
        File.WriteAllText(_folder.File("tokenizer_config.json"), """{"tokenizer_class": "GPT2Tokenizer", "add_prefix_space": true}""");
        var e = Assert.Throws<IclPsException>(() => TokenizerLoader.Load(_folder.Path));
        Assert.Equal(("TokenizerUnsupported", IclErrorKind.NotImplemented), (e.ErrorId, e.Kind));
        Assert.Contains("add_prefix_space", e.Message);
    }

    /// <summary>GPT-2's tokenizer.json layout around the fixture's vocabulary, merges as tokenizers 0.20 writes them (pairs).</summary>
    private static string Gpt2TokenizerJson(string preTokenizer = """{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}""") =>
        $$$"""
        {"version": "1.0", "truncation": null, "padding": null,
         "added_tokens": [{"id": 22, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": true}],
         "normalizer": null, "pre_tokenizer": {{{preTokenizer}}},
         "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
         "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
         "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "", "end_of_word_suffix": "",
                   "fuse_unk": false, "byte_fallback": false, "ignore_merges": false, "vocab": {{{Gpt2Fixture.Vocab}}},
                   "merges": [["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o"], ["Ġ", "w"], ["o", "r"], ["Ġw", "or"], ["l", "d"], ["Ġwor", "ld"]]}}
        """;

    [Fact]
    public void AGpt2TokenizerJsonAloneIsReadAsTheSameBpe()
    {
        Gpt2Fixture.Write(_folder.Path);
        var fromFiles = TokenizerLoader.Load(_folder.Path);
        File.Delete(_folder.File("vocab.json"));
        File.Delete(_folder.File("merges.txt"));
        File.WriteAllText(_folder.File("tokenizer.json"), Gpt2TokenizerJson());
        var fromJson = TokenizerLoader.Load(_folder.Path);
        Assert.IsType<Gpt2BpeTokenizer>(fromJson);
        foreach (var text in new[] { "hello world", "hello, world!", "héllo\nworld", "<|endoftext|>hello" })
            Assert.Equal(fromFiles.Encode(text), fromJson.Encode(text));
        Assert.Equal(new[] { 13, 18 }, fromJson.Encode("hello world"));
    }

    [Fact]
    public void AGpt2TokenizerJsonAloneIsReadAsTheWholeVocabularyGives()
    {
        // The full GPT-2 vocabulary through IclPs's tokenizer.json writer (merges as "a b" strings, as tokenizers before 0.20 write them).
        var gpt2 = Gpt2Vocabulary.GetTokenizer();
        gpt2.Save(_folder.Path);
        foreach (var file in new[] { "vocab.json", "merges.txt" }) File.Delete(_folder.File(file));
        var fromJson = TokenizerLoader.Load(_folder.Path);
        foreach (var text in Gpt2VocabularyTests.VariedStrings(50, seed: 57))
            Assert.Equal(gpt2.Encode(text), fromJson.Encode(text));
    }

    [Theory]
    [InlineData("""{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}""")]
    [InlineData("""{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\p{L}+"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}""")]
    [InlineData("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}""")]
    public void ATokenizerJsonOfAnotherLayoutIsRefusedNotTokenizedDifferently(string preTokenizer)
    {
        File.WriteAllText(_folder.File("tokenizer.json"), Gpt2TokenizerJson(preTokenizer));
        var e = Assert.Throws<IclPsException>(() => TokenizerLoader.Load(_folder.Path));
        Assert.Equal(("TokenizerUnsupported", IclErrorKind.NotImplemented), (e.ErrorId, e.Kind));
        Assert.Contains("pre-tokenizer", e.Message);
    }

    [Fact]
    public void MissingFolderIsNotFound()
    {
        var missing = _folder.File("nope");
        var e = Assert.Throws<IclPsException>(() => TokenizerLoader.Load(missing));
        Assert.Equal("TokenizerNotFound", e.ErrorId);
        Assert.Contains("does not exist", e.Message);
    }

    [Theory]
    [InlineData("tokenizer.model")]
    [InlineData("iclps_tokenizer.json")]
    public void CorruptFileIsInvalidAndNamed(string file)
    {
        Gpt2Fixture.Write(_folder.Path);
        File.WriteAllBytes(_folder.File(file), [0x7B, 0x0A, 0xFF, 0x00]);
        var e = Assert.Throws<IclPsException>(() => TokenizerLoader.Load(_folder.Path));
        Assert.Equal("TokenizerFileInvalid", e.ErrorId);
        Assert.Equal(IclErrorKind.InvalidData, e.Kind);
        Assert.Equal(_folder.File(file), e.Target);
        Assert.Contains(_folder.File(file), e.Message);
    }
}
