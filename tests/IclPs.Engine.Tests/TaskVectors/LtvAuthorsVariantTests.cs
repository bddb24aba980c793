using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.TaskVectors;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TaskVectors;

/// <summary>
/// The authors' variant against a literal re-enactment of their code (zero-padded chunks through the full output projection,
/// bias included), its documented difference from the formula, and vectors that inject what training injected.
/// </summary>
public sealed class LtvAuthorsVariantTests
{
    public LtvAuthorsVariantTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void Mean_variant_scales_chunks_of_the_projected_mean_output_and_differs_from_the_formula_by_more_than_the_bias()
    {
        using var problem = PlantedHeadProblem.Create(silenceOtherHeads: false, dtype: ScalarType.Float64);
        var model = problem.Network;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var meanZ = LtvReference.MeanZ(problem);
        var projected = MeanAttentionOutput(problem); // [L, d_model]: mean hook_attn_out, = out_proj(mean z) by linearity
        var theta = randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(2, CPU));

        var authors = LtvAuthorsVariant.LayerVectors(model, meanZ, theta);

        for (var l = 0; l < 2; l++)
            for (var h = 0; h < 4; h++)
            {
                var chunk = authors[l].narrow(0, 4 * h, 4);
                Assert.True(chunk.allclose(theta[l, h] * projected[l].narrow(0, 4 * h, 4), rtol: 1e-10, atol: 1e-12), $"layer {l} chunk {h}");
            }
        // With every weight 1 the formula gives sum_h a_h W_O[h] and the authors' code that plus b_O; otherwise they part.
        var ones = ones_like(theta);
        var formulaOnes = einsum("lh,lhd->ld", ones, LtvReference.MeanHeadResults(problem));
        var bias = stack(Enumerable.Range(0, 2).Select(l => Parameter(model, $"transformer.h.{l}.attn.c_proj.bias")).ToArray());
        Assert.True((LtvAuthorsVariant.LayerVectors(model, meanZ, ones) - formulaOnes).allclose(bias, rtol: 1e-10, atol: 1e-12));
        var formula = einsum("lh,lhd->ld", theta, LtvReference.MeanHeadResults(problem));
        Assert.True((authors - formula - bias).abs().max().item<double>() > 0.1);
    }

    [Fact]
    public void Live_variant_applies_the_output_projection_to_chunks_of_the_projected_output_again()
    {
        using var problem = PlantedHeadProblem.Create(silenceOtherHeads: false, dtype: ScalarType.Float64);
        var model = problem.Network;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var batch = problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Valid, 3, 8, 8, seed: 1).Single();
        var theta = randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(3, CPU));

        Tensor Run(HookSet hooks)
        {
            using (hooks) return problem.Predict(batch, hooks);
        }
        var variant = Run(LearnableTaskVector.CreateHooks(model, theta, null, batch.PredictionColumn, authorsVariant: true));
        var reference = Run(AuthorsCodeLiveHooks(model, theta));
        var formula = Run(LearnableTaskVector.CreateHooks(model, theta, null, batch.PredictionColumn));

        Assert.True(variant.allclose(reference, rtol: 1e-10, atol: 1e-12));
        Assert.True((variant - formula).abs().max().item<double>() > 1e-2);
    }

    [Theory]
    [InlineData(HeadActivationSource.Mean, false)]
    [InlineData(HeadActivationSource.Mean, true)]
    [InlineData(HeadActivationSource.Live, false)]
    [InlineData(HeadActivationSource.Live, true)]
    public void A_trained_vector_injects_what_training_injected(HeadActivationSource source, bool authorsVariant)
    {
        using var problem = PlantedHeadProblem.Create(silenceOtherHeads: false);
        var model = problem.Network;
        var vector = LearnableTaskVector.Train(problem, LtvReference.Small(source) with { MaxEpochs = 1, Init = LtvThetaInit.Normal, AuthorsVariant = authorsVariant });
        Assert.Equal(authorsVariant, vector.AuthorsVariant);
        Assert.Contains(authorsVariant ? "authors' variant" : "Add", vector.ToString());

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var batch = problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Test, 3, 8, 8, seed: 1).Single();
        var theta = tensor(vector.Heads.Select(h => (float)h.Weight).ToArray(), new long[] { 2, 4 });
        var meanZ = source == HeadActivationSource.Mean
            ? tensor(vector.Heads.SelectMany(h => h.MeanActivation!).ToArray(), new long[] { 2, 4, 4 })
            : null;
        Tensor viaVector, viaTraining;
        using (var hooks = vector.CreateHooks(model, batch.PredictionColumn)) viaVector = problem.Predict(batch, hooks);
        using (var hooks = LearnableTaskVector.CreateHooks(model, theta, meanZ, batch.PredictionColumn, authorsVariant)) viaTraining = problem.Predict(batch, hooks);
        Assert.True(viaVector.allclose(viaTraining, rtol: 1e-5, atol: 1e-6));
    }

    /// <summary>Mean hook_attn_out at the last position over the mean-activation prompts: [L, d_model].</summary>
    private static Tensor MeanAttentionOutput(PlantedHeadProblem problem)
    {
        using var batch = problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Train, PlantedHeadProblem.ReferenceShots, PlantedHeadProblem.ReferencePrompts, 64, 0).Single();
        using var hooks = new HookSet().Capture("blocks.*.hook_attn_out", PositionFilter.Last);
        problem.Predict(batch, hooks);
        return stack(Enumerable.Range(0, 2).Select(l => hooks.Captured[HookNames.AttnOut(l)].mean(new long[] { 0 })).ToArray());
    }

    /// <summary>
    /// The authors' regression code, literally: each d_head-wide chunk of the projected attention output at the last position,
    /// zero-padded to d_model at its own slot, through the full output projection (Conv1D: x W + b), weighted and summed.
    /// </summary>
    private static HookSet AuthorsCodeLiveHooks(TransformerModel model, Tensor theta)
    {
        var hooks = new HookSet();
        for (var l = 0; l < 2; l++)
        {
            var layer = l;
            var weight = Parameter(model, $"transformer.h.{layer}.attn.c_proj.weight");
            var bias = Parameter(model, $"transformer.h.{layer}.attn.c_proj.bias");
            Tensor? attnOut = null;
            hooks.Edit(HookNames.AttnOut(layer), x =>
            {
                attnOut = x.select(1, -1).clone().DetachFromDisposeScope();
                return x;
            });
            hooks.Edit(HookNames.ResidPost(layer), x =>
            {
                var v = zeros_like(attnOut!);
                for (var h = 0; h < 4; h++)
                {
                    var padded = zeros_like(attnOut!);
                    padded.narrow(1, 4 * h, 4).copy_(attnOut!.narrow(1, 4 * h, 4));
                    v += theta[layer, h].item<double>() * (padded.matmul(weight) + bias);
                }
                attnOut!.Dispose();
                var mask = zeros(1, x.shape[1], 1, dtype: x.dtype);
                mask[0, -1, 0] = tensor(1.0, dtype: x.dtype);
                return x + mask * v.unsqueeze(1);
            });
        }
        return hooks;
    }

    private static Tensor Parameter(TransformerModel model, string name) => model.CheckpointTensors().Single(p => p.Name == name).Tensor;
}
