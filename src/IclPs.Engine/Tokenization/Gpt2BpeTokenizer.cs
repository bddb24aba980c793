using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace IclPs.Engine.Tokenization;

/// <summary>
/// GPT-2 byte-level BPE from a checkpoint folder's <c>vocab.json</c> + <c>merges.txt</c>: GPT-2's regex pre-tokenizer,
/// UTF-8 bytes shown as GPT-2's byte characters (a leading space is 'Ġ'), then the ranked merges.
/// "&lt;|endoftext|&gt;", when the vocabulary has it, is both BOS and EOS and is matched as one token inside text.
/// Models with GPT-2's own vocabulary get it from <see cref="Gpt2Vocabulary"/>. <see cref="Save"/> writes the files
/// Hugging Face's GPT2Tokenizer and GPT2TokenizerFast read, so a saved folder loads in transformers as a whole.
/// </summary>
/// <remarks>
/// Encoding runs on Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with <see cref="BpeOptions.ByteLevel"/>;
/// its <see cref="CodeGenTokenizer"/> would fit GPT-2 too, but it hard-codes CodeGen's added tokens at ids 50256-50294,
/// which turns runs of spaces into ids a GPT-2 vocabulary does not have.
/// </remarks>
public sealed class Gpt2BpeTokenizer : ITextTokenizer
{
    public const string VocabFileName = "vocab.json";
    public const string MergesFileName = "merges.txt";
    public const string EndOfTextToken = "<|endoftext|>";
    public const string TokenizerConfigFileName = "tokenizer_config.json";
    public const string SpecialTokensMapFileName = "special_tokens_map.json";
    public const string TokenizerJsonFileName = "tokenizer.json";

    /// <summary>Hugging Face's files that describe a GPT-2 BPE beside vocab.json and merges.txt; <see cref="Save"/> writes them.</summary>
    public static IReadOnlyList<string> HfDescriptionFileNames { get; } = [TokenizerConfigFileName, SpecialTokensMapFileName, TokenizerJsonFileName];

    // GPT-2's pre-tokenizer pattern (OpenAI encoder.py): contractions, letter runs, digit runs, other symbols, whitespace.
    private static readonly Regex PreTokenizerPattern = new(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);

    private readonly BpeTokenizer _bpe;
    private readonly IReadOnlyDictionary<string, int> _vocab;
    private readonly IReadOnlyList<string> _merges;
    private readonly HashSet<int> _ids;
    private readonly byte[] _vocabFile;
    private readonly byte[] _mergesFile;
    // Bytes with no single-character token: ML.Tokenizers drops them silently, so Encode refuses text that has them.
    private readonly bool[] _missingByte;
    private readonly bool _anyByteMissing;

    private Gpt2BpeTokenizer(BpeTokenizer bpe, IReadOnlyDictionary<string, int> vocab, IReadOnlyList<string> merges, byte[] vocabFile, byte[] mergesFile)
    {
        _bpe = bpe;
        _vocab = vocab;
        _merges = merges;
        _vocabFile = vocabFile;
        _mergesFile = mergesFile;
        _ids = [.. vocab.Values];
        VocabSize = vocab.Values.Max() + 1;
        if (vocab.TryGetValue(EndOfTextToken, out var eot))
        {
            BosTokenId = eot;
            EosTokenId = eot;
        }
        // GPT-2 has no pad token; Hugging Face pads with EOS, and padded positions are masked anyway.
        PadTokenId = EosTokenId ?? 0;
        _missingByte = new bool[256];
        for (var b = 0; b < 256; b++)
        {
            _missingByte[b] = !vocab.ContainsKey(Gpt2ByteAlphabet.ToChar((byte)b).ToString());
            _anyByteMissing |= _missingByte[b];
        }
    }

    public string Name => $"gpt2-bpe ({VocabSize})";
    public int VocabSize { get; }
    public int PadTokenId { get; }
    public int? BosTokenId { get; }
    public int? EosTokenId { get; }

    /// <summary>Reads <c>vocab.json</c> and <c>merges.txt</c> from <paramref name="directory"/>.</summary>
    /// <exception cref="IclPsException">TokenizerNotFound for a missing file; TokenizerFileInvalid for unparsable or inconsistent files.</exception>
    public static Gpt2BpeTokenizer Load(string directory)
    {
        var vocabPath = Path.Combine(directory, VocabFileName);
        var mergesPath = Path.Combine(directory, MergesFileName);
        RefusePrefixSpace(Path.Combine(directory, TokenizerConfigFileName));
        return FromFiles(TokenizerErrors.ReadFile(vocabPath), TokenizerErrors.ReadFile(mergesPath), vocabPath, mergesPath);
    }

