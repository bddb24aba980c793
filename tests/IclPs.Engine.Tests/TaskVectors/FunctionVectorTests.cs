using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.TaskVectors;
using IclPs.Engine.Tests.Models;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TaskVectors;

/// <summary>The batched, prefix-cached indirect-effect sweep against patching full passes one head at a time, and the vector built from it.</summary>
public sealed class FunctionVectorTests
{
    public FunctionVectorTests() => TorchNativeLoader.EnsureLoaded();

    /// <summary>Todd's definition directly: one full forward pass per (prompt batch, layer, head) with HookSet.ReplaceHeadZ.</summary>
    private static double[,] NaiveEffects(TaskVectorProblem problem, Tensor meanZ, Func<IEnumerable<TaskPromptBatch>> prompts)
    {
        var config = problem.Network.Config;
        var sums = new double[config.Layers, config.Heads];
        var count = 0;
        using var _ = no_grad();
        foreach (var batch in prompts())
        {
            using (batch)
            using (var scope = NewDisposeScope())
            {
                var clean = problem.Score(problem.Predict(batch, null), batch);
                for (var l = 0; l < config.Layers; l++)
                for (var h = 0; h < config.Heads; h++)
                {
                    using var hooks = new HookSet().ReplaceHeadZ(l, h, meanZ[l, h]);
                    sums[l, h] += (problem.Score(problem.Predict(batch, hooks), batch) - clean).sum().item<double>();
                }
                count += batch.Count;
            }
        }
        for (var l = 0; l < config.Layers; l++)
        for (var h = 0; h < config.Heads; h++) sums[l, h] /= count;
        return sums;
    }

