using IclPs.Engine.Models;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// a_{l,h}: the mean of every head's hook_z at the prediction position over a set of prompts (docs/science.md §5), and
/// its projection through W_O. Shared by function vectors and the LTV.
/// </summary>
public static class MeanHeadActivations
{
    /// <summary>Mean hook_z at the prediction column over all prompts of <paramref name="batches"/>: [L, H, d_head] on the model's device.</summary>
    public static Tensor Compute(TaskVectorProblem problem, IEnumerable<TaskPromptBatch> batches, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(batches);
        var config = problem.Network.Config;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sum = zeros(new long[] { config.Layers, config.Heads, config.DHead }, dtype: ScalarType.Float64, device: problem.Network.Device);
        long count = 0;
        foreach (var batch in batches)
        {
            using (batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var hooks = new HookSet().Capture("blocks.*.attn.hook_z", PositionFilter.Last);
                using var batchScope = NewDisposeScope();
                problem.Predict(batch, hooks);
                for (var l = 0; l < config.Layers; l++)
                    sum[l].add_(hooks.Captured[HookNames.Z(l)].to(ScalarType.Float64).sum(dim: 0)); // [b, H, d_head] -> [H, d_head]; a literal 0 alone would bind to sum(ScalarType)
                count += batch.Count;
            }
        }
        if (count == 0)
            throw new IclPsException(TaskVectorErrorIds.NotEnoughPrompts, IclErrorKind.InvalidArgument,
                "No prompts to average head activations over.", count);
        return (sum / count).to(problem.Network.DType).MoveToOuterDisposeScope();
    }

    /// <summary>Each head's mean output through W_O: [L, H, d_model] from mean activations [L, H, d_head].</summary>
    public static Tensor Project(TransformerModel model, Tensor meanZ)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(meanZ);
        using var scope = NewDisposeScope();
        var perLayer = Enumerable.Range(0, model.Config.Layers)
            .Select(l => einsum("hk,hkd->hd", meanZ[l], model.HeadOutputWeights(l)))
            .ToArray();
        return stack(perLayer).MoveToOuterDisposeScope();
    }
}
