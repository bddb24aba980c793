using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Tests.Training;
using IclPs.Engine.Training;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Reliability;

/// <summary>
/// Non-finite weights never load silently, and a diverging run never keeps a checkpoint of weights it diverged with.
/// </summary>
public sealed class NonFiniteWeightsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public NonFiniteWeightsTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose() => _folder.Dispose();

    private static readonly ModelConfig Tiny = ModelConfig.RegressionPresets["regression-tiny"];

    /// <summary>Saves a seeded model with <paramref name="value"/> written into one element of <paramref name="tensor"/>.</summary>
    private void SavePoisoned(string preset, string tensor, double value, ScalarType dtype = ScalarType.Float32)
    {
        using var model = TransformerModel.Create(ModelConfig.Presets[preset], CPU, dtype, seed: 1);
        using (no_grad())
        {
            var target = model.CheckpointTensors().Single(t => t.Name == tensor).Tensor;
            target.view(-1)[3] = full(1, value, dtype: dtype)[0];
        }
        HfCheckpoint.Save(model, _folder.Path);
    }

    [Theory]
    [InlineData("gpt2-tiny", "transformer.h.1.mlp.c_fc.weight", double.NaN, "1 NaN")]
    [InlineData("llama-tiny", "model.layers.0.self_attn.k_proj.weight", double.PositiveInfinity, "1 +Inf")]
    [InlineData("llama-tiny", "lm_head.weight", double.NegativeInfinity, "1 -Inf")]
    public void A_checkpoint_with_non_finite_weights_is_refused_naming_the_tensor(string preset, string tensor, double value, string count)
    {
        SavePoisoned(preset, tensor, value);
        var refused = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal((CheckpointErrorIds.NonFiniteTensor, IclErrorKind.InvalidData, tensor), (refused.ErrorId, refused.Kind, refused.TensorName));
        Assert.Contains(count, refused.Message);
        Assert.Contains("AllowNonFinite", refused.Message);

        using var allowed = HfCheckpoint.Load(_folder.Path, CPU, allowNonFinite: true);
        Assert.False(FiniteCheck.IsFinite(allowed.CheckpointTensors().Single(t => t.Name == tensor).Tensor));
    }

    [Fact]
    public void Values_that_overflow_the_load_dtype_count_as_non_finite()
    {
        SavePoisoned("gpt2-tiny", "transformer.wpe.weight", 1e300, ScalarType.Float64);
        using (var asStored = HfCheckpoint.Load(_folder.Path, CPU, ScalarType.Float64)) Assert.Equal(ScalarType.Float64, asStored.DType);
        var refused = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU, ScalarType.Float32));
        Assert.Equal(("transformer.wpe.weight", CheckpointErrorIds.NonFiniteTensor), (refused.TensorName, refused.ErrorId));
    }

    [Fact]
    public void Learning_rate_1e4_diverges_without_keeping_the_exploded_checkpoint()
    {
        var run = Path.Combine(_folder.Path, "run");
        using var model = (RegressionModel)TransformerModel.Create(Tiny, CPU, seed: 99);
        var options = new IclTrainingOptions
        {
            Steps = 10, BatchSize = 8, LearningRate = 1e4, Schedule = LearningRateSchedule.Constant, Seed = 42,
            CheckpointFolder = run, CheckpointEvery = 1,
        };
        var diverged = Assert.Throws<TrainingDivergedException>(() => new IclTrainer(model, new LinearRegressionSource(4, 6, Tiny.InputDim), options).Train());
        // Update 0 was finite; the weights it produced are what diverged, and they were never written.
        Assert.Equal((1, "the training loss at the weights to checkpoint"), (diverged.Step, diverged.Quantity));
        Assert.True(diverged.Value > options.MaxLoss);
        Assert.Null(diverged.LastCheckpoint);
        Assert.Empty(TrainingCheckpoint.List(run));
        Assert.Empty(Directory.Exists(run) ? Directory.GetFileSystemEntries(run) : []);
    }

    [Fact]
    public void A_checkpoint_whose_loss_explodes_is_not_written_and_the_one_before_stays_the_last_good()
    {
        var run = Path.Combine(_folder.Path, "run");
        var options = new IclTrainingOptions
        {
            Steps = 6, BatchSize = 8, LearningRate = 1e-3, Schedule = LearningRateSchedule.Constant, Seed = 42,
            CheckpointFolder = run, CheckpointEvery = 1, KeepCheckpoints = 5,
        };
        using var model = (RegressionModel)TransformerModel.Create(Tiny, CPU, seed: 99);
        // From update 3 on the targets are 1e12 times larger: the loss at the weights after update 3 is far past MaxLoss.
        var source = new ScaledSource(new LinearRegressionSource(4, 6, Tiny.InputDim), fromStep: 3, scale: 1e12);
        var diverged = Assert.Throws<TrainingDivergedException>(() => new IclTrainer(model, source, options).Train());
        Assert.Equal((3, "the training loss at the weights to checkpoint"), (diverged.Step, diverged.Quantity));
        Assert.EndsWith("step-00000002", diverged.LastCheckpoint);
        Assert.Equal([1, 2], TrainingCheckpoint.List(run).Select(c => c.Step));
    }

    [Fact]
    public void Resuming_from_a_checkpoint_with_non_finite_weights_is_refused_naming_the_tensor()
    {
        var run = Path.Combine(_folder.Path, "run");
        var source = new LinearRegressionSource(4, 6, Tiny.InputDim);
        var options = new IclTrainingOptions { Steps = 4, BatchSize = 8, Seed = 42, CheckpointFolder = run, EvaluateEvery = 1 };
        using (var model = (RegressionModel)TransformerModel.Create(Tiny, CPU, seed: 99))
        using (var cancel = new CancellationTokenSource())
            Assert.True(new IclTrainer(model, source, options).Train(e => { if (e.Step == 2) cancel.Cancel(); }, cancel.Token).Cancelled);
        var newest = TrainingCheckpoint.List(run)[^1].Path;
        using (var model = HfCheckpoint.Load(newest, CPU))
        {
            using (no_grad()) model.CheckpointTensors().Single(t => t.Name == "read_out.weight").Tensor.view(-1)[0] = full(1, float.NaN)[0];
            // Replace only the weights file: the checkpoint keeps its trainer state and optimizer moments.
            var staging = Path.Combine(_folder.Path, "staging");
            HfCheckpoint.Save(model, staging);
            File.Copy(Path.Combine(staging, HfCheckpoint.WeightsFileName), Path.Combine(newest, HfCheckpoint.WeightsFileName), overwrite: true);
        }
        using var resumed = (RegressionModel)TransformerModel.Create(Tiny, CPU, seed: 99);
        var refused = Assert.Throws<CheckpointException>(() => new IclTrainer(resumed, source, options with { Resume = true }).Train());
        Assert.Equal((CheckpointErrorIds.NonFiniteTensor, "read_out.weight"), (refused.ErrorId, refused.TensorName));
    }

    /// <summary>The inner source's batches with targets multiplied by <paramref name="scale"/> from <paramref name="fromStep"/> on.</summary>
    private sealed class ScaledSource(IBatchSource inner, int fromStep, double scale) : IBatchSource
    {
        public string Description => inner.Description;

        public TrainingBatch Next(int step, int batchSize, TorchSharp.torch.Generator generator)
        {
            var batch = inner.Next(step, batchSize, generator);
            if (step >= fromStep) batch.Targets.mul_(scale);
            return batch;
        }
    }
}
