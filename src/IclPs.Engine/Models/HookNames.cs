namespace IclPs.Engine.Models;

/// <summary>Capture and intervention point names, as TransformerLens spells them.</summary>
public static class HookNames
{
    public const string Embed = "hook_embed";
    public const string PosEmbed = "hook_pos_embed";
    public const string FinalNormalized = "ln_final.hook_normalized";

    public static string ResidPre(int layer) => $"blocks.{layer}.hook_resid_pre";
    public static string ResidMid(int layer) => $"blocks.{layer}.hook_resid_mid";
    public static string ResidPost(int layer) => $"blocks.{layer}.hook_resid_post";
    public static string AttnOut(int layer) => $"blocks.{layer}.hook_attn_out";
    public static string MlpOut(int layer) => $"blocks.{layer}.hook_mlp_out";
    /// <summary>[b, pos, H, d_head]: per-head attention output before W_O.</summary>
    public static string Z(int layer) => $"blocks.{layer}.attn.hook_z";
    /// <summary>[b, pos, H, d_model]: per-head output through W_O; only computed when a hook asks for it.</summary>
    public static string Result(int layer) => $"blocks.{layer}.attn.hook_result";
    /// <summary>[b, H, query pos, key pos]: attention probabilities; only computed when a hook asks for it.</summary>
    public static string Pattern(int layer) => $"blocks.{layer}.attn.hook_pattern";

    /// <summary>Error id of a hook name (or pattern) that names no hook point of the model at hand.</summary>
    public const string UnknownHookErrorId = "UnknownHookName";

    /// <summary>
    /// Every name a GPT-2-style model (GPT-2 or the regression family) of <paramref name="layers"/> layers exposes, in
    /// forward order. LLaMA has no <see cref="PosEmbed"/>: use <see cref="For(ModelConfig)"/> for the names of a given model.
    /// </summary>
    public static IEnumerable<string> All(int layers) => All(ModelFamily.Gpt2, layers);

    /// <summary>Every name a model of <paramref name="config"/>'s family and depth exposes, in forward order.</summary>
    public static IReadOnlyList<string> For(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return All(config.Family, config.Layers).ToArray();
    }

    /// <summary>
    /// Checks that <paramref name="nameOrPattern"/> (an exact name, or a pattern with '*') names at least one of
    /// <paramref name="valid"/>; otherwise throws an <see cref="IclPsException"/> (<see cref="UnknownHookErrorId"/>) listing
    /// the nearest valid names by edit distance. <paramref name="model"/> describes the model in the message.
    /// </summary>
    public static void Resolve(string nameOrPattern, IReadOnlyCollection<string> valid, string model, Func<string, bool>? matches = null)
    {
        ArgumentNullException.ThrowIfNull(nameOrPattern);
        ArgumentNullException.ThrowIfNull(valid);
        var found = matches is null ? valid.Contains(nameOrPattern) : valid.Any(matches);
        if (found) return;
        var what = nameOrPattern.Contains('*') ? "Hook pattern" : "Hook";
        throw new IclPsException(UnknownHookErrorId, IclErrorKind.InvalidArgument,
            $"{what} '{nameOrPattern}' matches no hook point of {model}; nearest valid names: {string.Join(", ", Nearest(nameOrPattern, valid).Select(n => $"'{n}'"))}. " +
            $"It has {valid.Count} hook points (HookNames.For(config) lists them).", nameOrPattern);
    }

    /// <summary>The <paramref name="count"/> names of <paramref name="valid"/> nearest <paramref name="name"/> by edit distance (ties in the given order).</summary>
    public static IReadOnlyList<string> Nearest(string name, IEnumerable<string> valid, int count = 3) =>
        valid.Select((v, i) => (Name: v, Index: i, Distance: EditDistance(name, v)))
            .OrderBy(v => v.Distance).ThenBy(v => v.Index).Take(count).Select(v => v.Name).ToList();

    /// <summary>Levenshtein distance: the fewest single-character insertions, deletions and substitutions from a to b.</summary>
    public static int EditDistance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static IEnumerable<string> All(ModelFamily family, int layers)
    {
        yield return Embed;
        // LLaMA's positions are rotary, applied to queries and keys: there is no position embedding to hook.
        if (family != ModelFamily.Llama) yield return PosEmbed;
        for (var l = 0; l < layers; l++)
        {
            yield return ResidPre(l);
            yield return Pattern(l);
            yield return Z(l);
            yield return Result(l);
            yield return AttnOut(l);
            yield return ResidMid(l);
            yield return MlpOut(l);
            yield return ResidPost(l);
        }
        yield return FinalNormalized;
    }

    /// <summary>Per-layer names precomputed once per model, so the forward pass allocates no strings.</summary>
    internal sealed record LayerNames(string ResidPre, string ResidMid, string ResidPost, string AttnOut, string MlpOut, string Z, string Result, string Pattern)
    {
        public static LayerNames For(int l) => new(HookNames.ResidPre(l), HookNames.ResidMid(l), HookNames.ResidPost(l), HookNames.AttnOut(l), HookNames.MlpOut(l), HookNames.Z(l), HookNames.Result(l), HookNames.Pattern(l));
    }
}
