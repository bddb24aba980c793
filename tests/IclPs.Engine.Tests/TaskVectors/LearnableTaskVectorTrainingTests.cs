using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.TaskVectors;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TaskVectors;

/// <summary>How an LTV run treats the model, seeds, early stopping, cancellation and bad options.</summary>
public sealed class LearnableTaskVectorTrainingTests
{
    public LearnableTaskVectorTrainingTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void Training_leaves_the_model_bit_identical_with_no_gradients_and_its_flags_restored()
    {
        using var problem = PlantedHeadProblem.Create(silenceOtherHeads: false);
        var parameters = problem.Network.named_parameters().ToList();
        parameters[0].parameter.requires_grad = false; // a mix of flags, to see each one restored
        var before = parameters.Select(p => (p.name, Value: p.parameter.detach().clone(), p.parameter.requires_grad)).ToList();

        var vector = LearnableTaskVector.Train(problem, LtvReference.Small(HeadActivationSource.Live) with { MaxEpochs = 3 });

        Assert.Contains(vector.Heads, h => h.Weight != 0); // theta did move
        foreach (var ((name, parameter), (_, value, requiresGrad)) in parameters.Zip(before))
        {
            Assert.True(parameter.equal(value).all().item<bool>(), $"{name} changed");
            Assert.Equal(requiresGrad, parameter.requires_grad);
            Assert.True(parameter.grad is null, $"{name} accumulated a gradient");
            value.Dispose();
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_vector_and_another_seed_another()
    {
        using var problem = PlantedHeadProblem.Create(silenceOtherHeads: false);
        var options = LtvReference.Small(HeadActivationSource.Mean) with { Init = LtvThetaInit.Normal, MaxEpochs = 2, Seed = 3 };

        var first = LearnableTaskVector.Train(problem, options);
        var second = LearnableTaskVector.Train(problem, options);
        var other = LearnableTaskVector.Train(problem, options with { Seed = 4 });

        Assert.Equal(first.Heads.Select(h => h.Weight), second.Heads.Select(h => h.Weight));
        Assert.Equal(first.Vectors.SelectMany(v => v.Values), second.Vectors.SelectMany(v => v.Values));
        Assert.Equal(first.Provenance.TrainingCurve, second.Provenance.TrainingCurve);
        Assert.NotEqual(first.Heads.Select(h => h.Weight), other.Heads.Select(h => h.Weight));
        Assert.Equal(3, first.Provenance.Seed);
    }

    [Fact]
    public void Early_stopping_returns_the_theta_of_the_lowest_validation_loss()
    {
        using var problem = PlantedHeadProblem.Create();
        // At this learning rate Adam overshoots the planted weight, so the validation loss turns up after its minimum.
        var options = LtvReference.Small(HeadActivationSource.Mean) with { Patience = 2 };

        var vector = LearnableTaskVector.Train(problem, options);

        var curve = vector.Provenance.TrainingCurve;
        var best = curve.MinBy(p => p.ValidationLoss)!;
        Assert.True(best.Epoch > 0 && best.Epoch < curve[^1].Epoch, $"best epoch {best.Epoch} of {curve[^1].Epoch}");
        Assert.True(curve[^1].ValidationLoss > best.ValidationLoss);
        Assert.Equal(best.Epoch + options.Patience, curve[^1].Epoch);
        Assert.Equal(best.Epoch.ToString(), vector.Provenance.Settings["BestEpoch"]);
        Assert.Equal("true", vector.Provenance.Settings["StoppedEarly"]);
        // The returned vector, injected by its own hooks into the validation prompts (seed + 2), scores the best epoch's loss.
        using var batch = problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Valid, options.Shots!.Value, options.ValidationPrompts, 64, options.Seed + 2).Single();
        using var noGrad = no_grad();
        using var hooks = vector.CreateHooks(problem.Network, batch.PredictionColumn);
        var loss = problem.Loss(problem.Predict(batch, hooks), batch).to(ScalarType.Float64).mean().item<double>();
        Assert.Equal(best.ValidationLoss, loss, 1e-6 * best.ValidationLoss + 1e-12);
    }

    [Fact]
    public void Cancellation_throws_and_restores_the_model()
    {
        using var problem = PlantedHeadProblem.Create();
        using var cancel = new CancellationTokenSource();
        var reports = new List<LearnableTaskVectorProgress>();
        var progress = new SynchronousProgress<LearnableTaskVectorProgress>(p =>
        {
            reports.Add(p);
            if (p.Step == 1) cancel.Cancel();
        });

        Assert.ThrowsAny<OperationCanceledException>(() =>
            LearnableTaskVector.Train(problem, LtvReference.Small(HeadActivationSource.Mean), progress, cancel.Token));

        Assert.Equal(0, reports[0].Epoch);
        Assert.NotNull(reports[0].ValidationLoss);
        Assert.Null(reports[1].ValidationLoss);
        Assert.All(problem.Network.parameters(), p => Assert.True(p.requires_grad));
    }

    public static TheoryData<LearnableTaskVectorOptions, string> BadOptions => new()
    {
        { new() { BatchSize = 0 }, nameof(LearnableTaskVectorOptions.BatchSize) },
        { new() { LearningRate = 0 }, nameof(LearnableTaskVectorOptions.LearningRate) },
        { new() { LearningRate = double.NaN }, nameof(LearnableTaskVectorOptions.LearningRate) },
        { new() { MaxEpochs = 0 }, nameof(LearnableTaskVectorOptions.MaxEpochs) },
        { new() { Patience = 0 }, nameof(LearnableTaskVectorOptions.Patience) },
        { new() { TrainPrompts = 0 }, nameof(LearnableTaskVectorOptions.TrainPrompts) },
        { new() { ValidationPrompts = -1 }, nameof(LearnableTaskVectorOptions.ValidationPrompts) },
        { new() { ActivationSource = HeadActivationSource.Mean, MeanPrompts = 0 }, nameof(LearnableTaskVectorOptions.MeanPrompts) },
        { new() { ActivationSource = HeadActivationSource.Mean, MeanShots = 0 }, nameof(LearnableTaskVectorOptions.MeanShots) },
        { new() { Loss = LtvLoss.Huber, HuberDelta = 0 }, nameof(LearnableTaskVectorOptions.HuberDelta) },
        { new() { Init = (LtvThetaInit)7 }, nameof(LearnableTaskVectorOptions.Init) },
        { new() { ActivationSource = (HeadActivationSource)7 }, nameof(LearnableTaskVectorOptions.ActivationSource) },
        { new() { TrainingKind = TaskPromptKind.Clean, Shots = -1 }, nameof(LearnableTaskVectorOptions.Shots) },
        // Regression prompts have the model's training length, which the options must state.
        { new() { TrainingKind = TaskPromptKind.Clean }, nameof(LearnableTaskVectorOptions.Shots) },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_options_throw_naming_the_option(LearnableTaskVectorOptions options, string field)
    {
        using var problem = PlantedHeadProblem.Create();
        var e = Assert.Throws<IclPsException>(() => LearnableTaskVector.Train(problem, options));
        Assert.Equal(TaskVectorErrorIds.InvalidOption, e.ErrorId);
        Assert.Equal(IclErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(field, e.Target);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void Defaults_follow_the_model_family()
    {
        var regression = new LearnableTaskVectorOptions { Shots = 40 }.Resolve(ModelConfig.RegressionPresets["regression-tiny"]);
        Assert.Equal((HeadActivationSource.Live, TaskPromptKind.Clean, 40), (regression.ActivationSource, regression.TrainingKind, regression.Shots));
        var language = new LearnableTaskVectorOptions().Resolve(ModelConfig.Presets["gpt2-tiny"]);
        Assert.Equal((HeadActivationSource.Mean, TaskPromptKind.ZeroShot, 0), (language.ActivationSource, language.TrainingKind, language.Shots));
        var shuffled = new LearnableTaskVectorOptions { TrainingKind = TaskPromptKind.ShuffledLabels }.Resolve(ModelConfig.Presets["gpt2-tiny"]);
        Assert.Equal(5, shuffled.Shots);
    }
}
