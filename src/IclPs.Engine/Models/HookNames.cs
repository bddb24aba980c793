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

    /// <summary>Every name a model of <paramref name="layers"/> layers exposes, in forward order.</summary>
    public static IEnumerable<string> All(int layers)
    {
        yield return Embed;
        yield return PosEmbed;
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
