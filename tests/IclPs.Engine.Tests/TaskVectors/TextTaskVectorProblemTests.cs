using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.TaskVectors;
using IclPs.Engine.Tests.Models;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TaskVectors;

public sealed class TextTaskVectorProblemTests : IDisposable
{
    private readonly IclModel _model;

    public TextTaskVectorProblemTests()
    {
        TorchNativeLoader.EnsureLoaded();
        _model = TaskVectorTestSetup.TextModel();
        Problem = TaskVectorTestSetup.TextProblem(_model);
    }

    public void Dispose() => _model.Dispose();

    private TextTaskVectorProblem Problem { get; }

    [Fact]
    public void Prompts_are_reproducible_from_the_seed_and_change_with_it()
    {
        foreach (var kind in Enum.GetValues<TaskPromptKind>())
        {
            var a = Problem.BuildPrompts(kind, TaskDataSplit.Valid, 3, 6, seed: 4).Select(p => p.Text).ToArray();
            var b = Problem.BuildPrompts(kind, TaskDataSplit.Valid, 3, 6, seed: 4).Select(p => p.Text).ToArray();
            var c = Problem.BuildPrompts(kind, TaskDataSplit.Valid, 3, 6, seed: 5).Select(p => p.Text).ToArray();
            Assert.Equal(a, b);
            Assert.NotEqual(a, c);
        }
        using var first = Problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Valid, 3, 6, 4, seed: 4).First();
        using var again = Problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Valid, 3, 6, 4, seed: 4).First();
        Assert.Equal(Numerics.ToDoubles(first.Inputs), Numerics.ToDoubles(again.Inputs));
    }

    [Fact]
    public void Shuffled_labels_permute_the_demonstration_outputs_and_keep_everything_else()
    {
        var clean = Problem.BuildPrompts(TaskPromptKind.Clean, TaskDataSplit.Train, 4, 10, seed: 2);
        var shuffled = Problem.BuildPrompts(TaskPromptKind.ShuffledLabels, TaskDataSplit.Train, 4, 10, seed: 2);
        foreach (var (c, s) in clean.Zip(shuffled))
        {
            Assert.Equal(c.Query, s.Query);
            Assert.Equal(c.Demonstrations.Select(d => d.Input), s.Demonstrations.Select(d => d.Input));
            Assert.Equal(c.Demonstrations.Select(d => d.Output).Order(), s.Demonstrations.Select(d => d.Output).Order());
            // A derangement: no demonstration keeps its own output (all outputs of this task are distinct).
            Assert.All(c.Demonstrations.Zip(s.Demonstrations), p => Assert.NotEqual(p.First.Output, p.Second.Output));
        }
    }

    [Fact]
    public void Queries_come_from_the_split_dummy_queries_from_train_and_demonstrations_never_show_the_query()
    {
        var data = TaskVectorTestSetup.Data();
        var valid = Problem.BuildPrompts(TaskPromptKind.Clean, TaskDataSplit.Valid, 3, 100, seed: 1);
        Assert.Equal(data.Valid.Count, valid.Count);
        Assert.Equal(data.Valid.Items.OrderBy(i => i.Input), valid.Select(p => p.Query).OrderBy(i => i.Input));
        var dummy = Problem.BuildPrompts(TaskPromptKind.DummyQuery, TaskDataSplit.Test, 3, 12, seed: 1);
        Assert.Equal(12, dummy.Count);
        Assert.All(dummy, p => Assert.Contains(p.Query, data.Train.Items));
        Assert.All(dummy.Concat(valid), p => Assert.All(p.Demonstrations, d =>
        {
            Assert.Contains(d, data.Train.Items);
            Assert.NotEqual(p.Query.Input, d.Input);
        }));
        Assert.All(Problem.BuildPrompts(TaskPromptKind.ZeroShot, TaskDataSplit.Test, 3, 5, seed: 1), p => Assert.Empty(p.Demonstrations));
    }

    [Fact]
    public void Batches_are_left_padded_and_targets_are_the_first_continuation_token()
    {
        var tokenizer = _model.Tokenizer;
        var prompts = Problem.BuildPrompts(TaskPromptKind.Clean, TaskDataSplit.Valid, 3, 5, seed: 7);
        using var batch = Problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Valid, 3, 5, 5, seed: 7).Single();
        var ids = batch.Inputs.data<long>().ToArray();
        var mask = batch.Mask.data<long>().ToArray();
        var targets = batch.Targets.data<long>().ToArray();
        for (var r = 0; r < prompts.Count; r++)
        {
            var expected = tokenizer.Encode(prompts[r].Text, true).ToArray();
            var row = ids.Skip(r * batch.Length).Take(batch.Length).ToArray();
            var real = mask.Skip(r * batch.Length).Take(batch.Length).ToArray();
            Assert.Equal(expected.Select(i => (long)i), row.Skip(batch.Length - expected.Length));
            Assert.Equal(Enumerable.Repeat(0L, batch.Length - expected.Length).Concat(Enumerable.Repeat(1L, expected.Length)), real);
            Assert.Equal(tokenizer.Encode(" " + prompts[r].Query.Output, false)[0], (int)targets[r]);
        }
    }

    [Fact]
    public void Score_is_the_target_probability_and_metric_the_restricted_argmax()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var batch = Problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Valid, 3, 4, 4, seed: 7).Single();
        var logits = Problem.Predict(batch, null);
        var decodable = _model.Tokenizer.VocabSize;
        var probabilities = logits.narrow(1, 0, decodable).to(ScalarType.Float64).softmax(-1);
        var score = Problem.Score(logits, batch).data<double>().ToArray();
        var loss = Problem.Loss(logits, batch).to(ScalarType.Float64).data<double>().ToArray();
        var metric = Problem.Metric(logits, batch).data<float>().ToArray();
        for (var r = 0; r < batch.Count; r++)
        {
            var target = batch.Targets[r].item<long>();
            Assert.Equal(probabilities[r, target].item<double>(), score[r], 12);
            Assert.Equal(-Math.Log(score[r]), loss[r], 4);
            Assert.Equal(probabilities[r].argmax().item<long>() == target ? 1f : 0f, metric[r]);
        }
    }
}
