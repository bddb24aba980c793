using IclPs.Engine.Native;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.TaskVectors;
using IclPs.Engine.Tests.Models;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TaskVectors;

public sealed class RegressionTaskVectorProblemTests : IDisposable
{
    private readonly IclRegressionModel _model;

    public RegressionTaskVectorProblemTests()
    {
        TorchNativeLoader.EnsureLoaded();
        _model = TaskVectorTestSetup.RegressionModel();
        Problem = TaskVectorTestSetup.RegressionProblem(_model);
    }

    public void Dispose() => _model.Dispose();

    private RegressionTaskVectorProblem Problem { get; }

    private double[] Inputs(TaskPromptKind kind, TaskDataSplit split, int seed)
    {
        using var batch = Problem.Prompts(kind, split, 3, 4, 4, seed).Single();
        return Numerics.ToDoubles(batch.Inputs);
    }

    [Fact]
    public void Prompts_are_reproducible_and_splits_and_seeds_draw_differently()
    {
        Assert.Equal(Inputs(TaskPromptKind.Clean, TaskDataSplit.Train, 1), Inputs(TaskPromptKind.Clean, TaskDataSplit.Train, 1));
        Assert.NotEqual(Inputs(TaskPromptKind.Clean, TaskDataSplit.Train, 1), Inputs(TaskPromptKind.Clean, TaskDataSplit.Train, 2));
        Assert.NotEqual(Inputs(TaskPromptKind.Clean, TaskDataSplit.Train, 1), Inputs(TaskPromptKind.Clean, TaskDataSplit.Valid, 1));
        Assert.Equal(Inputs(TaskPromptKind.Clean, TaskDataSplit.Test, 1), Inputs(TaskPromptKind.DummyQuery, TaskDataSplit.Test, 1));
    }

    [Fact]
    public void Prompts_are_pairs_then_the_query_x_in_the_Garg_layout_with_the_query_y_as_target()
    {
        using var batch = Problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Valid, 3, 2, 2, seed: 3).Single();
        Assert.Equal(new long[] { 2, 7, _model.Config.InputDim }, batch.Inputs.shape);
        Assert.Equal(6, batch.PredictionColumn);
        var tokens = batch.Inputs;
        var xTokens = tensor(new long[] { 0, 2, 4, 6 });
        var yTokens = tensor(new long[] { 1, 3, 5 });
        Assert.Equal(0f, tokens.index_select(1, xTokens).select(2, 0).abs().sum().item<float>());                 // x-token: [0, x]
        Assert.Equal(0f, tokens.index_select(1, yTokens).narrow(2, 1, 4).abs().sum().item<float>());             // y-token: [y, 0..0]
        Assert.True(tokens.index_select(1, xTokens).narrow(2, 1, 4).abs().min().item<float>() > 0);
        using var zeroShot = Problem.Prompts(TaskPromptKind.ZeroShot, TaskDataSplit.Valid, 3, 2, 2, seed: 3).Single();
        Assert.Equal(1, zeroShot.Length);
        // The query's own y is the target, never shown in the prompt.
        var targets = batch.Targets.data<float>().ToArray();
        Assert.All(targets, t => Assert.True(float.IsFinite(t)));
        Assert.NotEqual(targets[0], targets[1]);
        for (var r = 0; r < 2; r++)
            Assert.DoesNotContain(targets[r], tokens[r].index_select(0, yTokens).select(1, 0).data<float>().ToArray());
    }

    [Fact]
    public void Shuffled_labels_permute_the_demonstration_ys_and_keep_the_xs_and_target()
    {
        using var clean = Problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Train, 5, 3, 3, seed: 8).Single();
        using var shuffled = Problem.Prompts(TaskPromptKind.ShuffledLabels, TaskDataSplit.Train, 5, 3, 3, seed: 8).Single();
        Assert.Equal(Numerics.ToDoubles(clean.Targets), Numerics.ToDoubles(shuffled.Targets));
        var xPositions = tensor(Enumerable.Range(0, 6).Select(k => 2L * k).ToArray());
        var yPositions = tensor(Enumerable.Range(0, 5).Select(k => 2L * k + 1).ToArray());
        Assert.Equal(Numerics.ToDoubles(clean.Inputs.index_select(1, xPositions)), Numerics.ToDoubles(shuffled.Inputs.index_select(1, xPositions)));
        for (var r = 0; r < 3; r++)
        {
            var ys = Numerics.ToDoubles(clean.Inputs[r].index_select(0, yPositions).select(1, 0));
            var moved = Numerics.ToDoubles(shuffled.Inputs[r].index_select(0, yPositions).select(1, 0));
            Assert.Equal(ys.Order(), moved.Order());
            Assert.All(ys.Zip(moved), p => Assert.NotEqual(p.First, p.Second));
        }
    }

    [Fact]
    public void Loss_score_and_metric_are_squared_error_based()
    {
        using var scope = NewDisposeScope();
        using var batch = Problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Valid, 3, 4, 4, seed: 3).Single();
        var prediction = tensor(new[] { 0f, 1f, -2f, 5f });
        var y = batch.Targets.data<float>().ToArray();
        var expected = y.Select((t, i) => Math.Pow(new[] { 0.0, 1, -2, 5 }[i] - t, 2)).ToArray();
        Assert.Equal(expected, Numerics.ToDoubles(Problem.Loss(prediction, batch)), (a, b) => Math.Abs(a - b) < 1e-4 * (1 + a));
        Assert.Equal(expected.Select(e => -e), Numerics.ToDoubles(Problem.Score(prediction, batch)), (a, b) => Math.Abs(a - b) < 1e-4 * (1 + Math.Abs(a)));
        Assert.Equal(expected.Select(e => e / 4), Numerics.ToDoubles(Problem.Metric(prediction, batch)), (a, b) => Math.Abs(a - b) < 1e-4 * (1 + a));
        var huber = new RegressionTaskVectorProblem(_model, new LinearTaskFamily(4, 0.1), RegressionTaskLoss.Huber, huberDelta: 1.0);
        var errors = y.Select((t, i) => Math.Abs(new[] { 0.0, 1, -2, 5 }[i] - t));
        Assert.Equal(errors.Select(e => e <= 1 ? 0.5 * e * e : e - 0.5), Numerics.ToDoubles(huber.Loss(prediction, batch)), (a, b) => Math.Abs(a - b) < 1e-4 * (1 + a));
    }

    [Fact]
    public void Orthogonal_query_needs_few_enough_shots()
    {
        var problem = TaskVectorTestSetup.RegressionProblem(_model, new RegressionInputOptions { OrthogonalQuery = true });
        using (problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Test, 3, 2, 2, seed: 1).Single()) { }
        var e = Assert.Throws<IclPsException>(() => problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Test, 6, 2, 2, seed: 1).Single());
        Assert.Equal(RegressionErrorIds.TooManyPointsForOrthogonalQuery, e.ErrorId);
    }
}
