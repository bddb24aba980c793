using IclPs.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// The LTV as the authors' code (Saglam et al. 2025) builds v_l, which deviates from the paper's formula
/// v_l = sum_h theta_{l,h} (a_{l,h} @ W_O[h]) (docs/science.md §5). Offered only when asked for
/// (<see cref="LearnableTaskVectorOptions.AuthorsVariant"/>) and labelled on the result (<see cref="TaskVector.AuthorsVariant"/>).
/// <list type="bullet">
/// <item>Mean activations (their language code): the mean activations of all heads are concatenated and passed through
/// the layer's output projection, bias included, giving the already-projected attention output o_l = sum_h a_{l,h} W_O[h] + b_O;
/// theta_{l,h} then scales the h-th contiguous d_head-wide chunk of o_l:
/// v_l[h d_head .. (h+1) d_head) = theta_{l,h} o_l[h d_head .. (h+1) d_head). A chunk of the projected output is not head h's
/// contribution: every head writes into every chunk through W_O.</item>
/// <item>Live activations (their regression code): the prompt's attention output at the prediction position, already projected
/// (o = sum_h z_h W_O[h] + b_O), is cut into H contiguous chunks; each chunk is zero-padded to d_model at its own slot and passed
/// through the output projection again, bias included, so W_O is applied twice: v_l = sum_h theta_{l,h} (o_chunk_h W_O[h] + b_O).</item>
/// </list>
/// Not reproduced: their regression code takes the activations from a separate no-grad pass over the prompt cut to the training
/// length (here, as for the formula, they come from the same pass, at the prediction position); their early-stopping counter
/// never resets on improvement (here patience counts epochs since the best one).
/// </summary>
public static class LtvAuthorsVariant
{
    /// <summary>Per-layer vectors [L, d_model] from mean activations <paramref name="meanZ"/> [L, H, d_head] and theta [L, H]; the graph to theta is kept.</summary>
    public static Tensor LayerVectors(TransformerModel model, Tensor meanZ, Tensor theta)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(meanZ);
        ArgumentNullException.ThrowIfNull(theta);
        using var scope = NewDisposeScope();
        var projected = ProjectedMeanOutputs(model, meanZ).to(theta.dtype);
        return ScaleChunks(projected, theta).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// o_l = sum_h a_{l,h} W_O[h] + b_O, the output projection of the concatenated mean activations: [L, d_model] from
    /// <paramref name="meanZ"/> [L, H, d_head]. Model data, computed without a graph; it does not depend on theta.
    /// </summary>
    internal static Tensor ProjectedMeanOutputs(TransformerModel model, Tensor meanZ)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var layers = new Tensor[model.Config.Layers];
        for (var l = 0; l < layers.Length; l++)
        {
            var projected = einsum("hk,hkd->d", meanZ[l], model.HeadOutputWeights(l));
            layers[l] = model.HeadOutputBias(l) is { } bias ? projected + bias : projected;
        }
        return stack(layers).MoveToOuterDisposeScope();
    }

    /// <summary>v_l [L, d_model]: theta_{l,h} scales the h-th d_head-wide chunk of <paramref name="projected"/> o_l [L, d_model] (theta's dtype); the graph to theta is kept.</summary>
    internal static Tensor ScaleChunks(Tensor projected, Tensor theta)
    {
        var heads = theta.shape[1];
        var dHead = projected.shape[1] / heads;
        var layers = new Tensor[theta.shape[0]];
        // Layer by layer, as the authors' code scales them.
        for (var l = 0; l < layers.Length; l++)
            layers[l] = (projected[l].view(heads, dHead) * theta[l].view(heads, 1)).reshape(-1);
        return stack(layers);
    }

    /// <summary>
    /// Adds sum_h theta_h (chunk_h(o) W_O[h] + b_O) to block <paramref name="layer"/>'s output at <paramref name="column"/>, where o is
    /// the same pass's projected attention output there; gradients flow to <paramref name="theta"/> [H] and through o.
    /// </summary>
    public static void RegisterLive(HookSet hooks, TransformerModel model, int layer, Tensor theta, int column)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(theta);
        var (heads, dHead) = (model.Config.Heads, model.Config.DHead);
        LiveHeadInjection.RegisterFromSamePass(hooks, HookNames.AttnOut(layer), layer, column, (attnOut, x) =>
        {
            var chunks = attnOut.view(attnOut.shape[0], heads, dHead); // [b, H, d_head]
            var twice = einsum("bhk,hkd->bhd", chunks, model.HeadOutputWeights(layer).to(x.dtype));
            if (model.HeadOutputBias(layer) is { } bias) twice = twice + bias.to(x.dtype);
            return (twice * theta.to(x.dtype, x.device).view(1, heads, 1)).sum(1);
        });
    }
}
