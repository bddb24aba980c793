using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.Training;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.RegressionEvaluation;

public sealed class RegressionBatchSourceTests
{
    public RegressionBatchSourceTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void Batches_are_the_family_tokens_zero_padded_with_targets_scored_at_the_x_positions()
    {
        using var family = new LinearTaskFamily(dimension: 3, noiseVariance: 0.1, poolSize: 5, taskSeed: 2);
        var source = new RegressionBatchSource(family, points: 6, inputWidth: 7);
        using var gen = new Generator(17);
        using var batch = source.Next(0, 4, gen);
        Assert.Equal(new long[] { 4, 12, 7 }, batch.Inputs.shape);
        Assert.Equal(new long[] { 4, 12 }, batch.Targets.shape);
        // Channels beyond D + 1 are zero; the y tokens carry the targets of the x tokens before them.
        Assert.Equal(0, batch.Inputs[.., .., 4..].abs().max().item<float>());
        using var pairs = batch.Inputs.view(4, 6, 2, 7);                               // [b, K, x/y token, channel]
        using var targets = batch.Targets.view(4, 6, 2);
        Assert.True(pairs[.., .., 1, 0].allclose(targets[.., .., 0], 0, 0));
        Assert.Equal(0, targets[.., .., 1].abs().max().item<float>());
        Assert.Equal(new float[] { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0 }, batch.LossMask[0].data<float>().ToArray());
        // The x tokens hold [0, x]: channel 0 is zero there.
        Assert.Equal(0, pairs[.., .., 0, 0].abs().max().item<float>());
    }

    [Fact]
    public void The_batch_is_a_function_of_the_generator_alone()
    {
        using var family = new LinearTaskFamily(dimension: 2);
        var source = new RegressionBatchSource(family, 4, 3);
        TrainingBatch Draw(ulong seed) { using var g = new Generator(seed); return source.Next(5, 3, g); }
        using var a = Draw(1);
        using var b = Draw(1);
        using var c = Draw(2);
        Assert.True(a.Inputs.allclose(b.Inputs, 0, 0));
        Assert.False(a.Inputs.allclose(c.Inputs, 0, 0));
    }

    [Fact]
    public void The_description_names_every_setting_that_changes_the_stream()
    {
        using var pooled = new LinearTaskFamily(4, 0.25, poolSize: 8, taskSeed: 3);
        using var otherSeed = new LinearTaskFamily(4, 0.25, poolSize: 8, taskSeed: 4);
        using var fresh = new LinearTaskFamily(4, 0.25);
        var descriptions = new[]
        {
            new RegressionBatchSource(pooled, 16, 5).Description, new RegressionBatchSource(otherSeed, 16, 5).Description,
            new RegressionBatchSource(fresh, 16, 5).Description, new RegressionBatchSource(pooled, 12, 5).Description,
            new RegressionBatchSource(pooled, 16, 9).Description,
        };
        Assert.Equal(descriptions.Length, descriptions.Distinct().Count());
        Assert.Equal("regression linear D=4 noise=0.25 M=8 taskSeed=3 K=16 inputs=Isotropic width=5", descriptions[0]);
    }

    [Fact]
    public void A_read_in_narrower_than_d_plus_one_is_refused()
    {
        using var family = new LinearTaskFamily(dimension: 8);
        var e = Assert.Throws<IclPsException>(() => new RegressionBatchSource(family, 16, 5));
        Assert.Equal(RegressionRunErrorIds.ModelTooSmall, e.ErrorId);
    }

    [Fact]
    public void Trains_a_regression_model_below_the_zero_predictor_loss()
    {
        using var family = new LinearTaskFamily(dimension: 2, noiseVariance: 0.01, poolSize: 2, taskSeed: 1);
        var source = new RegressionBatchSource(family, 6, 5);
        using var model = (RegressionModel)TransformerModel.Create(ModelConfig.RegressionPresets["regression-tiny"], CPU, seed: 1);
        var result = new IclTrainer(model, source, new IclTrainingOptions { Steps = 60, BatchSize = 32, LearningRate = 3e-3, Schedule = LearningRateSchedule.Constant, Seed = 4 }).Train();
        // The zero predictor's loss: the mean scored target^2 of a large batch.
        using var gen = new Generator(99);
        using var batch = source.Next(0, 2048, gen);
        var zeroLoss = ((batch.Targets.square() * batch.LossMask).sum() / batch.LossMask.sum()).item<float>();
        var trained = result.Losses.TakeLast(10).Average();
        Assert.True(trained < 0.5 * zeroLoss, $"trained loss {trained:0.000} vs zero predictor {zeroLoss:0.000}");
    }
}