    /// <summary>The whole effect table agrees to relative L2 <paramref name="tolerance"/>, and is not trivially zero.</summary>
    private static void AssertSameEffects(TaskVectorProblem problem, Func<IEnumerable<TaskPromptBatch>> prompts, double tolerance)
    {
        using var scope = NewDisposeScope();
        var meanZ = MeanHeadActivations.Compute(problem, problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Train, 3, 6, 3, seed: 1));
        var naive = NaiveEffects(problem, meanZ, prompts);
        var batched = FunctionVector.IndirectEffects(problem, meanZ, prompts());
        Assert.Equal(naive.Length, batched.Count);
        var expected = batched.Select(e => naive[e.Layer, e.Head]).ToArray();
        Assert.Contains(expected, v => v != 0);
        Numerics.AssertClose(expected, batched.Select(e => e.AverageIndirectEffect).ToArray(), tolerance, "indirect effects");
    }

    [Theory]
    [InlineData("gpt2-tiny")]
    [InlineData("llama-tiny")]
    public void Batched_indirect_effects_equal_one_head_at_a_time_on_text(string name)
    {
        using var model = TaskVectorTestSetup.TextModel(name);
        var problem = TaskVectorTestSetup.TextProblem(model);
        // Batches of 3 of different lengths, so left padding is exercised.
        AssertSameEffects(problem, () => problem.Prompts(TaskPromptKind.ShuffledLabels, TaskDataSplit.Train, 3, 5, 3, seed: 2), 1e-5);
    }

    [Fact]
    public void Batched_indirect_effects_equal_one_head_at_a_time_on_regression()
    {
        using var model = TaskVectorTestSetup.RegressionModel();
        var problem = TaskVectorTestSetup.RegressionProblem(model);
        AssertSameEffects(problem, () => problem.Prompts(TaskPromptKind.ShuffledLabels, TaskDataSplit.Train, 4, 5, 3, seed: 2), 1e-5);
    }

    [Fact]
    public void The_vector_sums_the_projected_means_of_the_top_heads_and_is_added_at_a_third_of_the_depth()
    {
        using var model = TaskVectorTestSetup.TextModel("gpt2-tiny");
        var problem = TaskVectorTestSetup.TextProblem(model);
        var options = new FunctionVectorOptions { MeanPrompts = 6, MeanShots = 3, EffectPrompts = 4, EffectShots = 3, TopK = 3, BatchSize = 4, Seed = 5 };
        var result = FunctionVector.Build(problem, options);
        var fv = result.Vector;

        Assert.Equal(8, result.Effects.Count);
        var expectedTop = result.Effects.OrderByDescending(e => e.AverageIndirectEffect).Take(3).Select(e => (e.Layer, e.Head)).ToArray();
        Assert.Equal(expectedTop, fv.Heads.Select(h => (h.Layer, h.Head)));
        Assert.All(fv.Heads, h => Assert.Equal(1.0, h.Weight));
        Assert.Equal(TaskVectorInjection.Add, fv.Injection);
        Assert.Equal(1, fv.Vectors.Single().Layer);                                       // round(2 / 3)

        using var scope = NewDisposeScope();
        var meanZ = MeanHeadActivations.Compute(problem, problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Train, 3, 6, 4, seed: 5));
        using (var _ = no_grad())
        using (var batch = problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Train, 3, 6, 6, seed: 5).Single())
        using (var hooks = new HookSet().Capture("blocks.*.attn.hook_z"))
        {
            problem.Predict(batch, hooks);
            var manual = stack(Enumerable.Range(0, 2).Select(l => hooks.Captured[HookNames.Z(l)].mean([0])).ToArray());
            Numerics.AssertClose(Numerics.ToDoubles(manual), Numerics.ToDoubles(meanZ), 1e-6, "mean head activations");
        }
        // Each head's mean through its own W_O slice (checked against the float64 reference in ReferenceAgreementTests).
        var expected = expectedTop.Select(t => meanZ[t.Layer, t.Head].matmul(model.Network.HeadOutputWeights(t.Layer)[t.Head])).Aggregate((a, b) => a + b);
        Numerics.AssertClose(Numerics.ToDoubles(expected), fv.Vectors.Single().Values.Select(v => (double)v).ToArray(), 1e-6, "function vector");
        Assert.All(fv.Heads, h => Numerics.AssertClose(Numerics.ToDoubles(meanZ[h.Layer, h.Head]), h.MeanActivation!.Select(v => (double)v).ToArray(), 1e-7, "mean activation"));
        Assert.Equal("6", fv.Provenance.Prompts.ToString());
        Assert.Equal("4", fv.Provenance.Settings["effect_prompts"]);
    }

    [Fact]
    public void Layer_places_the_vector_and_a_layer_past_the_model_is_an_invalid_option()
    {
        using var model = TaskVectorTestSetup.TextModel("gpt2-tiny");
        var problem = TaskVectorTestSetup.TextProblem(model);
        var options = new FunctionVectorOptions { MeanPrompts = 4, MeanShots = 3, EffectPrompts = 2, EffectShots = 3, TopK = 2, BatchSize = 4, Seed = 5 };

        var atZero = FunctionVector.Build(problem, options with { Layer = 0 }).Vector;
        var atDefault = FunctionVector.Build(problem, options).Vector;
        Assert.Equal(0, atZero.Vectors.Single().Layer);
        Assert.Equal(1, atDefault.Vectors.Single().Layer);
        // Only the placement moves: the same heads, the same summed vector.
        Assert.Equal(atDefault.Vectors.Single().Values, atZero.Vectors.Single().Values);

        var e = Assert.Throws<IclPsException>(() => FunctionVector.Build(problem, options with { Layer = 2 }));
        Assert.Equal(TaskVectorErrorIds.InvalidOption, e.ErrorId);
        Assert.Equal(2, e.Target);
    }

    /// <summary>
    /// A task carried by one head (its z replaced by its mean makes every prompt exact, see <see cref="PlantedTarget.MeanActivation"/>),
    /// every other head left writing to the residual stream: no other head's patch can reach zero loss, so the planted head has the
    /// largest indirect effect and is the function vector's top head, wherever it sits.
    /// </summary>
    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 1)]
    public void The_head_that_carries_a_planted_task_ranks_first(int layer, int head)
    {
        using var problem = PlantedHeadProblem.Create(silenceOtherHeads: false, layer: layer, head: head, target: PlantedTarget.MeanActivation);
        var options = new FunctionVectorOptions
        {
            MeanPrompts = PlantedHeadProblem.ReferencePrompts, MeanShots = PlantedHeadProblem.ReferenceShots, Seed = problem.ReferenceSeed,
            EffectPrompts = 16, EffectShots = PlantedHeadProblem.ReferenceShots, TopK = 1, BatchSize = 8,
        };
        var result = FunctionVector.Build(problem, options);

        var ranked = result.Effects.OrderByDescending(e => e.AverageIndirectEffect).ToArray();
        Assert.Equal((layer, head), (ranked[0].Layer, ranked[0].Head));
        Assert.True(ranked[0].AverageIndirectEffect > ranked[1].AverageIndirectEffect + 1e-6,
            $"planted effect {ranked[0].AverageIndirectEffect} does not clear the runner-up {ranked[1].AverageIndirectEffect}");
        Assert.Equal((layer, head), (result.Vector.Heads[0].Layer, result.Vector.Heads[0].Head));
    }
}
