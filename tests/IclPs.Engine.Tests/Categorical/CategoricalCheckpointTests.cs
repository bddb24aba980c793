using IclPs.Engine.Native;
using IclPs.Engine.Regression.Categorical;
using IclPs.Engine.Storage;

namespace IclPs.Engine.Tests.Categorical;

/// <summary>Categorical checkpoints go through the engine's staged writes under the run folder's lock, as training checkpoints do.</summary>
public class CategoricalCheckpointTests
{
    private static readonly CategoricalTaskSettings Settings = new() { ContextPoints = 12, DataSeed = 5 };

    public CategoricalCheckpointTests() => TorchNativeLoader.EnsureLoaded();

    private static CategoricalTrainingResult Train(string folder, int steps, bool resume = false)
    {
        using var tasks = new CategoricalTasks(Settings);
        using var model = CategoricalAttentionModel.Create(CategoricalModelConfig.For(CategoricalModelKind.Gd, 1, CategoricalKernel.Softmax, null, Settings), seed: 1);
        return new CategoricalTrainer(tasks, model, new CategoricalTrainingOptions
        {
            Steps = steps, BatchSize = 8, TrainContexts = 32, ValidationContexts = 16, EvaluateEvery = 1,
            CheckpointFolder = folder, CheckpointEvery = 2, KeepCheckpoints = 3, Resume = resume,
        }).Train();
    }

    private static string[] Leftovers(string folder) =>
        Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Where(n => TempFiles.IsTempName(n!)).Select(n => n!).ToArray();

    [Fact]
    public void AFailedCheckpointLeavesNoStepFolderAndThePreviousOneResumes()
    {
        using var temp = new TempFolder();
        var run = Path.Combine(temp.Path, "run");
        // The rename that would make step-00000004 appear fails: the file system refusing at the last moment.
        StagedFileSet.FaultInjection.Value = (step, path) =>
        {
            if (step == "folder" && Path.GetFileName(path) == "step-00000004") throw new IOException($"Injected failure at {step} '{path}'.");
        };
        try
        {
            Assert.Throws<StagedCommitException>(() => Train(run, steps: 6));
        }
        finally
        {
            StagedFileSet.FaultInjection.Value = null;
        }
        Assert.Equal(new[] { 2 }, CategoricalCheckpoint.List(run).Select(c => c.Step));
        Assert.Empty(Leftovers(run));
        Assert.False(File.Exists(WriterLock.FolderLockPath(run)), "the run's lock is released with the failure");

        var resumed = Train(run, steps: 6, resume: true);
        Assert.Equal(2, resumed.FirstStep);
        Assert.Equal(new[] { 2, 4, 6 }, CategoricalCheckpoint.List(run).Select(c => c.Step));
        Assert.Empty(Leftovers(run));
    }

    [Fact]
    public void ASecondWriterOfTheRunFolderIsRefusedBeforeAnyUpdate()
    {
        using var temp = new TempFolder();
        using var held = WriterLock.AcquireFolder(temp.Path, "another run");
        var error = Assert.Throws<WriterLockException>(() => Train(temp.Path, steps: 2));
        Assert.Equal(StorageErrorIds.FolderInUse, error.ErrorId);
        Assert.Equal(Path.TrimEndingDirectorySeparator(Path.GetFullPath(temp.Path)), error.Resource);
        Assert.Empty(CategoricalCheckpoint.List(temp.Path));
    }
}
