using IclPs.Engine.Models;
using IclPs.Engine.TaskVectors;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TaskVectors;

/// <summary>
/// Independent references for LTV tests: per-head outputs read from the model's own hook_result (not from hook_z and W_O as the
/// engine computes them) and injections built by explicit loops over heads.
/// </summary>
public static class LtvReference
{
    private const int Shots = PlantedHeadProblem.ReferenceShots;

    /// <summary>Options of a small planted run: mean activations over exactly the planted reference prompts, so theta* = the planted weight.</summary>
    public static LearnableTaskVectorOptions Small(HeadActivationSource source) => new()
    {
        ActivationSource = source,
        MeanPrompts = PlantedHeadProblem.ReferencePrompts,
        MeanShots = Shots,
        TrainingKind = TaskPromptKind.Clean,
        Shots = Shots,
        // One update per epoch keeps each run to a few dozen small passes.
        TrainPrompts = 64,
        ValidationPrompts = 32,
        BatchSize = 64,
        MaxEpochs = 40,
        Patience = 3,
        LearningRate = 0.1,
    };

    public static Tensor MeanZ(PlantedHeadProblem problem) =>
        MeanHeadActivations.Compute(problem, problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Train, Shots, PlantedHeadProblem.ReferencePrompts, 16, 0));

    /// <summary>Mean per-head output through W_O at the last position, [L, H, d_model], from the model's own hook_result.</summary>
    public static Tensor MeanHeadResults(PlantedHeadProblem problem)
    {
        var model = (RegressionModel)problem.Network;
        var layers = model.Config.Layers;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var sum = zeros(new long[] { layers, model.Config.Heads, model.Config.DModel }, dtype: model.DType);
        var count = 0;
        foreach (var batch in problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Train, Shots, PlantedHeadProblem.ReferencePrompts, 16, 0))
        {
            using (batch)
            using (var hooks = new HookSet().Capture("blocks.*.attn.hook_result", PositionFilter.Last))
            {
                model.Predict(batch.Inputs, batch.Mask, hooks);
                for (var l = 0; l < layers; l++) sum[l].add_(hooks.Captured[HookNames.Result(l)].sum(dim: 0));
                count += batch.Count;
            }
        }
        return (sum / count).MoveToOuterDisposeScope();
    }

    /// <summary>v_l = sum_h theta_{l,h} u_{l,h} by explicit loops, added at the last column.</summary>
    public static HookSet MeanHooks(Tensor headOutputs, Tensor theta)
    {
        var hooks = new HookSet();
        for (var l = 0; l < headOutputs.shape[0]; l++)
        {
            var v = zeros(headOutputs.shape[2], dtype: headOutputs.dtype);
            for (var h = 0; h < headOutputs.shape[1]; h++) v += theta[l, h].item<double>() * headOutputs[l, h];
            hooks.AddVectorAt(HookNames.ResidPost(l), hooks.Own(v), -1);
        }
        return hooks;
    }

    /// <summary>Adds sum_h theta_{l,h} (the same pass's hook_result of head h at the last position) to each block's output there.</summary>
    public static HookSet LiveHooks(TransformerModel model, Tensor theta)
    {
        var hooks = new HookSet();
        for (var l = 0; l < model.Config.Layers; l++)
        {
            var layer = l;
            Tensor? result = null;
            hooks.Edit(HookNames.Result(layer), x =>
            {
                result = x.select(1, -1).clone().DetachFromDisposeScope(); // [b, H, d_model]
                return x;
            });
            hooks.Edit(HookNames.ResidPost(layer), x =>
            {
                var v = zeros_like(x.select(1, -1));
                for (var h = 0; h < model.Config.Heads; h++) v += theta[layer, h].item<double>() * result!.select(1, h);
                result!.Dispose();
                var mask = zeros(1, x.shape[1], 1, dtype: x.dtype);
                mask[0, -1, 0] = tensor(1.0, dtype: x.dtype);
                return x + mask * v.unsqueeze(1);
            });
        }
        return hooks;
    }
}
