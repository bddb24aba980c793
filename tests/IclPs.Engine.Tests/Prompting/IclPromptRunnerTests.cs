using System.Diagnostics;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Prompting;
using IclPs.Engine.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Prompting;

public class IclPromptRunnerTests
{
    private static readonly IclDatasetSplit Antonyms = DatasetLoader.LoadJson(TestData.FunctionVectors("antonym.json")).Split(0.7, 0.1, seed: 5);

    public IclPromptRunnerTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void BatchedResultsEqualOneAtATime()
    {
        using var model = TestModels.Tiny(1);
        var queries = Antonyms.Test.Items.Take(7).ToArray();
        var options = new IclRunOptions { Shots = 3, Seed = 9, MaxNewTokens = 4, Format = PromptFormat.QuestionAnswer };
        var batched = new IclPromptRunner(model, options with { BatchSize = 3 }).Run(queries, Antonyms.Train.Items).ToArray();
        var single = new IclPromptRunner(model, options with { BatchSize = 1 }).Run(queries, Antonyms.Train.Items).ToArray();

        Assert.Equal(7, batched.Length);
        // Prompts of different lengths share a batch, so padding is really exercised.
        Assert.True(batched.Select(r => r.PromptTokens).Distinct().Count() > 1);
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(i, batched[i].QueryIndex);
            Assert.Equal(single[i].Predicted, batched[i].Predicted);
            Assert.Equal(single[i].ExpectedLogProb, batched[i].ExpectedLogProb, 1e-5);
            Assert.Equal(single[i].ExpectedRank, batched[i].ExpectedRank);
            Assert.Equal(single[i].FirstTokenCorrect, batched[i].FirstTokenCorrect);
            Assert.Equal(single[i].PromptTokens, batched[i].PromptTokens);
        }
    }

    [Fact]
    public void MetricsMatchAnIndependentUnpaddedComputation()
    {
        using var model = TestModels.Tiny(2);
        var format = new PromptFormat { Description = "Opposites:\n", TargetDelimiter = " ", FewShotDelimiter = "\n" };
        var options = new IclRunOptions { Shots = 2, Seed = 1, BatchSize = 4, MaxNewTokens = 6, Format = format, IncludePrompt = true };
        var results = new IclPromptRunner(model, options).Run(Antonyms.Test.Items.Take(4), Antonyms.Train.Items).ToArray();

        foreach (var r in results) UnpaddedPromptReference.AssertMatches(model, r, options.MaxNewTokens, " ", new[] { "\n" });
    }

    [Fact]
    public void IdsBeyondTheTokenizerAreNeverPredicted()
    {
        // llama-tiny has 512 ids, the byte tokenizer far fewer: force id 400 to be the model's favourite and check it is never chosen.
        // The real byte tokenizer refuses to decode ids it does not have, so choosing one would throw.
        using var model = new IclModel(TransformerModel.Create(ModelConfig.Presets["llama-tiny"], seed: 3), IclPs.Engine.Tokenization.SimpleTokenizer.Bytes(), "llama-tiny-3", "test");
        const int favourite = 400;
        var d = model.Config.DModel;
        using (no_grad())
        {
            var head = model.Network.CheckpointTensors().Single(t => t.Name == "lm_head.weight").Tensor;
            head[favourite] = full(d, 1000f);
        }
        using var direction = ones(d);
        var options = new IclRunOptions
        {
            Shots = 2, MaxNewTokens = 3,
            Hooks = _ => new HookSet().ReplaceVector(HookNames.FinalNormalized, direction, PositionFilter.All),
        };
        var results = new IclPromptRunner(model, options).Run(Antonyms.Test.Items.Take(3), Antonyms.Train.Items).ToArray();

        Assert.Equal(3, results.Length);
        Assert.All(results, r =>
        {
            Assert.InRange(r.ExpectedRank, 1, model.Tokenizer.VocabSize);
            Assert.True(double.IsFinite(r.ExpectedLogProb));
        });
    }

    [Fact]
    public void TrainedCopyModelIsRightOnCopiesAndWrongOnCorruptedLabels()
    {
        using var model = TestModels.Tiny(4);
        // No target delimiter: with byte tokens the first expected token must be the answer letter itself.
        var format = new PromptFormat { InputTemplate = "{input}=", TargetDelimiter = "", FewShotDelimiter = ";" };
        var letters = Enumerable.Range('a', 26).Select(c => ((char)c).ToString()).ToArray();
        var stopwatch = Stopwatch.StartNew();
        var losses = TrainCopyTask(model.Network, letters, steps: 400);
        var trainSeconds = stopwatch.Elapsed.TotalSeconds;

        var copies = letters.Select(l => new IclExample(l, l)).ToArray();
        var corrupted = letters.Select((l, i) => new IclExample(l, letters[(i + 1) % 26])).ToArray();
        var options = new IclRunOptions { Shots = 0, BatchSize = 16, MaxNewTokens = 3, Format = format };
        var results = new IclPromptRunner(model, options).Run(copies.Concat(corrupted).ToArray(), Array.Empty<IclExample>()).ToArray();

        var right = results.Take(26).ToArray();
        var wrong = results.Skip(26).ToArray();
        var trace = $"after {trainSeconds:F1}s of training, losses {string.Join(" ", losses.Where((_, i) => i % 15 == 0).Select(l => l.ToString("F2")))}";
        Assert.True(right.Count(r => r.FirstTokenCorrect) >= 24, $"copy accuracy {right.Count(r => r.FirstTokenCorrect)}/26 {trace}");
        Assert.True(right.Count(r => r.ExactMatch) >= 24, string.Join(", ", right.Select(r => $"'{r.Predicted}'")));
        Assert.All(right.Where(r => r.FirstTokenCorrect), r => Assert.Equal(1, r.ExpectedRank));
        Assert.True(wrong.Count(r => !r.FirstTokenCorrect && !r.ExactMatch) >= 24);
        Assert.True(wrong.Average(r => r.ExpectedLogProb) < right.Average(r => r.ExpectedLogProb) - 2);
    }

    /// <summary>Teaches "[bos]x=x;" for every letter x; ';' after the answer is learnt too, so generation stops there.</summary>
    private static List<double> TrainCopyTask(TransformerModel network, string[] letters, int steps)
    {
        var rows = letters.SelectMany(l => new long[] { TestByteTokenizer.Bos, l[0], '=', l[0], ';' }).ToArray();
        using var optimizer = optim.Adam(network.parameters(), lr: 3e-3);
        var losses = new List<double>();
        // Many tiny backward ops: with OpenMP threads on an oversubscribed CPU this went from 2 s to 100 s; one thread is steady.
        var threads = torch.get_num_threads();
        torch.set_num_threads(1);
        try
        {
            for (var step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                var ids = tensor(rows, new long[] { letters.Length, 5 });
                var logits = network.Forward(ids.narrow(1, 0, 4));
                var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), ids.narrow(1, 1, 4).reshape(-1));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                losses.Add(loss.item<float>());
            }
        }
        finally
        {
            torch.set_num_threads(threads);
        }
        return losses;
    }

    [Fact]
    public void PromptTooLongNamesTheQueryAndLengths()
    {
        using var model = TestModels.Tiny(4);
        var options = new IclRunOptions { Shots = 0, Format = new PromptFormat { Description = new string('x', 300) } };
        var ex = Assert.Throws<IclPsException>(() => new IclPromptRunner(model, options).Run(new[] { new IclExample("hot", "cold") }, Array.Empty<IclExample>()).ToArray());
        Assert.Equal("PromptTooLong", ex.ErrorId);
        Assert.Equal(IclErrorKind.LimitsExceeded, ex.Kind);
        Assert.Contains("Query 0 ('hot')", ex.Message);
        Assert.Contains("304 tokens plus 5 expected tokens = 309", ex.Message);   // bos + 300 + "hot"; " cold"
        Assert.Contains("256", ex.Message);
    }

    [Fact]
    public void TruncationDropsLeadingDemonstrationsUntilItFits()
    {
        using var model = TestModels.Tiny(4);
        var pool = Enumerable.Range(0, 12).Select(i => new IclExample($"input number {i:D2} " + new string('i', 20), $"output {i:D2} " + new string('o', 10))).ToArray();
        var queries = new[] { new IclExample("short", "query") };
        var options = new IclRunOptions { Shots = 8, MaxNewTokens = 2, IncludePrompt = true };

        var ex = Assert.Throws<IclPsException>(() => new IclPromptRunner(model, options).Run(queries, pool).ToArray());
        Assert.Equal("PromptTooLong", ex.ErrorId);

        var result = new IclPromptRunner(model, options with { TruncateLongPrompts = true }).Run(queries, pool).Single();
        var full = new FewShotPromptBuilder(PromptFormat.Default, pool, 8, 0).Build(queries[0], 0);
        Assert.Equal(8, result.ShotsRequested);
        Assert.InRange(result.Shots, 1, 7);
        Assert.True(result.PromptTokens + result.ExpectedTokens <= 256);
        // The kept demonstrations are the last ones of the full sample, and one more would not fit.
        Assert.Equal(full.WithoutLeadingDemonstrations(8 - result.Shots).Text, result.Prompt);
        Assert.True(1 + full.WithoutLeadingDemonstrations(7 - result.Shots).Text.Length + result.ExpectedTokens > 256);
    }

    [Fact]
    public void ResultsStreamBatchByBatchWithProgress()
    {
        using var model = TestModels.Tiny(5);
        var pulled = 0;
        IEnumerable<IclExample> Queries()
        {
            foreach (var q in Antonyms.Test.Items.Take(5)) { pulled++; yield return q; }
        }
        var progress = new List<IclRunProgress>();
        var options = new IclRunOptions { Shots = 1, BatchSize = 2, MaxNewTokens = 2, Progress = progress.Add };
        using var results = new IclPromptRunner(model, options).Run(Queries(), Antonyms.Train.Items).GetEnumerator();

        Assert.True(results.MoveNext());
        Assert.Equal(2, pulled);
        Assert.Equal(new[] { new IclRunProgress(2, null) }, progress);
        var count = 1;
        while (results.MoveNext()) count++;
        Assert.Equal(5, count);
        Assert.Equal(new[] { 2, 4, 5 }, progress.Select(p => p.Completed));

        var known = new List<IclRunProgress>();
        _ = new IclPromptRunner(model, options with { Progress = known.Add }).Run(Antonyms.Test.Items.Take(3).ToArray(), Antonyms.Train.Items).ToArray();
        Assert.Equal(new[] { new IclRunProgress(2, 3), new IclRunProgress(3, 3) }, known);
    }

    [Fact]
    public void CancellationStopsBeforeTheNextForwardPass()
    {
        using var model = TestModels.Tiny(6);
        using var cts = new CancellationTokenSource();
        var passes = 0;
        var options = new IclRunOptions { Shots = 1, BatchSize = 2, MaxNewTokens = 3, Hooks = _ => { passes++; return null; } };
        using var results = new IclPromptRunner(model, options).Run(Antonyms.Test.Items.Take(20).ToArray(), Antonyms.Train.Items, cts.Token).GetEnumerator();

        Assert.True(results.MoveNext());
        cts.Cancel();
        var passesAtCancel = passes;
        Assert.True(results.MoveNext());   // the second result of the finished batch is already computed
        Assert.Throws<OperationCanceledException>(() => results.MoveNext());
        Assert.Equal(passesAtCancel, passes);
    }

    [Fact]
    public void HookFactorySeesEveryPassAndCanInjectAtThePromptEnd()
    {
        using var model = TestModels.Tiny(7);
        var queries = Antonyms.Test.Items.Take(3).ToArray();
        var passes = new List<IclForwardPass>();
        var baseOptions = new IclRunOptions { Shots = 2, BatchSize = 3, MaxNewTokens = 3, Until = Array.Empty<string>() };
        var plain = new IclPromptRunner(model, baseOptions).Run(queries, Antonyms.Train.Items).ToArray();
        var observed = new IclPromptRunner(model, baseOptions with { Hooks = p => { passes.Add(p); return new HookSet(); } }).Run(queries, Antonyms.Train.Items).ToArray();

        Assert.Equal(plain.Select(r => r.ExpectedLogProb), observed.Select(r => r.ExpectedLogProb));
        var maxPrompt = plain.Max(r => r.PromptTokens);
        Assert.Equal(new IclForwardPass(IclPassKind.Score, 3, maxPrompt + plain.Max(r => r.ExpectedTokens), maxPrompt - 1, 0, 0), passes[0]);
        // Generation steps compute their new column alone.
        Assert.Equal(new[] { new IclForwardPass(IclPassKind.Generate, 3, maxPrompt + 1, maxPrompt - 1, 1, maxPrompt), new IclForwardPass(IclPassKind.Generate, 3, maxPrompt + 2, maxPrompt - 1, 2, maxPrompt + 1) }, passes.Skip(1));

        // Adding a large vector to the last block's output at the prompt end changes what the model predicts there.
        var layer = model.Config.Layers - 1;
        var injected = new IclPromptRunner(model, baseOptions with
        {
            Hooks = p => p.PositionOf(p.PromptEnd) is not int position ? null : new HookSet().Edit(HookNames.ResidPost(layer), x =>
            {
                var column = zeros(1, x.shape[1], 1, dtype: x.dtype);
                column[0, position, 0] = tensor(1.0f);
                // Alternating signs: a constant vector would be removed by the final LayerNorm.
                return x + column * 20f * (arange(x.shape[2], dtype: x.dtype) % 2 * 2 - 1);
            }),
        }).Run(queries, Antonyms.Train.Items).ToArray();
        Assert.All(injected.Zip(plain), pair => Assert.True(Math.Abs(pair.First.ExpectedLogProb - pair.Second.ExpectedLogProb) > 1e-3));
    }

    [Fact]
    public void BadOptionsFailAtTheCall()
    {
        using var model = TestModels.Tiny(8);
        Assert.Equal("InvalidBatchSize", Assert.Throws<IclPsException>(() => new IclPromptRunner(model, new IclRunOptions { BatchSize = 0 })).ErrorId);
        Assert.Equal("NotEnoughExamples", Assert.Throws<IclPsException>(() =>
            new IclPromptRunner(model, new IclRunOptions { Shots = 2 }).Run(new[] { new IclExample("a", "b") }, new[] { new IclExample("a", "c"), new IclExample("d", "e") }).ToArray()).ErrorId);
        var foreign = new IclModel(TransformerModel.Create(ModelConfig.Presets["gpt2-tiny"] with { VocabSize = 200 }, seed: 1), new TestByteTokenizer(), "small-vocab", "test");
        using (foreign)
        {
            Assert.Equal("TokenOutOfVocabulary", Assert.Throws<IclPsException>(() =>
                new IclPromptRunner(foreign, new IclRunOptions { Shots = 0 }).Run(new[] { new IclExample("a", "b") }, Array.Empty<IclExample>()).ToArray()).ErrorId);
        }
    }
}
