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
        Tensor? z = null;
        // hook_z runs before the block's resid_post, so the z seen here belongs to the same pass.
        hooks.Edit(HookNames.Z(layer), x =>
        {
            z?.Dispose();
            z = x.select(1, column < 0 ? x.shape[1] + column : column).DetachFromDisposeScope(); // [b, H, d_head]
            return x;
        });
        hooks.Edit(HookNames.ResidPost(layer), x =>
        {
            if (z is null) throw new InvalidOperationException($"hook_z of layer {layer} did not run before its resid_post.");
            var wo = model.HeadOutputWeights(layer); // [H, d_head, d_model]
            var weighted = z * theta.to(z.dtype, z.device).view(1, -1, 1);
            var v = einsum("bhk,hkd->bd", weighted, wo.to(z.dtype));
            z.Dispose();
            z = null;
            var mask = zeros(1, x.shape[1], 1, dtype: x.dtype, device: x.device);
            mask[0, column < 0 ? x.shape[1] + column : column, 0] = tensor(1.0f, dtype: x.dtype);
            return x + mask * v.unsqueeze(1);
        });
    }
}
