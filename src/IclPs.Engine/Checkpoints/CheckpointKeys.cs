using System.Text.RegularExpressions;
using IclPs.Engine.Models;

namespace IclPs.Engine.Checkpoints;

/// <summary>
/// How keys stored in Hugging Face checkpoints map onto this engine's parameter names (which are the
/// Hugging Face names of GPT2LMHeadModel and LlamaForCausalLM, and the regression family's own names).
/// </summary>
internal static partial class CheckpointKeys
{
    public const string LmHead = "lm_head.weight";
    private const string Gpt2Prefix = "transformer.";
    private const string LlamaPrefix = "model.";

    /// <summary>
    /// The parameter a stored key fills, or null for keys that hold no parameter: GPT-2's causal-mask buffers
    /// (attn.bias, attn.masked_bias), LLaMA's rotary inv_freq buffer, and an lm_head.weight that a tied model takes from
    /// the embedding (transformers ignores it in that case too). Keys of a bare backbone lack the backbone prefix
    /// ("transformer." for GPT-2, as in the original OpenAI-style checkpoints; "model." for LLaMA), as transformers
    /// accepts too.
    /// </summary>
    public static string? ParameterName(string key, ModelConfig config)
    {
        // The regression family's names are its own (read_in., transformer., read_out.); only the GPT-2 mask buffers are skipped.
        if (config.Family == ModelFamily.Regression) return Gpt2MaskBuffer().IsMatch(key) ? null : key;
        if (key == LmHead) return config.TieEmbeddings ? null : LmHead;
        var (buffer, prefix) = config.Family == ModelFamily.Gpt2 ? (Gpt2MaskBuffer(), Gpt2Prefix) : (LlamaRotaryBuffer(), LlamaPrefix);
        if (buffer.IsMatch(key)) return null;
        return key.StartsWith(prefix, StringComparison.Ordinal) ? key : prefix + key;
    }

    [GeneratedRegex(@"^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$")]
    private static partial Regex Gpt2MaskBuffer();

    [GeneratedRegex(@"^(model\.)?layers\.\d+\.self_attn\.rotary_emb\.inv_freq$")]
    private static partial Regex LlamaRotaryBuffer();
}
