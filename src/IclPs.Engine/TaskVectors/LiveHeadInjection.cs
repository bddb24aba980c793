using IclPs.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// Adds sum_h theta_h * (z_h @ W_O[h]) to block <c>layer</c>'s output at one column, where z_h is the head's own activation
/// in the same forward pass: the LTV with per-prompt (live) activations. Gradients flow to theta and through z.
/// </summary>
public static class LiveHeadInjection
{
    /// <param name="theta">[H] weights of this layer's heads (may require grad).</param>
    public static void Register(HookSet hooks, TransformerModel model, int layer, Tensor theta, int column)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(theta);
        RegisterFromSamePass(hooks, HookNames.Z(layer), layer, column, (z, _) =>
        {
            var wo = model.HeadOutputWeights(layer); // [H, d_head, d_model]
            var weighted = z * theta.to(z.dtype, z.device).view(1, -1, 1);
            return einsum("bhk,hkd->bd", weighted, wo.to(z.dtype));
        });
    }

    /// <summary>
    /// Adds <paramref name="vector"/>(source, x) [b, d_model] to block <paramref name="layer"/>'s output x at <paramref name="column"/>,
    /// where source is the activation of <paramref name="sourceHook"/> (an earlier hook of the same block) at that column in the
    /// same pass. The source keeps its graph, so gradients flow through it.
    /// </summary>
    internal static void RegisterFromSamePass(HookSet hooks, string sourceHook, int layer, int column, Func<Tensor, Tensor, Tensor> vector)
    {
        Tensor? source = null;
        // The source hook runs before the block's resid_post, so the activation seen there belongs to the same pass.
        hooks.Edit(sourceHook, x =>
        {
            source?.Dispose();
            source = x.select(1, column < 0 ? x.shape[1] + column : column).DetachFromDisposeScope();
            return x;
        });
        hooks.Edit(HookNames.ResidPost(layer), x =>
        {
            if (source is null) throw new InvalidOperationException($"{sourceHook} did not run before {HookNames.ResidPost(layer)}.");
            var v = vector(source, x);
            source.Dispose();
            source = null;
            return x + HookSet.ColumnMask(x, column) * v.unsqueeze(1);
        });
    }
}
