using System.Globalization;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.TaskVectors;
using IclPs.Engine.Tests.Models;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TaskVectors;

public sealed class HendelTaskVectorTests
{
    public HendelTaskVectorTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void The_vector_is_the_mean_last_token_block_output_of_the_best_validation_layer()
    {
        using var model = TaskVectorTestSetup.TextModel("gpt2-tiny");
        var problem = TaskVectorTestSetup.TextProblem(model);
        var options = new HendelTaskVectorOptions { Shots = 3, Prompts = 4, ValidationPrompts = 5, BatchSize = 4, Seed = 2 };
        var vector = HendelTaskVector.Build(problem, options);

        Assert.Equal(TaskVectorMethod.TaskVector, vector.Method);
        Assert.Equal(TaskVectorInjection.Replace, vector.Injection);
        var layer = vector.Vectors.Single().Layer;
        var settings = vector.Provenance.Settings;
        var scores = Enumerable.Range(0, 2).Select(l => double.Parse(settings[$"validation_Accuracy.layer{l}"], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(scores.Max(), scores[layer]);
        Assert.Equal(5, vector.Provenance.ValidationPrompts);

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var batch = problem.Prompts(TaskPromptKind.DummyQuery, TaskDataSplit.Train, 3, 4, 4, seed: 2).Single();
        using var hooks = new HookSet().Capture("blocks.*.hook_resid_post");
        problem.Predict(batch, hooks);
        Numerics.AssertClose(Numerics.ToDoubles(hooks.Captured[HookNames.ResidPost(layer)].mean([0])), vector.Vectors.Single().Values.Select(v => (double)v).ToArray(), 1e-6, "mean block output");

        // Every layer's validation score is what replacing that layer's last hidden state by its mean block output gives,
        // so the choice above is made on the right numbers.
        using var zeroShot = problem.Prompts(TaskPromptKind.ZeroShot, TaskDataSplit.Valid, 3, 5, 5, seed: 2).Single();
        for (var l = 0; l < 2; l++)
        {
            var mean = hooks.Captured[HookNames.ResidPost(l)].mean([0]).data<float>().ToArray();
            using var inject = TaskVectorTestSetup.Vector(model.Network.Config, TaskVectorInjection.Replace, (l, mean)).CreateHooks(model.Network, zeroShot.PredictionColumn);
            var metric = problem.Metric(problem.Predict(zeroShot, inject), zeroShot).mean().item<float>();
            Assert.Equal(scores[l], metric, 6);
        }
    }

    [Fact]
    public void The_layer_option_overrides_the_validation_choice()
    {
        using var model = TaskVectorTestSetup.TextModel("llama-tiny");
        var problem = TaskVectorTestSetup.TextProblem(model);
        var vector = HendelTaskVector.Build(problem, new HendelTaskVectorOptions { Shots = 2, Prompts = 2, Layer = 1 });
        Assert.Equal(1, vector.Vectors.Single().Layer);
        Assert.Equal("option", vector.Provenance.Settings["layer_selection"]);
        var e = Assert.Throws<IclPsException>(() => HendelTaskVector.Build(problem, new HendelTaskVectorOptions { Layer = 2 }));
        Assert.Equal(TaskVectorErrorIds.InvalidOption, e.ErrorId);
    }
}
