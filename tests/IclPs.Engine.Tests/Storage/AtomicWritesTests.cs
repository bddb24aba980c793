using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Storage;
using IclPs.Engine.TaskVectors;
using IclPs.Engine.Tests.Training;
using IclPs.Engine.Training;
using TorchSharp;
using static IclPs.Engine.Tests.Storage.StorageTestFiles;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Storage;

/// <summary>
/// Every multi-file write goes through the shared mechanism: a model checkpoint, a task-vector pair and a training run
/// folder are replaced whole or not at all, are locked against a second writer, and lose their dead writers' leftovers.
/// </summary>
public sealed class AtomicWritesTests : IDisposable
{
    private readonly TempFolder _root = new();

    public AtomicWritesTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose() => _root.Dispose();

    private static byte[] Weights(TransformerModel model) =>
        model.CheckpointTensors().SelectMany(t => t.Tensor.detach().contiguous().bytes.ToArray()).ToArray();

    private sealed class Messages : IProgress<string>
    {
        public List<string> Lines { get; } = [];
        public void Report(string value) => Lines.Add(value);
    }

    /// <summary>
    /// The reported fault: a gpt2-mini saved over a gpt2-tiny checkpoint, one of whose files cannot be replaced. Before,
    /// model.safetensors was already the new one beside the old config and the checkpoint no longer loaded.
    /// </summary>
    [Theory]
    [InlineData("aside", "config.json")]
    [InlineData("in", "config.json")]
    [InlineData("in", "model.safetensors")]
    [InlineData("in", "iclps_tokenizer.json")]
    public void A_model_save_that_fails_part_way_leaves_the_previous_checkpoint_loadable(string step, string file)
    {
        var folder = _root.File("ckpt");
        using var tiny = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"], seed: 1, device: CPU);
        tiny.Save(folder);
        var before = Snapshot(folder);

        using var mini = IclModel.CreateRandom(ModelConfig.Presets["gpt2-mini"], seed: 2, device: CPU);
        StagedCommitException error;
        using (FailOn(step, file)) error = Assert.Throws<StagedCommitException>(() => mini.Save(folder));

        Assert.True(error.RolledBack);
        Assert.Equal(Path.Combine(folder, file), error.Path);
        Assert.Equal(before, Snapshot(folder));
        using var loaded = IclModel.Load(folder, CPU);
        Assert.Equal(tiny.Config, loaded.Config);
        Assert.Equal(Weights(tiny.Network), Weights(loaded.Network));

        // And the save goes through once the file can be replaced.
        mini.Save(folder);
        using var replaced = IclModel.Load(folder, CPU);
        Assert.Equal(mini.Config, replaced.Config);
    }

    [Fact]
    public void A_failed_save_into_a_new_folder_leaves_no_folder()
    {
        var folder = _root.File("new-ckpt");
        using var tiny = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"], seed: 1, device: CPU);
        using (FailOn("in", "model.safetensors")) Assert.Throws<StagedCommitException>(() => tiny.Save(folder));
        Assert.False(Directory.Exists(folder));
        Assert.Empty(Directory.GetFileSystemEntries(_root.Path));
    }

    [Fact]
    public void A_model_save_into_a_folder_another_writer_holds_is_refused_and_changes_nothing()
    {
        var folder = _root.File("ckpt");
        using var tiny = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"], seed: 1, device: CPU);
        tiny.Save(folder);
        var before = Snapshot(folder);
        using (WriterLock.AcquireFolder(folder, "another save"))
        {
            var error = Assert.Throws<WriterLockException>(() => tiny.Save(folder));
            Assert.Equal((StorageErrorIds.FolderInUse, IclErrorKind.ResourceBusy, folder), (error.ErrorId, error.Kind, error.Target));
        }
        Assert.Equal(before, Snapshot(folder));
    }

