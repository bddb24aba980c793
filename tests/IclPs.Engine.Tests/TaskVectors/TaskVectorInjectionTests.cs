using IclPs.Engine.Analysis;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Prompting;
using IclPs.Engine.Regression.Prompting;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.TaskVectors;
using IclPs.Engine.Tests.Data;
using IclPs.Engine.Tests.Prompting;
using TorchSharp;
using static IclPs.Engine.Tests.Regression.RegressionReference;
using static IclPs.Engine.Tests.TaskVectors.TaskVectorTestSetup;

namespace IclPs.Engine.Tests.TaskVectors;

/// <summary>Task vectors reach the forward passes of the prompt runners and the similarity measurement, at the prediction position.</summary>
public sealed class TaskVectorInjectionTests
{
    private static readonly IclDatasetSplit Antonyms = DatasetLoader.LoadJson(TestData.FunctionVectors("antonym.json")).Split(0.7, 0.1, seed: 5);

    public TaskVectorInjectionTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void A_zero_vector_added_through_the_runner_changes_nothing()
    {
        using var model = TestModels.Tiny(3);
        var options = new IclRunOptions { Shots = 0, Seed = 2, MaxNewTokens = 3, Format = PromptFormat.QuestionAnswer, BatchSize = 3 };
        var queries = Antonyms.Test.Items.Take(5).ToArray();
        var plain = new IclPromptRunner(model, options).Run(queries, Antonyms.Train.Items).ToArray();
        var zero = Vector(model.Config, TaskVectorInjection.Add, 0, _ => 0f);
        var injected = new IclPromptRunner(model, options with { Hooks = TaskVectorHooks.ForPrompts(zero, model.Network), Intervention = zero.ToString() })
            .Run(queries, Antonyms.Train.Items).ToArray();

        for (var i = 0; i < queries.Length; i++)
        {
            Assert.Equal(plain[i].ExpectedLogProb, injected[i].ExpectedLogProb);
            Assert.Equal(plain[i].Predicted, injected[i].Predicted);
            Assert.Null(plain[i].Intervention);
            Assert.Equal(zero.ToString(), injected[i].Intervention);
        }
    }

    [Fact]
    public void Replacing_the_last_block_output_fixes_the_first_answer_token()
    {
        using var model = TestModels.Tiny(4);
        var options = new IclRunOptions { Shots = 1, Seed = 2, MaxNewTokens = 1, Until = [], Format = PromptFormat.QuestionAnswer, BatchSize = 4 };
        var queries = Antonyms.Test.Items.Take(6).ToArray();
        var plain = new IclPromptRunner(model, options).Run(queries, Antonyms.Train.Items).ToArray();
        var last = model.Config.Layers - 1;
        var vector = Vector(model.Config, TaskVectorInjection.Replace, last, i => (i % 7) - 3f);
        var injected = new IclPromptRunner(model, options with { Hooks = TaskVectorHooks.ForPrompts(vector, model.Network) })
            .Run(queries, Antonyms.Train.Items).ToArray();

        // Every prompt's final state at the prompt end is now the same vector, so every prompt predicts the same first token;
        // prompts of different lengths share the batch, so this also checks the injection column under left padding.
        Assert.True(injected.Select(r => r.PromptTokens).Distinct().Count() > 1);
        Assert.Single(injected.Select(r => r.Predicted).Distinct());
        Assert.True(plain.Select(r => r.Predicted).Distinct().Count() > 1 || plain[0].Predicted != injected[0].Predicted);
        Assert.Contains(Enumerable.Range(0, queries.Length), i => Math.Abs(plain[i].ExpectedLogProb - injected[i].ExpectedLogProb) > 1e-3);
    }

    /// <summary>
    /// Generation reads the prompt's keys and values from the cache the Score pass recorded with the injection; it must
    /// pick the tokens that re-running the whole sequence with the injection at the prompt end picks on every step.
    /// </summary>
    [Fact]
    public void Generated_tokens_with_an_injection_equal_re_running_the_sequence()
    {
        using var model = TestModels.Tiny(6);
        var options = new IclRunOptions { Shots = 1, Seed = 2, MaxNewTokens = 5, Until = [], Format = PromptFormat.QuestionAnswer, BatchSize = 4, IncludePrompt = true };
        var queries = Antonyms.Test.Items.Take(4).ToArray();
        var vector = Vector(model.Config, TaskVectorInjection.Add, 0, i => 3f * ((i % 5) - 2));
        var plain = new IclPromptRunner(model, options).Run(queries, Antonyms.Train.Items).ToArray();
        var injected = new IclPromptRunner(model, options with { Hooks = TaskVectorHooks.ForPrompts(vector, model.Network) })
            .Run(queries, Antonyms.Train.Items).ToArray();

        var prompts = injected.Select(r => new long[] { TestByteTokenizer.Bos }.Concat(System.Text.Encoding.UTF8.GetBytes(r.Prompt!).Select(x => (long)x)).ToArray()).ToArray();
        Assert.True(prompts.Select(x => x.Length).Distinct().Count() > 1);
        var p = prompts.Max(x => x.Length);
        var ids = new List<long>[prompts.Length];
        var mask = new List<long>[prompts.Length];
        for (var r = 0; r < prompts.Length; r++)
        {
            ids[r] = Enumerable.Repeat((long)TestByteTokenizer.Pad, p - prompts[r].Length).Concat(prompts[r]).ToList();
            mask[r] = Enumerable.Repeat(0L, p - prompts[r].Length).Concat(Enumerable.Repeat(1L, prompts[r].Length)).ToList();
        }
        using (torch.no_grad())
        {
            for (var step = 0; step < options.MaxNewTokens; step++)
            {
                using var scope = torch.NewDisposeScope();
                var t = ids[0].Count;
                using var hooks = vector.CreateHooks(model.Network, p - 1);
                var logits = model.Network.Forward(torch.tensor(ids.SelectMany(x => x).ToArray(), [prompts.Length, t]), torch.tensor(mask.SelectMany(x => x).ToArray(), [prompts.Length, t]), hooks, lastPositionOnly: true);
                var next = logits.narrow(1, 0, model.Tokenizer.VocabSize).argmax(1).data<long>().ToArray();
                for (var r = 0; r < prompts.Length; r++) { ids[r].Add(next[r]); mask[r].Add(1); }
            }
        }
        var expected = ids.Select(row => model.Tokenizer.Decode(row.Skip(p).TakeWhile(x => x != TestByteTokenizer.Eos).Select(x => (int)x))).Select(text => text.StartsWith(' ') ? text[1..] : text);
        Assert.Equal(expected, injected.Select(r => r.Predicted));
        Assert.NotEqual(plain.Select(r => r.Predicted), injected.Select(r => r.Predicted));
    }

