using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Prompting;
using IclPs.Engine.Tests.Data;

namespace IclPs.Engine.Tests.Prompting;

public class IclPromptQueueTests
{
    private static readonly IclDatasetSplit Antonyms = DatasetLoader.LoadJson(TestData.FunctionVectors("antonym.json")).Split(0.7, 0.1, seed: 5);
    // 300 bytes of input: no prompt holding it fits gpt2-tiny's 256-token window.
    private static readonly IclExample TooLong = new(new string('x', 300), "y");

    public IclPromptQueueTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void EachPromptIsEncodedOnce()
    {
        var tokenizer = new CountingTokenizer(new TestByteTokenizer());
        using var model = new IclModel(TransformerModel.Create(ModelConfig.Presets["gpt2-tiny"], seed: 3), tokenizer, "gpt2-tiny-3", "test");
        var options = new IclRunOptions { Shots = 2, Seed = 4, BatchSize = 3, MaxNewTokens = 2, IncludePrompt = true };
        var queries = Antonyms.Test.Items.Take(7).ToArray();

        // Fed query by query, as Invoke-IclPrompt feeds it, with a query that cannot run after the fourth.
        var queue = new IclPromptQueue(model, options, Antonyms.Train.Items);
        var fed = new List<IclPromptResult>();
        foreach (var query in queries.Take(4)) fed.AddRange(queue.Add(query));
        Assert.Equal("PromptTooLong", Assert.Throws<IclPsException>(() => queue.Add(TooLong)).ErrorId);
        foreach (var query in queries.Skip(4)) fed.AddRange(queue.Add(query));
        fed.AddRange(queue.Flush());

        Assert.Equal(7, fed.Count);
        // The refused query was built for the next index (4), encoded once and queued nowhere.
        var refused = new FewShotPromptBuilder(options.Format, Antonyms.Train.Items, options.Shots, options.Seed).Build(TooLong, 4).Text;
        var expected = fed.Take(4).Select(r => r.Prompt!).Append(refused).Concat(fed.Skip(4).Select(r => r.Prompt!));
        Assert.Equal(expected, tokenizer.Encoded.Where(e => e.AddBos).Select(e => e.Text));
        // Each expected output is tokenized once too, apart from its prompt.
        Assert.Equal(fed.Select(r => " " + r.Expected).Take(4).Append(" y").Concat(fed.Skip(4).Select(r => " " + r.Expected)),
            tokenizer.Encoded.Where(e => !e.AddBos).Select(e => e.Text));

        // The runner pulling from an enumeration is the same queue: once per prompt, and the same numbers.
        tokenizer.Encoded.Clear();
        var pulled = new IclPromptRunner(model, options).Run(queries, Antonyms.Train.Items).ToArray();
        Assert.Equal(pulled.Select(r => r.Prompt!), tokenizer.Encoded.Where(e => e.AddBos).Select(e => e.Text));
        Assert.Equal(7, tokenizer.Encoded.Count(e => !e.AddBos));
        Assert.Equal(pulled.Select(r => (r.QueryIndex, r.Prompt, r.Predicted, r.ExpectedLogProb, r.ExpectedRank)),
            fed.Select(r => (r.QueryIndex, r.Prompt, r.Predicted, r.ExpectedLogProb, r.ExpectedRank)));
    }

    [Fact]
    public void ResultsLeaveAsSoonAsTheirBatchFills()
    {
        using var model = TestModels.Tiny(5);
        var passes = 0;
        // One new token: the Score pass gives it, so each batch is exactly one forward pass.
        var options = new IclRunOptions { Shots = 1, BatchSize = 2, MaxNewTokens = 1, Hooks = _ => { passes++; return null; } };
        var queries = Antonyms.Test.Items.Take(3).ToArray();
        var queue = new IclPromptQueue(model, options, Antonyms.Train.Items);

        Assert.Empty(queue.Add(queries[0]));
        Assert.Equal((1, 1, 0), (queue.Accepted, queue.Queued, passes));
        var stale = queue.Encode(queries[1]);
        var first = queue.Add(stale);
        // The first batch's results are out before the third query has been seen.
        Assert.Equal(new[] { 0, 1 }, first.Select(r => r.QueryIndex));
        Assert.Equal((2, 0, 1), (queue.Accepted, queue.Queued, passes));

        Assert.Equal("PromptTooLong", Assert.Throws<IclPsException>(() => queue.Add(TooLong)).ErrorId);
        Assert.Equal((2, 0), (queue.Accepted, queue.Queued));
        // A prompt encoded for another position is refused rather than queued under the wrong index.
        Assert.Throws<ArgumentException>(() => queue.Add(stale));

        Assert.Empty(queue.Add(queries[2]));
        Assert.Equal(1, passes);
        Assert.Equal(new[] { 2 }, queue.Flush().Select(r => r.QueryIndex));
        Assert.Empty(queue.Flush());
        Assert.Equal((3, 0, 2), (queue.Accepted, queue.Queued, passes));
    }

    [Fact]
    public void CancellationStopsTheBatchThatWouldRunNext()
    {
        using var model = TestModels.Tiny(6);
        using var cts = new CancellationTokenSource();
        var passes = 0;
        var options = new IclRunOptions { Shots = 1, BatchSize = 2, MaxNewTokens = 1, Hooks = _ => { passes++; return null; } };
        var queries = Antonyms.Test.Items.Take(3).ToArray();
        var queue = new IclPromptQueue(model, options, Antonyms.Train.Items, cts.Token);

        Assert.Empty(queue.Add(queries[0]));
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => queue.Add(queries[1]));
        Assert.Equal(0, passes);
    }

    [Fact]
    public void QueuesOfTwoDrawsMatchAnIndependentUnpaddedComputation()
    {
        using var model = TestModels.Tiny(2);
        var format = new PromptFormat { Description = "Opposites:\n", TargetDelimiter = " ", FewShotDelimiter = "\n" };
        var queries = Antonyms.Test.Items.Take(7).ToArray();
        foreach (var seed in new[] { 1, 2 })
        {
            // Batches of 3 over prompts of different lengths, so padding is exercised; a refused query takes no index.
            var options = new IclRunOptions { Shots = 2, Seed = seed, BatchSize = 3, MaxNewTokens = 5, Format = format, IncludePrompt = true };
            var queue = new IclPromptQueue(model, options, Antonyms.Train.Items);
            var results = new List<IclPromptResult>();
            foreach (var (query, i) in queries.Select((q, i) => (q, i)))
            {
                if (i == 2) Assert.Throws<IclPsException>(() => queue.Add(TooLong));
                results.AddRange(queue.Add(query));
            }
            results.AddRange(queue.Flush());

            Assert.True(results.Select(r => r.PromptTokens).Distinct().Count() > 1);
            var builder = new FewShotPromptBuilder(format, Antonyms.Train.Items, 2, seed);
            Assert.Equal(queries.Select((q, i) => builder.Build(q, i).Text), results.Select(r => r.Prompt));
            Assert.All(results, r => Assert.Equal(seed, r.Seed));
            foreach (var r in results) UnpaddedPromptReference.AssertMatches(model, r, options.MaxNewTokens, " ", new[] { "\n" });
        }
    }
}