    [Fact]
    public void A_model_save_removes_what_a_killed_save_left_and_says_so()
    {
        var folder = _root.File("ckpt");
        using var tiny = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"], seed: 1, device: CPU);
        tiny.Save(folder);
        var dead = Path.Combine(folder, TempFiles.NewName("checkpoint"));
        Directory.CreateDirectory(Path.Combine(dead, "new"));
        File.WriteAllBytes(Path.Combine(dead, "new", "model.safetensors"), new byte[1000]);
        var pid = WriteDeadLock(Path.Combine(dead, WriterLock.FileName));
        var oldTokenizerTemp = Path.Combine(folder, $".tokenizer-{pid}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(oldTokenizerTemp);
        Backdate(oldTokenizerTemp, TimeSpan.FromHours(1));

        var messages = new Messages();
        tiny.Save(folder, progress: messages);
        Assert.Contains(messages.Lines, m => m.Contains($"Removed leftover staging folder '{dead}'") && m.Contains($"process {pid}"));
        Assert.Contains(messages.Lines, m => m.Contains(oldTokenizerTemp));
        Assert.Empty(Directory.GetDirectories(folder));
        Assert.False(File.Exists(Path.Combine(folder, WriterLock.FileName)));
    }

    private static TaskVector Vector(float scale) => new(TaskVectorMethod.FunctionVector, "tiny (test)", new TaskVectorModelShape(ModelFamily.Gpt2, 2, 4, 8),
        TaskVectorInjection.Add, [new TaskVectorLayer(1, Enumerable.Range(0, 8).Select(i => scale * i).ToArray())],
        [new TaskVectorHead(0, 3, 1.0, [scale, -scale])], new TaskVectorProvenance { Source = "test" });

    [Theory]
    [InlineData("aside", "tv.safetensors")]
    [InlineData("in", "tv.safetensors")]
    public void A_task_vector_export_that_fails_part_way_leaves_the_previous_pair_whole(string step, string file)
    {
        var stem = _root.File("tv");
        TaskVectorFile.Export(Vector(1), stem);
        var before = Snapshot(_root.Path);

        using (FailOn(step, file)) Assert.Throws<StagedCommitException>(() => TaskVectorFile.Export(Vector(2), stem));

        Assert.Equal(before, Snapshot(_root.Path));
        Assert.Equal(1f, TaskVectorFile.Import(stem).Vectors[0].Values[1]);
        TaskVectorFile.Export(Vector(2), stem);
        Assert.Equal(2f, TaskVectorFile.Import(stem).Vectors[0].Values[1]);
        Assert.Empty(Leftovers(_root.Path));
    }

    private static readonly ModelConfig Regression = ModelConfig.RegressionPresets["regression-tiny"];

    private IclTrainer Trainer(string folder, bool resume = false, int steps = 4) =>
        new((RegressionModel)TransformerModel.Create(Regression, CPU, seed: 3), new LinearRegressionSource(2, 4, Regression.InputDim),
            new IclTrainingOptions { Steps = steps, BatchSize = 4, Seed = 5, CheckpointFolder = folder, CheckpointEvery = 2, Resume = resume });

    [Fact]
    public void A_second_training_run_on_a_run_folder_is_refused_naming_the_holder()
    {
        var run = _root.File("run");
        using (WriterLock.AcquireFolder(run, "Start-IclTraining"))
        {
            var error = Assert.Throws<WriterLockException>(() => Trainer(run).Train());
            Assert.Equal((StorageErrorIds.FolderInUse, IclErrorKind.ResourceBusy, run), (error.ErrorId, error.Kind, error.Target));
            Assert.Contains($"process {Environment.ProcessId}", error.Message);
            Assert.Equal([Path.Combine(run, WriterLock.FileName)], Directory.GetFileSystemEntries(run));
        }
        // A lock given by the caller is used, not taken twice.
        using var held = WriterLock.AcquireFolder(run, "Start-IclTraining");
        var trainer = new IclTrainer((RegressionModel)TransformerModel.Create(Regression, CPU, seed: 3), new LinearRegressionSource(2, 4, Regression.InputDim),
            new IclTrainingOptions { Steps = 2, BatchSize = 4, Seed = 5, CheckpointFolder = run }) { FolderLock = held };
        Assert.NotNull(trainer.Train().LastCheckpoint);
        Assert.True(held.IsHeld);
    }

    [Fact]
    public void A_killed_runs_lock_and_staging_folder_are_cleared_when_training_resumes()
    {
        var run = _root.File("run");
        Assert.EndsWith("step-00000006", Trainer(run, steps: 6).Train().LastCheckpoint);
        // What a run killed while writing its step-6 checkpoint leaves: step 4, its lock and a half-written staging folder.
        Directory.Delete(Path.Combine(run, "step-00000006"), recursive: true);
        WriteDeadLock(Path.Combine(run, WriterLock.FileName));
        var stage = Path.Combine(run, TempFiles.NewName("step-00000006"));
        Directory.CreateDirectory(Path.Combine(stage, "new"));
        File.WriteAllText(Path.Combine(stage, "new", "config.json"), "{}");
        WriteDeadLock(Path.Combine(stage, WriterLock.FileName));

        var result = Trainer(run, resume: true, steps: 6).Train();
        Assert.Equal(4, result.FirstStep);
        Assert.EndsWith("step-00000006", result.LastCheckpoint);
        Assert.Empty(Leftovers(run));
        Assert.False(File.Exists(Path.Combine(run, WriterLock.FileName)));
        Assert.Equal(["step-00000004", "step-00000006"], Directory.GetDirectories(run).Select(Path.GetFileName).Order());
    }
}
