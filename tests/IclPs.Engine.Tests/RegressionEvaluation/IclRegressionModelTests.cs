using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.Training;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.RegressionEvaluation;

public sealed class IclRegressionModelTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("iclps-regression-run-").FullName;

    public IclRegressionModelTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static byte[] Weights(TransformerModel model) =>
        model.CheckpointTensors().SelectMany(t => t.Tensor.detach().contiguous().bytes.ToArray()).ToArray();

    [Fact]
    public void Loads_the_newest_checkpoint_of_a_run_folder_with_its_task_settings()
    {
        var task = new RegressionTaskSettings { Dimension = 3, Points = 5, PoolSize = 4, NoiseVariance = 0.5, TaskSeed = 9 };
        task.Save(_folder);
        using var model = IclRegressionModel.CreateRandom(ModelConfig.RegressionPresets["regression-tiny"], 1, "tiny", "preset:regression-tiny seed:1", task);
        using var family = task.CreateFamily();
        new IclTrainer(model.Network, new RegressionBatchSource(family, task.Points, model.Config.InputDim),
            new IclTrainingOptions { Steps = 4, BatchSize = 4, Seed = 2, CheckpointFolder = _folder, CheckpointEvery = 2 }).Train();

        using var fromRun = IclRegressionModel.Load(_folder);
        Assert.Equal(task, fromRun.Task);
        Assert.EndsWith("step-00000004", fromRun.Source);
        Assert.Equal(new DirectoryInfo(_folder).Name, fromRun.Name);
        Assert.Equal(Weights(model.Network), Weights(fromRun.Network));

        using var fromStep = IclRegressionModel.Load(Path.Combine(_folder, "step-00000002"));
        Assert.Equal(task, fromStep.Task);
        Assert.NotEqual(Weights(model.Network), Weights(fromStep.Network));
    }

    [Fact]
    public void A_plain_checkpoint_without_task_settings_loads_with_none()
    {
        using var model = IclRegressionModel.CreateRandom(ModelConfig.RegressionPresets["regression-tiny"], 1, "tiny", "preset");
        HfCheckpoint.Save(model.Network, _folder);
        using var loaded = IclRegressionModel.Load(_folder);
        Assert.Null(loaded.Task);
        Assert.Equal(Weights(model.Network), Weights(loaded.Network));
    }

    [Fact]
    public void Missing_folders_text_models_and_bad_task_files_name_the_problem()
    {
        var e = Assert.Throws<IclPsException>(() => IclRegressionModel.Load(Path.Combine(_folder, "absent")));
        Assert.Equal(RegressionRunErrorIds.CheckpointNotFound, e.ErrorId);
        e = Assert.Throws<IclPsException>(() => IclRegressionModel.Load(_folder));
        Assert.Equal(RegressionRunErrorIds.CheckpointNotFound, e.ErrorId);

        using (var text = TransformerModel.Create(ModelConfig.Presets["gpt2-tiny"], CPU, seed: 1)) HfCheckpoint.Save(text, _folder);
        e = Assert.Throws<IclPsException>(() => IclRegressionModel.Load(_folder));
        Assert.Equal(RegressionRunErrorIds.NotARegressionModel, e.ErrorId);

        File.WriteAllText(Path.Combine(_folder, RegressionTaskSettings.FileName), """{"format": "iclps-regression-task/1", "dimension": 0}""");
        e = Assert.Throws<IclPsException>(() => RegressionTaskSettings.TryLoad(_folder));
        Assert.Equal(RegressionRunErrorIds.InvalidTaskFile, e.ErrorId);
    }

    [Fact]
    public void Task_settings_round_trip_through_their_file()
    {
        foreach (var task in new[]
        {
            new RegressionTaskSettings(), new RegressionTaskSettings { Dimension = 2, Points = 3, PoolSize = 7, NoiseVariance = 0.1, TaskSeed = -5 },
            new RegressionTaskSettings { Family = RegressionTaskSettings.SparseLinear, Dimension = 5, Sparsity = 2, NoiseVariance = 0 },
            new RegressionTaskSettings { Family = RegressionTaskSettings.DecisionTree, Depth = 3 },
            new RegressionTaskSettings { Family = RegressionTaskSettings.ReluNet, Hidden = 12 },
        })
        {
            task.Save(_folder);
            Assert.Equal(task, RegressionTaskSettings.TryLoad(_folder));
        }
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
    }

    [Fact]
    public void A_task_file_without_a_family_is_linear_and_each_family_builds_its_class()
    {
        File.WriteAllText(Path.Combine(_folder, RegressionTaskSettings.FileName),
            """{ "format": "iclps-regression-task/1", "dimension": 3, "points": 5, "pool_size": 4, "noise_variance": 0.25, "task_seed": 1 }""");
        var old = RegressionTaskSettings.TryLoad(_folder)!;
        Assert.Equal(RegressionTaskSettings.Linear, old.Family);
        using (var linear = old.CreateTaskFamily() as LinearTaskFamily) Assert.Equal(4, linear!.PoolSize);

        var sparse = new RegressionTaskSettings { Family = RegressionTaskSettings.SparseLinear, Dimension = 6, Sparsity = 4 };
        Assert.Equal(4, Assert.IsType<SparseLinearTaskFamily>(sparse.CreateTaskFamily()).Sparsity);
        Assert.Equal(2, Assert.IsType<SparseLinearTaskFamily>(sparse.CreateTaskFamily(dimension: 2)).Sparsity);   // a curriculum stage caps s at its D
        Assert.Equal(3, Assert.IsType<DecisionTreeTaskFamily>(new RegressionTaskSettings { Family = RegressionTaskSettings.DecisionTree, Depth = 3 }.CreateTaskFamily()).Depth);
        Assert.Equal(9, Assert.IsType<ReluNetTaskFamily>(new RegressionTaskSettings { Family = RegressionTaskSettings.ReluNet, Hidden = 9 }.CreateTaskFamily()).Hidden);
        var e = Assert.Throws<IclPsException>(() => sparse.CreateFamily());
        Assert.Equal(RegressionErrorIds.InvalidOption, e.ErrorId);
        Assert.Throws<IclPsException>(() => new RegressionTaskSettings { Family = RegressionTaskSettings.ReluNet, PoolSize = 4 }.Validate());
        Assert.Throws<IclPsException>(() => new RegressionTaskSettings { Family = "polynomial" }.Validate());
    }
}
