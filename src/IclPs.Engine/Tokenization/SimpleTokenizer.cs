using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace IclPs.Engine.Tokenization;

/// <summary>
/// Tokenizer for models IclPs trains itself: bytes, characters or words, plus the specials &lt;pad&gt; (id 0),
/// &lt;bos&gt; (1), &lt;eos&gt; (2) and &lt;unk&gt; (3). <see cref="Bytes"/> encodes any text and is the default for
/// random preset models; <see cref="FromCorpus"/> builds a character or word vocabulary from training texts.
/// </summary>
/// <remarks>
/// Saved as <c>iclps_tokenizer.json</c>, a UTF-8 JSON object:
/// <code>
/// {
///   "format": "iclps-tokenizer",
///   "version": 1,
///   "level": "byte" | "char" | "word",
///   "tokens": [ "&lt;pad&gt;", "&lt;bos&gt;", "&lt;eos&gt;", "&lt;unk&gt;", ... ],
///   "specials": { "pad": 0, "bos": 1, "eos": 2, "unk": 3 }
/// }
/// </code>
/// "tokens" lists every token in id order (token i has id i). Byte tokens are written "&lt;0x00&gt;".."&lt;0xFF&gt;",
/// char tokens are one code point each, word tokens contain no whitespace. "specials" gives the id of each special token;
/// <see cref="Load"/> accepts any distinct ids in range, builders use 0..3.
/// Decode(Encode(s)) == s for the byte level (any well-formed string) and for the char level when every character of s
/// is in the vocabulary. Text equal to a special token's name is encoded as that special only at the word level.
/// </remarks>
public sealed class SimpleTokenizer : ITextTokenizer
{
    public const string FileName = "iclps_tokenizer.json";
    public const int PadId = 0, BosId = 1, EosId = 2, UnkId = 3;
    public const string PadToken = "<pad>", BosToken = "<bos>", EosToken = "<eos>", UnkToken = "<unk>";

    private const string FormatName = "iclps-tokenizer";
    private const int FormatVersion = 1;
    private static readonly string[] SpecialTokens = [PadToken, BosToken, EosToken, UnkToken];

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;
    private readonly int[] _byteToId = new int[256];
    private readonly int[] _idToByte;