    [Fact]
    public void A_vector_for_another_shape_is_rejected_naming_the_field()
    {
        using var model = TestModels.Tiny(5);
        var other = model.Config with { DModel = model.Config.DModel * 2 };
        var e = Assert.Throws<IclPsException>(() => TaskVectorHooks.ForPrompts(Vector(other, TaskVectorInjection.Add, 0, _ => 0f), model.Network));
        Assert.Equal(TaskVectorErrorIds.ShapeMismatch, e.ErrorId);
        Assert.Contains("d_model", e.Message);
    }

    [Fact]
    public void Shuffled_labels_keep_the_demonstrations_and_permute_their_outputs()
    {
        var pool = Antonyms.Train.Items;
        var plain = new FewShotPromptBuilder(PromptFormat.QuestionAnswer, pool, 6, seed: 3);
        var shuffled = new FewShotPromptBuilder(PromptFormat.QuestionAnswer, pool, 6, seed: 3, shuffleLabels: true);
        var changed = 0;
        for (var q = 0; q < 10; q++)
        {
            var query = Antonyms.Test.Items[q];
            var a = plain.Build(query, q).Demonstrations;
            var b = shuffled.Build(query, q).Demonstrations;
            Assert.Equal(a.Select(d => d.Input), b.Select(d => d.Input));
            Assert.Equal(a.Select(d => d.Output).Order(), b.Select(d => d.Output).Order());
            Assert.Equal(b.Select(d => d.Output), shuffled.Build(query, q).Demonstrations.Select(d => d.Output));
            if (!a.Select(d => d.Output).SequenceEqual(b.Select(d => d.Output))) changed++;
        }
        Assert.Equal(10, changed);  // a derangement always moves every label
    }

    [Fact]
    public void A_similarity_condition_with_a_vector_injects_it_at_its_layer()
    {
        using var model = TestModels.Tiny(6);
        var layer = 0;
        var replace = Vector(model.Config, TaskVectorInjection.Replace, layer, i => MathF.Sin(i + 1));
        var zero = Vector(model.Config, TaskVectorInjection.Add, 1, _ => 0f);
        var rows = HiddenSimilarity.Compute(
            [SimilarityCondition.ZeroShot(model), SimilarityCondition.Injected(model, replace, "Replaced"), SimilarityCondition.Injected(model, zero, "Zero")],
            Antonyms.Test.Items.Take(6), Antonyms.Train.Items, new HiddenSimilarityOptions { Format = PromptFormat.QuestionAnswer, BatchSize = 4 });

        double Mean(int l, string a, string b) => rows.Single(r => r.Layer == l && r.ConditionA == a && r.ConditionB == b).MeanCosine;
        // A zero vector leaves every layer's state as it was.
        for (var l = 0; l < model.Config.Layers; l++) Assert.Equal(1.0, Mean(l, "ZeroShot", "Zero"), 1e-6);
        // After replacement every prompt's state at that layer IS the vector, so it no longer matches the plain states.
        Assert.True(Mean(layer, "ZeroShot", "Replaced") < 0.99);
    }

    [Fact]
    public void The_regression_runner_injects_at_the_query_token()
    {
        using var model = IclRegressionModel.CreateRandom(ModelConfig.RegressionPresets["regression-tiny"], 1, "tiny", "preset:regression-tiny seed:1");
        var (x, y) = RandomPairs(3, 4, 6, 4);
        var prompts = Enumerable.Range(0, 4).Select(i => RegressionPrompt.Create(i, x[i], y[i])).ToArray();
        var plain = new RegressionPromptRunner(model).Run(prompts);
        var zero = new RegressionPromptRunner(model, taskVector: Vector(model.Config, TaskVectorInjection.Add, 0, _ => 0f)).Run(prompts);
        var shifted = new RegressionPromptRunner(model, taskVector: Vector(model.Config, TaskVectorInjection.Add, 1, i => MathF.Cos(i))).Run(prompts);
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(plain[i].Prediction, zero[i].Prediction);
            Assert.NotEqual(plain[i].Prediction, shifted[i].Prediction);
            Assert.NotNull(shifted[i].Intervention);
        }
        // Replacing the last block's output fixes the read-out only if it lands on the query's x token, the prediction column.
        var replaced = new RegressionPromptRunner(model, taskVector: Vector(model.Config, TaskVectorInjection.Replace, 1, i => MathF.Sin(i + 1))).Run(prompts);
        Assert.Single(replaced.Select(r => r.Prediction).Distinct());
        Assert.DoesNotContain(plain, p => p.Prediction == replaced[0].Prediction);
    }
}
