using System.Globalization;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Prompting;
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

    [Fact]
    public void A_per_example_vector_averages_its_own_demonstrations_with_distinct_dummy_queries()
    {
        using var model = TaskVectorTestSetup.TextModel("gpt2-tiny");
        var problem = TaskVectorTestSetup.TextProblem(model);
        var shown = problem.BuildPrompts(TaskPromptKind.Clean, TaskDataSplit.Test, 4, 1, seed: 9)[0].Demonstrations;
        var vector = HendelTaskVector.Build(problem, new HendelTaskVectorOptions { Demonstrations = shown, Prompts = 2, Layer = 1, Seed = 5 });

        var prompts = problem.BuildDummyQueryPrompts(shown, 2, 5);
        Assert.Equal(2, prompts.Count);
        Assert.All(prompts, p => Assert.Equal(shown, p.Demonstrations));
        Assert.NotEqual(prompts[0].Query.Input, prompts[1].Query.Input);
        Assert.All(prompts, p => Assert.DoesNotContain(p.Query.Input, shown.Select(d => d.Input)));
        Assert.Equal(4, vector.Provenance.Shots);
        Assert.Equal(2, vector.Provenance.Prompts);

        // Reference: each prompt run alone, unpadded, its last-token block output averaged by hand.
        var expected = new double[model.Network.Config.DModel];
        using var _ = no_grad();
        foreach (var prompt in prompts)
        {
            using var scope = NewDisposeScope();
            using var batch = problem.EncodePrompts([prompt]);
            using var hooks = new HookSet().Capture("blocks.1.hook_resid_post", PositionFilter.Last);
            problem.Predict(batch, hooks);
            var values = Numerics.ToDoubles(hooks.Captured[HookNames.ResidPost(1)][0]);
            for (var j = 0; j < expected.Length; j++) expected[j] += values[j] / prompts.Count;
        }
        Numerics.AssertClose(expected, vector.Vectors.Single().Values.Select(v => (double)v).ToArray(), 1e-5, "per-example mean block output");
    }

    [Fact]
    public void A_per_example_layer_is_chosen_on_validation_queries_with_their_own_vectors()
    {
        using var model = TaskVectorTestSetup.TextModel("gpt2-tiny");
        var problem = TaskVectorTestSetup.TextProblem(model);
        var shown = problem.BuildPrompts(TaskPromptKind.Clean, TaskDataSplit.Test, 3, 1, seed: 1)[0].Demonstrations;
        var options = new HendelTaskVectorOptions { Demonstrations = shown, Shots = 3, Prompts = 2, ValidationPrompts = 4, Seed = 7 };
        var vector = HendelTaskVector.Build(problem, options);
        Assert.Equal(4, vector.Provenance.ValidationPrompts);

        // Reference: for each validation query, the vector of its own clean demonstrations (built with a fixed layer, the
        // path tested above) replaces each layer on its zero-shot prompt; the probability of the answer is averaged.
        var queries = problem.BuildPrompts(TaskPromptKind.Clean, TaskDataSplit.Valid, 3, 4, 7);
        for (var l = 0; l < 2; l++)
        {
            var score = 0.0;
            for (var i = 0; i < queries.Count; i++)
            {
                var own = HendelTaskVector.Build(problem, options with { Demonstrations = queries[i].Demonstrations, Layer = l, Seed = 7 + i + 1 });
                using var scope = NewDisposeScope();
                using var batch = problem.EncodePrompts([new IclPrompt(i, queries[i].Query, [], problem.Format)]);
                using var hooks = own.CreateHooks(model.Network, batch.PredictionColumn);
                using var _ = no_grad();
                score += problem.Score(problem.Predict(batch, hooks), batch).item<double>() / queries.Count;
            }
            Assert.Equal(score, double.Parse(vector.Provenance.Settings[$"validation_score.layer{l}"], CultureInfo.InvariantCulture), 9);
        }
    }

    [Fact]
    public void Per_example_vectors_need_a_text_problem_and_enough_dummy_queries()
    {
        using var regression = TaskVectorTestSetup.RegressionModel();
        var e = Assert.Throws<IclPsException>(() => HendelTaskVector.Build(TaskVectorTestSetup.RegressionProblem(regression),
            new HendelTaskVectorOptions { Demonstrations = [new IclPs.Engine.Data.IclExample("1", "2")], Layer = 0 }));
        Assert.Equal(TaskVectorErrorIds.InvalidOption, e.ErrorId);

        using var model = TaskVectorTestSetup.TextModel("gpt2-tiny");
        var problem = TaskVectorTestSetup.TextProblem(model);
        var train = problem.BuildPrompts(TaskPromptKind.Clean, TaskDataSplit.Train, 23, 1, 0)[0];
        var all = train.Demonstrations.Append(train.Query).ToArray();
        e = Assert.Throws<IclPsException>(() => HendelTaskVector.Build(problem, new HendelTaskVectorOptions { Demonstrations = all, Prompts = 2, Layer = 0 }));
        Assert.Equal(TaskVectorErrorIds.NotEnoughPrompts, e.ErrorId);
    }
}