    /// <summary>
    /// Reads a byte-level BPE from <c>tokenizer.json</c> alone, as transformers v5 saves a GPT-2 tokenizer (no vocab.json or
    /// merges.txt): the same vocabulary and merges, run as GPT-2 runs them. Only GPT-2's own layout is read (BPE model,
    /// ByteLevel pre-tokenizer with GPT-2's regex and no prefix space, no normalizer, added tokens inside the vocabulary);
    /// anything else (LLaMA-3's split pattern, SentencePiece-style BPE) is refused rather than tokenized differently.
    /// </summary>
    /// <exception cref="IclPsException">TokenizerFileInvalid for an unparsable file; TokenizerUnsupported for another layout.</exception>
    public static Gpt2BpeTokenizer LoadTokenizerJson(string directory)
    {
        var path = Path.Combine(directory, TokenizerJsonFileName);
        RefusePrefixSpace(Path.Combine(directory, TokenizerConfigFileName));
        var bytes = TokenizerErrors.ReadFile(path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw TokenizerErrors.FileInvalid(path, e.Message, e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw TokenizerErrors.FileInvalid(path, "it has no \"model\" object.");
            string? Text(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            bool Is(JsonElement e, string name, JsonValueKind kind) => e.TryGetProperty(name, out var v) && v.ValueKind == kind;
            if (Text(model, "type") != "BPE")
                throw TokenizerErrors.Unsupported(path, $"model type '{Text(model, "type")}' (only GPT-2's byte-level BPE is read from tokenizer.json).");
            if (root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind != JsonValueKind.Null)
                throw TokenizerErrors.Unsupported(path, "a normalizer (GPT-2 has none).");
            if (!root.TryGetProperty("pre_tokenizer", out var pre) || Text(pre, "type") != "ByteLevel" || !Is(pre, "add_prefix_space", JsonValueKind.False) || Is(pre, "use_regex", JsonValueKind.False))
                throw TokenizerErrors.Unsupported(path, "a pre-tokenizer other than GPT-2's (ByteLevel with its regex and add_prefix_space false).");
            foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
                if (Text(model, affix) is { Length: > 0 } value) throw TokenizerErrors.Unsupported(path, $"{affix} '{value}'.");
            if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
                throw TokenizerErrors.FileInvalid(path, "model.vocab is not an object of token ids.");
            if (!model.TryGetProperty("merges", out var mergesElement) || mergesElement.ValueKind != JsonValueKind.Array)
                throw TokenizerErrors.FileInvalid(path, "model.merges is not a list.");
            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var token in vocabElement.EnumerateObject())
            {
                if (token.Value.ValueKind != JsonValueKind.Number || !token.Value.TryGetInt32(out var id))
                    throw TokenizerErrors.FileInvalid(path, $"model.vocab['{token.Name}'] is not an integer id.");
                vocab[token.Name] = id;
            }
            if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            {
                foreach (var token in added.EnumerateArray())
                {
                    var content = Text(token, "content");
                    var id = token.TryGetProperty("id", out var idElement) && idElement.TryGetInt32(out var i) ? i : -1;
                    if (content is null || !vocab.TryGetValue(content, out var known) || known != id)
                        throw TokenizerErrors.Unsupported(path, $"added token '{content}' (id {id}) outside the BPE vocabulary.");
                }
            }
            // Tokenizers before 0.20 write a merge as "a b", later ones as ["a", "b"].
            var merges = new StringBuilder("#version: 0.2\n");
            foreach (var merge in mergesElement.EnumerateArray())
            {
                var line = merge.ValueKind switch
                {
                    JsonValueKind.String => merge.GetString(),
                    JsonValueKind.Array when merge.GetArrayLength() == 2 && merge.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) =>
                        string.Join(' ', merge.EnumerateArray().Select(x => x.GetString())),
                    _ => throw TokenizerErrors.FileInvalid(path, $"model.merges holds {merge.GetRawText()}, not a merge."),
                };
                merges.Append(line).Append('\n');
            }
            // As vocab.json and merges.txt, so the same checks run and Save writes them beside tokenizer.json.
            var vocabFile = JsonSerializer.SerializeToUtf8Bytes(vocab.OrderBy(t => t.Value).ToDictionary(t => t.Key, t => t.Value));
            return FromFiles(vocabFile, Encoding.UTF8.GetBytes(merges.ToString()), path, path);
        }
    }

    /// <summary>
    /// A tokenizer_config.json asking for a space before the text (add_prefix_space true) would have HF encode "Paris" as
    /// " Paris"; IclPs encodes the text as given, so such a folder is refused rather than tokenized differently.
    /// </summary>
    private static void RefusePrefixSpace(string configPath)
    {
        if (!File.Exists(configPath)) return;
        try
        {
            using var config = JsonDocument.Parse(TokenizerErrors.ReadFile(configPath));
            if (config.RootElement.ValueKind == JsonValueKind.Object && config.RootElement.TryGetProperty("add_prefix_space", out var prefix) && prefix.ValueKind == JsonValueKind.True)
                throw TokenizerErrors.Unsupported(configPath, "add_prefix_space true (a space added before the text).");
        }
        catch (JsonException e)
        {
            throw TokenizerErrors.FileInvalid(configPath, e.Message, e);
        }
    }