    private SimpleTokenizer(SimpleTokenizerLevel level, string[] tokens, int pad, int bos, int eos, int unk)
    {
        Level = level;
        _tokens = tokens;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++) _ids.Add(tokens[i], i);
        PadTokenId = pad;
        BosTokenId = bos;
        EosTokenId = eos;
        UnknownTokenId = unk;
        _idToByte = new int[tokens.Length];
        Array.Fill(_idToByte, -1);
        if (level == SimpleTokenizerLevel.Byte)
        {
            for (var b = 0; b < 256; b++)
            {
                _byteToId[b] = _ids[ByteToken(b)];
                _idToByte[_byteToId[b]] = b;
            }
        }
    }

    public SimpleTokenizerLevel Level { get; }
    /// <summary>Every token in id order, specials included.</summary>
    public IReadOnlyList<string> Tokens => _tokens;
    public string Name => $"simple-{Level.ToString().ToLowerInvariant()} ({VocabSize})";
    public int VocabSize => _tokens.Length;
    public int PadTokenId { get; }
    public int? BosTokenId { get; }
    public int? EosTokenId { get; }
    public int UnknownTokenId { get; }

    /// <summary>Byte-level tokenizer: the four specials, then byte b at id 4 + b (260 tokens).</summary>
    public static SimpleTokenizer Bytes() =>
        Build(SimpleTokenizerLevel.Byte, Enumerable.Range(0, 256).Select(ByteToken));

    /// <summary>
    /// Vocabulary of the characters (code points, by value) or words (ordinal order) that occur in <paramref name="texts"/>,
    /// after the four specials. The byte level needs no corpus and returns <see cref="Bytes"/>.
    /// </summary>
    public static SimpleTokenizer FromCorpus(IEnumerable<string> texts, SimpleTokenizerLevel level)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (level == SimpleTokenizerLevel.Byte) return Bytes();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var text in texts)
        {
            if (text is null) throw new IclPsException("CorpusTextNull", IclErrorKind.InvalidArgument, $"Corpus text {index} is null.", index);
            if (level == SimpleTokenizerLevel.Char)
                foreach (var rune in text.EnumerateRunes()) seen.Add(rune.ToString());
            else
                foreach (var word in SplitWords(text)) seen.Add(word);
            index++;
        }
        seen.ExceptWith(SpecialTokens);
        if (seen.Count == 0)
            throw new IclPsException("CorpusEmpty", IclErrorKind.InvalidArgument, $"The corpus of {index} texts has no {level.ToString().ToLowerInvariant()} tokens to build a vocabulary from.", index);
        var ordered = level == SimpleTokenizerLevel.Char
            ? seen.OrderBy(s => Rune.GetRuneAt(s, 0).Value)
            : seen.Order(StringComparer.Ordinal);
        return Build(level, ordered);
    }

    /// <summary>Reads <c>iclps_tokenizer.json</c> from <paramref name="directory"/>.</summary>
    /// <exception cref="IclPsException">TokenizerNotFound for a missing file; TokenizerFileInvalid for anything that breaks the documented format.</exception>
    public static SimpleTokenizer Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        var bytes = TokenizerErrors.ReadFile(path);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return FromJson(doc.RootElement, path);
        }
        catch (JsonException e)
        {
            throw TokenizerErrors.FileInvalid(path, $"not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // JsonElement getters throw this when a value has the wrong JSON type.
            throw TokenizerErrors.FileInvalid(path, $"a field has the wrong type: {e.Message}", e);
        }
    }

    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length + 1);
        if (addBos && BosTokenId is int bos) ids.Add(bos);
        switch (Level)
        {
            case SimpleTokenizerLevel.Byte:
                foreach (var b in Encoding.UTF8.GetBytes(text)) ids.Add(_byteToId[b]);
                break;
            case SimpleTokenizerLevel.Char:
                foreach (var rune in text.EnumerateRunes()) ids.Add(_ids.GetValueOrDefault(rune.ToString(), UnknownTokenId));
                break;
            default:
                foreach (var word in SplitWords(text)) ids.Add(_ids.GetValueOrDefault(word, UnknownTokenId));
                break;
        }
        return ids;
    }

    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var parts = new List<string>();
        var pending = new List<byte>();
        foreach (var id in ids)
        {
            if (id < 0 || id >= _tokens.Length) throw TokenizerErrors.IdOutOfRange(id, Name);
            if (_idToByte[id] >= 0)
            {
                pending.Add((byte)_idToByte[id]);
                continue;
            }
            // Consecutive byte tokens form one UTF-8 run, so multi-byte characters decode whole.
            if (pending.Count > 0)
            {
                parts.Add(Encoding.UTF8.GetString([.. pending]));
                pending.Clear();
            }
            parts.Add(_tokens[id]);
        }
        if (pending.Count > 0) parts.Add(Encoding.UTF8.GetString([.. pending]));
        return string.Join(Level == SimpleTokenizerLevel.Word ? " " : "", parts);
    }

    /// <summary>Writes <c>iclps_tokenizer.json</c> in the format described on this class (it records no context length).</summary>
    public void Save(string directory, int? modelMaxLength = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteNumber("version", FormatVersion);
            w.WriteString("level", Level.ToString().ToLowerInvariant());
            w.WriteStartArray("tokens");
            foreach (var token in _tokens) w.WriteStringValue(token);
            w.WriteEndArray();
            w.WriteStartObject("specials");
            w.WriteNumber("pad", PadTokenId);
            w.WriteNumber("bos", BosTokenId!.Value);
            w.WriteNumber("eos", EosTokenId!.Value);
            w.WriteNumber("unk", UnknownTokenId);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(Path.Combine(directory, FileName), buffer.ToArray());
    }

    private static SimpleTokenizer Build(SimpleTokenizerLevel level, IEnumerable<string> regular) =>
        new(level, [.. SpecialTokens, .. regular], PadId, BosId, EosId, UnkId);

    private static string ByteToken(int b) => $"<0x{b:X2}>";

    private static string[] SplitWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    private static SimpleTokenizer FromJson(JsonElement root, string path)
    {
        JsonElement Field(JsonElement obj, string name, JsonValueKind kind)
        {
            if (obj.ValueKind != JsonValueKind.Object) throw TokenizerErrors.FileInvalid(path, "expected a JSON object.");
            if (!obj.TryGetProperty(name, out var value) || value.ValueKind != kind)
                throw TokenizerErrors.FileInvalid(path, $"field '{name}' is missing or not a {kind.ToString().ToLowerInvariant()}.");
            return value;
        }

        if (Field(root, "format", JsonValueKind.String).GetString() != FormatName)
            throw TokenizerErrors.FileInvalid(path, $"field 'format' is not '{FormatName}'.");
        var version = Field(root, "version", JsonValueKind.Number);
        if (!version.TryGetInt32(out var v) || v != FormatVersion)
            throw TokenizerErrors.FileInvalid(path, $"format version {version} is not supported (expected {FormatVersion}).");
        var levelName = Field(root, "level", JsonValueKind.String).GetString();
        var level = levelName switch
        {
            "byte" => SimpleTokenizerLevel.Byte,
            "char" => SimpleTokenizerLevel.Char,
            "word" => SimpleTokenizerLevel.Word,
            _ => throw TokenizerErrors.FileInvalid(path, $"level '{levelName}' is not byte, char or word."),
        };

        var tokens = Field(root, "tokens", JsonValueKind.Array).EnumerateArray().Select((t, i) =>
            t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } s
                ? s
                : throw TokenizerErrors.FileInvalid(path, $"token {i} is not a non-empty string.")).ToArray();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++)
            if (!ids.TryAdd(tokens[i], i)) throw TokenizerErrors.FileInvalid(path, $"token '{tokens[i]}' appears at ids {ids[tokens[i]]} and {i}.");

        var specialsElement = Field(root, "specials", JsonValueKind.Object);
        var specials = new[] { "pad", "bos", "eos", "unk" }.Select(name =>
        {
            var value = Field(specialsElement, name, JsonValueKind.Number);
            if (!value.TryGetInt32(out var id) || id < 0 || id >= tokens.Length)
                throw TokenizerErrors.FileInvalid(path, $"special '{name}' id {value} is outside the {tokens.Length} tokens.");
            return id;
        }).ToArray();
        if (specials.Distinct().Count() != specials.Length)
            throw TokenizerErrors.FileInvalid(path, $"the special ids {string.Join(", ", specials)} are not distinct.");

        var specialIds = specials.ToHashSet();
        for (var i = 0; i < tokens.Length; i++)
        {
            if (specialIds.Contains(i)) continue;
            var t = tokens[i];
            var ok = level switch
            {
                SimpleTokenizerLevel.Byte => t.Length == 6 && int.TryParse(t.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b) && t == ByteToken(b),
                SimpleTokenizerLevel.Char => Rune.DecodeFromUtf16(t, out _, out var used) == System.Buffers.OperationStatus.Done && used == t.Length,
                _ => !t.Any(char.IsWhiteSpace),
            };
            if (!ok) throw TokenizerErrors.FileInvalid(path, $"token {i} '{t}' is not a {levelName} token.");
        }
        if (level == SimpleTokenizerLevel.Byte && tokens.Length != 256 + specials.Length)
            throw TokenizerErrors.FileInvalid(path, $"a byte-level vocabulary has 256 byte tokens plus the specials, not {tokens.Length} tokens.");
        return new SimpleTokenizer(level, tokens, specials[0], specials[1], specials[2], specials[3]);
    }
}
