using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Training;
using IclPs.Engine.Training.Stacked;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Training.Stacked;

/// <summary>
/// The stacked regression transformer and trainer against the independent path they replace: each model's own
/// <see cref="RegressionModel.Predict"/> and each model trained alone by <see cref="IclTrainer"/>.
/// </summary>
public sealed class StackedRegressionTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly TempFolder _folder = new();

    public StackedRegressionTests(ITestOutputHelper output)
    {
        TorchNativeLoader.EnsureLoaded();
        _output = output;
    }

    public void Dispose() => _folder.Dispose();

    private static readonly ModelConfig Tiny = ModelConfig.Regression(inputDim: 5, dModel: 16, layers: 2, heads: 2, contextLength: 16);

    private static RegressionModel NewModel(ScalarType dtype, long seed = 0) => (RegressionModel)TransformerModel.Create(Tiny, CPU, dtype, seed);

    /// <summary>Each model its own data: a pool of 2, 8 or 32 tasks, or fresh tasks.</summary>
    private static LinearRegressionSource Source(int model) =>
        new(4, 6, Tiny.InputDim, noise: 0.1, poolSize: (model % 4) switch { 0 => 2, 1 => 8, 2 => 32, _ => null });

    /// <summary>Every piece of state in play: triangle schedule, weight decay, and a clip limit low enough to bite.</summary>
    private static IclTrainingOptions Options(long seed, int steps, string? folder = null, double learningRate = 1e-2) => new()
    {
        Steps = steps, BatchSize = 8, LearningRate = learningRate, Schedule = LearningRateSchedule.Triangle, WeightDecay = 0.01,
        MaxGradNorm = 0.3, Seed = seed, CheckpointFolder = folder, CheckpointEvery = folder is null ? 0 : 3, Resume = folder is not null,
    };

    /// <summary>The largest |a - b| over every checkpoint tensor, and the largest |a| for scale.</summary>
    private static (double Difference, double Scale) Compare(RegressionModel a, RegressionModel b)
    {
        var (difference, scale) = (0.0, 0.0);
        foreach (var ((name, x), (_, y)) in a.CheckpointTensors().Zip(b.CheckpointTensors()))
        {
            using var scope = NewDisposeScope();
            difference = Math.Max(difference, (x - y).abs().max().to(ScalarType.Float64).item<double>());
            scale = Math.Max(scale, x.abs().max().to(ScalarType.Float64).item<double>());
        }
        return (difference, scale);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-10)]
    [InlineData(ScalarType.Float32, 1e-5)]
    public void Forward_equals_each_models_own_forward(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        // Random-scale weights (not the near-identity initialisation) so every parameter changes the output.
        var models = new[] { 3L, 4, 5 }.Select(seed => RegressionModels.CreateRandom(Tiny, seed, dtype)).ToArray();
        using var stack = new StackedRegressionModel(models);
        var inputs = randn([3, 4, 12, Tiny.InputDim], dtype: dtype, generator: new Generator(8));
        var stacked = stack.Predict(inputs);
        Assert.Equal(new long[] { 3, 4, 12 }, stacked.shape);
        for (var g = 0; g < models.Length; g++)
        {
            var own = models[g].Predict(inputs[g]);
            var difference = (stacked[g] - own).abs().max().to(ScalarType.Float64).item<double>();
            _output.WriteLine($"{dtype} model {g}: max |stacked - own| = {difference:E2} (predictions up to {own.abs().max().to(ScalarType.Float64).item<double>():0.00})");
            Assert.True(difference <= tolerance, $"model {g}: stacked prediction differs from its own by {difference:E2} > {tolerance:E0}");
        }
        foreach (var m in models) m.Dispose();
    }

    [Fact]
    public void Clipping_is_per_model_over_its_own_slice()
    {
        using var scope = NewDisposeScope();
        var models = new[] { 3L, 4 }.Select(seed => RegressionModels.CreateRandom(Tiny, seed, ScalarType.Float64)).ToArray();
        using var stack = new StackedRegressionModel(models);
        // Model 1's loss scaled by 100: its norm is far above model 0's, and a limit between the two clips model 1 alone.
        var inputs = randn([2, 3, 8, Tiny.InputDim], dtype: ScalarType.Float64, generator: new Generator(1));
        var scales = tensor(new[] { 1.0, 100.0 }, dtype: ScalarType.Float64).view(2, 1, 1);
        (stack.Predict(inputs) * scales).sum().backward();
        var expected = new double[2];
        var expectedGrads = new List<Tensor[]>();
        for (var g = 0; g < 2; g++)
        {
            (models[g].Predict(inputs[g]) * (g == 0 ? 1.0 : 100.0)).sum().backward();
            var optimizer = new AdamWOptimizer(models[g].CheckpointTensors());
            expected[g] = optimizer.ClipGradNorm(null);
            optimizer.Dispose();
        }
        var limit = Math.Sqrt(expected[0] * expected[1]);
        Assert.True(expected[0] < limit && limit < expected[1]);
        for (var g = 0; g < 2; g++)
        {
            var optimizer = new AdamWOptimizer(models[g].CheckpointTensors());
            optimizer.ClipGradNorm(limit);
            optimizer.Dispose();
        }
        var norms = StackedRegressionTrainer.ClipGradNorms(stack, limit);
        for (var g = 0; g < 2; g++)
        {
            Assert.Equal(expected[g], norms[g], 1e-9 * expected[g]);
            foreach (var ((name, own), (_, stacked)) in models[g].CheckpointTensors().Zip(stack.Parameters))
            {
                var difference = (stacked.grad![g] - own.grad!).abs().max().item<double>();
                Assert.True(difference <= 1e-10 * Math.Max(1, expected[g]), $"model {g} gradient {name} differs by {difference:E2} after clipping");
            }
        }
        foreach (var m in models) m.Dispose();
    }

    /// <summary>Trains <paramref name="seeds"/> alone with <see cref="IclTrainer"/> and together stacked; returns both.</summary>
    private (RegressionModel[] Alone, TrainingResult[] AloneResults, RegressionModel[] Stacked, IReadOnlyList<TrainingResult> StackedResults) TrainBoth(
        ScalarType dtype, long[] seeds, int[] sources, int steps, double learningRate)
    {
        var alone = seeds.Select(_ => NewModel(dtype)).ToArray();
        var aloneResults = seeds.Select((seed, g) => new IclTrainer(alone[g], Source(sources[g]), Options(seed, steps, learningRate: learningRate)).Train()).ToArray();
        var stacked = seeds.Select(_ => NewModel(dtype)).ToArray();
        var stackedResults = new StackedRegressionTrainer(stacked, sources.Select(Source).ToArray(),
            seeds.Select(s => Options(s, steps, learningRate: learningRate)).ToArray()).Train();
        return (alone, aloneResults, stacked, stackedResults);
    }

    /// <summary>
    /// Float64: the same arithmetic up to the order of a few sums (measured 6e-15). Float32: batched and single kernels round
    /// differently in the last bit, and AdamW can turn such differences in near-zero gradients into steps of up to the
    /// learning rate: at lr 1e-2 with clipping they grew to 9e-4 of the weights in 20 updates (measured), at the
    /// task-diversity sweep's 1e-3 they stay near 1.4e-7 (measured), so the float32 case trains at 1e-3 and allows 1e-5.
    /// </summary>
    [Theory]
    [InlineData(ScalarType.Float64, 8, 1e-2, 1e-10)]
    [InlineData(ScalarType.Float32, 20, 1e-3, 1e-5)]
    public void Training_stacked_equals_training_each_model_alone(ScalarType dtype, int steps, double learningRate, double relativeTolerance)
    {
        var (alone, aloneResults, stacked, stackedResults) = TrainBoth(dtype, [11, 12, 13], [0, 1, 3], steps, learningRate);
        for (var g = 0; g < alone.Length; g++)
        {
            Assert.Equal(steps, stackedResults[g].FinalStep);
            var lossDifference = aloneResults[g].Losses.Zip(stackedResults[g].Losses).Max(p => Math.Abs(p.First - p.Second) / Math.Abs(p.First));
            var (difference, scale) = Compare(alone[g], stacked[g]);
            _output.WriteLine($"{dtype} model {g} after {steps} updates: losses {aloneResults[g].Losses[0]:0.000} -> {aloneResults[g].Losses[^1]:0.000}, " +
                $"max relative loss difference {lossDifference:E2}, max weight difference {difference:E2} (weights up to {scale:0.00})");
            Assert.True(lossDifference <= relativeTolerance, $"model {g}: losses differ by {lossDifference:E2} relative");
            Assert.True(difference <= relativeTolerance * scale, $"model {g}: weights differ by {difference:E2}, more than {relativeTolerance:E0} of {scale:0.00}");
        }
        // The models took different paths, so equality above is not one path repeated.
        Assert.NotEqual(stackedResults[0].Losses[^1], stackedResults[1].Losses[^1]);
        foreach (var m in alone.Concat(stacked)) m.Dispose();
    }

    [Fact]
    public void A_single_model_stack_equals_plain_training()
    {
        var (alone, aloneResults, stacked, stackedResults) = TrainBoth(ScalarType.Float32, [21], [2], 20, 1e-3);
        var (difference, scale) = Compare(alone[0], stacked[0]);
        _output.WriteLine($"G = 1: max weight difference {difference:E2} (weights up to {scale:0.00}); final losses {aloneResults[0].Losses[^1]:R} and {stackedResults[0].Losses[^1]:R}");
        Assert.True(difference <= 1e-5 * scale, $"weights differ by {difference:E2}");
        Assert.Equal(aloneResults[0].Losses[^1], stackedResults[0].Losses[^1], 1e-5 * aloneResults[0].Losses[^1]);
        alone[0].Dispose();
        stacked[0].Dispose();
    }

    /// <summary>In float64, so that only a leak between models (not the last bit of a batched kernel) could show.</summary>
    [Fact]
    public void A_models_result_does_not_depend_on_its_neighbours()
    {
        RegressionModel TrainFirstWith(long[] neighbours, int[] neighbourSources)
        {
            var models = new[] { NewModel(ScalarType.Float64) }.Concat(neighbours.Select(_ => NewModel(ScalarType.Float64))).ToArray();
            var sources = new[] { Source(0) }.Concat(neighbourSources.Select(Source)).ToArray<IBatchSource>();
            var options = new[] { Options(7, 10) }.Concat(neighbours.Select(s => Options(s, 10))).ToArray();
            new StackedRegressionTrainer(models, sources, options).Train();
            foreach (var m in models.Skip(1)) m.Dispose();
            return models[0];
        }
        using var withFirst = TrainFirstWith([1, 2], [1, 2]);
        using var withOthers = TrainFirstWith([3, 4, 5], [3, 2, 1]);
        var (difference, scale) = Compare(withFirst, withOthers);
        _output.WriteLine($"model trained beside two and beside three other models: max weight difference {difference:E2} (weights up to {scale:0.00})");
        Assert.True(difference <= 1e-12 * scale, $"the model's weights changed with its neighbours by {difference:E2}");
    }

    [Fact]
    public void Stacked_checkpoints_resume_alone_as_an_uninterrupted_run()
    {
        var seeds = new long[] { 31, 32 };
        var folders = seeds.Select(s => Path.Combine(_folder.Path, $"run-{s}")).ToArray();
        var models = seeds.Select(_ => NewModel(ScalarType.Float64)).ToArray();
        using var stop = new CancellationTokenSource();
        var results = new StackedRegressionTrainer(models, [Source(0), Source(1)], [Options(31, 8, folders[0]), Options(32, 8, folders[1])])
            .Train((step, _, _) => { if (step == 4) stop.Cancel(); }, stop.Token);
        Assert.All(results, r => Assert.True(r.Cancelled && r.FinalStep == 4 && r.LastCheckpoint!.EndsWith("step-00000004", StringComparison.Ordinal)));
        for (var g = 0; g < 2; g++)
        {
            // The rest of the run alone, from the stack's checkpoint (weights and AdamW moments).
            using var resumed = NewModel(ScalarType.Float64, seed: 999);
            var rest = new IclTrainer(resumed, Source(g), Options(seeds[g], 8, folders[g])).Train();
            Assert.Equal(4, rest.FirstStep);
            using var uninterrupted = NewModel(ScalarType.Float64);
            new IclTrainer(uninterrupted, Source(g), Options(seeds[g], 8)).Train();
            var (difference, scale) = Compare(uninterrupted, resumed);
            _output.WriteLine($"model {g}: stacked to 4, alone to 8, against alone 0 to 8: max weight difference {difference:E2}");
            Assert.True(difference <= 1e-10 * scale, $"model {g}: resumed weights differ by {difference:E2}");
            models[g].Dispose();
        }
    }

    [Fact]
    public void Run_folders_at_different_updates_are_refused()
    {
        var folders = new[] { Path.Combine(_folder.Path, "ahead"), Path.Combine(_folder.Path, "fresh") };
        using (var ahead = NewModel(ScalarType.Float32)) new IclTrainer(ahead, Source(0), Options(1, 6, folders[0])).Train();
        using var a = NewModel(ScalarType.Float32);
        using var b = NewModel(ScalarType.Float32);
        var error = Assert.Throws<IclPsException>(() =>
            new StackedRegressionTrainer([a, b], [Source(0), Source(1)], [Options(1, 6, folders[0]), Options(2, 6, folders[1])]).Train());
        Assert.Equal(StackedTrainingErrorIds.ResumeOutOfStep, error.ErrorId);
        Assert.Contains("6, 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_that_differ_beyond_seed_and_folder_are_refused()
    {
        using var a = NewModel(ScalarType.Float32);
        using var b = NewModel(ScalarType.Float32);
        var error = Assert.Throws<IclPsException>(() =>
            new StackedRegressionTrainer([a, b], [Source(0), Source(1)], [Options(1, 5), Options(2, 5) with { LearningRate = 2e-2 }]));
        Assert.Equal(StackedTrainingErrorIds.InvalidStack, error.ErrorId);
    }
}
