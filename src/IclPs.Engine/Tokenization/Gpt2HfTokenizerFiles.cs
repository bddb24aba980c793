using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace IclPs.Engine.Tokenization;

/// <summary>
/// The JSON files with which Hugging Face transformers and tokenizers describe a GPT-2 byte-level BPE beside its
/// vocab.json and merges.txt, with the field names and values GPT2Tokenizer and GPT2TokenizerFast use for GPT-2.
/// </summary>
/// <remarks>
/// Settings that match how <see cref="Gpt2BpeTokenizer"/> encodes and decodes: no prefix space, no BOS added,
/// "&lt;|endoftext|&gt;" (when the vocabulary has it) as BOS, EOS and unknown token and matched whole inside text, and
/// no clean-up of spaces before punctuation on decoding, so decoding gives back the encoded text in both.
/// </remarks>
internal static class Gpt2HfTokenizerFiles
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>tokenizer_config.json: the tokenizer class, its special tokens and the model's context length.</summary>
    public static byte[] TokenizerConfig(string? endOfText, int? endOfTextId, int? modelMaxLength) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("tokenizer_class", "GPT2Tokenizer");
        w.WriteBoolean("add_bos_token", false);
        w.WriteBoolean("add_prefix_space", false);
        w.WriteStartObject("added_tokens_decoder");
        if (endOfText is not null)
        {
            w.WritePropertyName(endOfTextId!.Value.ToString(CultureInfo.InvariantCulture));
            WriteAddedToken(w, endOfText, id: null);
        }
        w.WriteEndObject();
        WriteSpecialTokens(w, endOfText);
        w.WriteBoolean("clean_up_tokenization_spaces", false);
        w.WriteString("errors", "replace");
        if (modelMaxLength is int max) w.WriteNumber("model_max_length", max);
        w.WriteEndObject();
    });

    /// <summary>special_tokens_map.json: BOS, EOS and unknown token (an empty object for a vocabulary without "&lt;|endoftext|&gt;").</summary>
    public static byte[] SpecialTokensMap(string? endOfText) => Write(w =>
    {
        w.WriteStartObject();
        if (endOfText is not null) WriteSpecialTokens(w, endOfText);
        w.WriteEndObject();
    });

    /// <summary>tokenizer.json: the tokenizers library's BPE model with GPT-2's byte-level pre-tokenizer, post-processor and decoder.</summary>
    public static byte[] TokenizerJson(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<string> merges, string? endOfText, int? endOfTextId) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");
        w.WriteStartArray("added_tokens");
        if (endOfText is not null) WriteAddedToken(w, endOfText, endOfTextId);
        w.WriteEndArray();
        w.WriteNull("normalizer");
        WriteByteLevel(w, "pre_tokenizer", addPrefixSpace: false, trimOffsets: true);
        WriteByteLevel(w, "post_processor", addPrefixSpace: true, trimOffsets: false);
        WriteByteLevel(w, "decoder", addPrefixSpace: true, trimOffsets: true);
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteString("continuing_subword_prefix", "");
        w.WriteString("end_of_word_suffix", "");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteStartObject("vocab");
        foreach (var (token, id) in vocab.OrderBy(v => v.Value)) w.WriteNumber(token, id);
        w.WriteEndObject();
        // "left right" strings: the form every version of the tokenizers library reads.
        w.WriteStartArray("merges");
        foreach (var merge in merges) w.WriteStringValue(merge);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    });

    private static void WriteSpecialTokens(Utf8JsonWriter w, string? endOfText)
    {
        foreach (var name in new[] { "bos_token", "eos_token", "unk_token" })
        {
            if (endOfText is null) w.WriteNull(name);
            else w.WriteString(name, endOfText);
        }
    }

    /// <summary>An added-token entry; tokenizer.json's carries the id, tokenizer_config.json's is keyed by it.</summary>
    private static void WriteAddedToken(Utf8JsonWriter w, string content, int? id)
    {
        w.WriteStartObject();
        if (id is int value) w.WriteNumber("id", value);
        w.WriteString("content", content);
        w.WriteBoolean("single_word", false);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("normalized", true);
        w.WriteBoolean("special", true);
        w.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter w, string name, bool addPrefixSpace, bool trimOffsets)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", addPrefixSpace);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", true);
        w.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options)) body(w);
        return buffer.ToArray();
    }
}