    /// <summary>
    /// The tokenizer of a vocab.json and merges.txt given as bytes; <paramref name="vocabSource"/> and
    /// <paramref name="mergesSource"/> name them in errors.
    /// </summary>
    /// <exception cref="IclPsException">TokenizerFileInvalid for unparsable or inconsistent files.</exception>
    public static Gpt2BpeTokenizer FromFiles(byte[] vocabFile, byte[] mergesFile, string vocabSource, string mergesSource)
    {
        ArgumentNullException.ThrowIfNull(vocabFile);
        ArgumentNullException.ThrowIfNull(mergesFile);
        var vocab = ParseVocab(vocabFile, vocabSource);
        var merges = ParseMerges(mergesFile, mergesSource, vocab);

        var specials = vocab.ContainsKey(EndOfTextToken)
            ? new Dictionary<string, int> { [EndOfTextToken] = vocab[EndOfTextToken] }
            : null;
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(PreTokenizerPattern, specials),
            SpecialTokens = specials,
        };
        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(options);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw TokenizerErrors.FileInvalid(mergesSource, e.Message, e);
        }
        return new Gpt2BpeTokenizer(bpe, vocab, merges, vocabFile, mergesFile);
    }

    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_anyByteMissing) RequireEncodable(text);
        var ids = _bpe.EncodeToIds(text);
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
            if (!_ids.Contains(id)) throw TokenizerErrors.IdOutOfRange(id, Name);
        return _bpe.Decode(list, considerSpecialTokens: true);
    }

    /// <summary>
    /// Writes the vocab.json and merges.txt this tokenizer was read from, byte for byte, and Hugging Face's description of
    /// them: tokenizer_config.json (GPT2Tokenizer, no prefix space, "&lt;|endoftext|&gt;" as BOS, EOS and unknown token
    /// when the vocabulary has it, model_max_length = <paramref name="modelMaxLength"/> when given),
    /// special_tokens_map.json, and tokenizer.json (the fast tokenizer: BPE model, byte-level pre-tokenizer and decoder,
    /// the same vocabulary and merges).
    /// </summary>
    public void Save(string directory, int? modelMaxLength = null)
    {
        var endOfText = BosTokenId is null ? null : EndOfTextToken;
        AtomicFile.WriteAllBytes(Path.Combine(directory, VocabFileName), _vocabFile);
        AtomicFile.WriteAllBytes(Path.Combine(directory, MergesFileName), _mergesFile);
        AtomicFile.WriteAllBytes(Path.Combine(directory, TokenizerConfigFileName), Gpt2HfTokenizerFiles.TokenizerConfig(endOfText, BosTokenId, modelMaxLength));
        AtomicFile.WriteAllBytes(Path.Combine(directory, SpecialTokensMapFileName), Gpt2HfTokenizerFiles.SpecialTokensMap(endOfText));
        AtomicFile.WriteAllBytes(Path.Combine(directory, TokenizerJsonFileName), Gpt2HfTokenizerFiles.TokenizerJson(_vocab, _merges, endOfText, BosTokenId));
    }

    private void RequireEncodable(string text)
    {
        var plain = BosTokenId is null ? text : text.Replace(EndOfTextToken, "", StringComparison.Ordinal);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in plain.EnumerateRunes())
        {
            var n = rune.EncodeToUtf8(utf8);
            foreach (var b in utf8[..n])
                if (_missingByte[b])
                    throw new IclPsException("TextNotEncodable", IclErrorKind.InvalidArgument,
                        $"Tokenizer {Name} has no token for byte 0x{b:X2} of '{rune}' (U+{rune.Value:X4}), so the text cannot be encoded.", text);
        }
    }

    private static Dictionary<string, int> ParseVocab(byte[] file, string path)
    {
        Dictionary<string, int>? vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(file);
        }
        catch (JsonException e)
        {
            throw TokenizerErrors.FileInvalid(path, $"expected a JSON object of token -> id: {e.Message}", e);
        }
        if (vocab is null || vocab.Count == 0) throw TokenizerErrors.FileInvalid(path, "the vocabulary is empty.");
        var seen = new Dictionary<int, string>();
        foreach (var (token, id) in vocab)
        {
            if (id < 0) throw TokenizerErrors.FileInvalid(path, $"token '{token}' has negative id {id}.");
            if (!seen.TryAdd(id, token)) throw TokenizerErrors.FileInvalid(path, $"tokens '{seen[id]}' and '{token}' share id {id}.");
        }
        return vocab;
    }

    /// <summary>Merge lines "left right" in rank order; a leading "#version" line and blank lines are skipped.</summary>
    private static List<string> ParseMerges(byte[] file, string path, Dictionary<string, int> vocab)
    {
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(file);
        }
        catch (DecoderFallbackException e)
        {
            throw TokenizerErrors.FileInvalid(path, "it is not valid UTF-8.", e);
        }
        var merges = new List<string>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0 || (i == 0 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw TokenizerErrors.FileInvalid(path, $"line {i + 1} '{line}' is not two tokens separated by one space.");
            foreach (var token in new[] { parts[0], parts[1], parts[0] + parts[1] })
                if (!vocab.ContainsKey(token))
                    throw TokenizerErrors.FileInvalid(path, $"line {i + 1} '{line}' uses '{token}', which vocab.json does not have.");
            merges.Add(line);
        }
        return merges;
    }
}
