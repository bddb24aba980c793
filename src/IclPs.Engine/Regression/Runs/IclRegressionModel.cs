using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Runs;

/// <summary>
/// A regression network with the tasks it was trained on: what the regression cmdlets pass along the pipeline as "a model".
/// It is not an <see cref="IclModel"/>, which pairs a network with a text tokenizer; a regression model reads vectors.
/// </summary>
public sealed class IclRegressionModel(RegressionModel network, string name, string source, RegressionTaskSettings? task) : IDisposable
{
    public RegressionModel Network { get; } = network;
    /// <summary>Short name shown in results (preset, or the run folder's name).</summary>
    public string Name { get; } = name;
    /// <summary>Where it came from: "preset:NAME seed:N", or the checkpoint folder it was loaded from.</summary>
    public string Source { get; } = source;
    /// <summary>The tasks it was trained on; null when a checkpoint did not record them.</summary>
    public RegressionTaskSettings? Task { get; set; } = task;
    public ModelConfig Config => Network.Config;

    /// <summary>A randomly initialised regression preset or config.</summary>
    public static IclRegressionModel CreateRandom(ModelConfig config, long seed, string name, string source, RegressionTaskSettings? task = null,
        Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        if (config.Family != ModelFamily.Regression)
            throw new IclPsException(RegressionRunErrorIds.NotARegressionModel, IclErrorKind.InvalidArgument,
                $"Config {config} is a {config.Family} model, not a regression model.", config);
        var network = (RegressionModel)TransformerModel.Create(config, device, dtype, seed);
        network.Identity = source;
        return new IclRegressionModel(network, name, source, task);
    }

    /// <summary>
    /// Loads a regression model from a training run folder (its newest step-NNNNNNNN checkpoint), one checkpoint folder, or
    /// any folder with a regression config.json and weights. The task settings come from regression-task.json in the
    /// checkpoint folder or, for a step folder, the run folder above it.
    /// </summary>
    public static IclRegressionModel Load(string path, Device? device = null, ScalarType? dtype = null, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
            throw new IclPsException(RegressionRunErrorIds.CheckpointNotFound, IclErrorKind.ObjectNotFound,
                $"Regression checkpoint folder '{full}' {(File.Exists(full) ? "is a file, not a folder" : "not found")}.", full);
        var runFolder = full;
        var checkpoint = full;
        var steps = TrainingCheckpoint.List(full);
        if (steps.Count > 0) checkpoint = steps[^1].Path;
        else runFolder = Path.GetDirectoryName(full) is { } parent && TrainingCheckpoint.List(parent).Any(s => s.Path == full) ? parent : full;
        if (!File.Exists(Path.Combine(checkpoint, "config.json")))
            throw new IclPsException(RegressionRunErrorIds.CheckpointNotFound, IclErrorKind.ObjectNotFound,
                $"'{full}' holds neither training checkpoints (step-NNNNNNNN folders) nor a config.json.", full);
        var config = HfCheckpoint.ReadConfig(checkpoint);
        if (config.Family != ModelFamily.Regression)
            throw new IclPsException(RegressionRunErrorIds.NotARegressionModel, IclErrorKind.InvalidData,
                $"The checkpoint '{checkpoint}' holds a {config.Family} model, not a regression model.", checkpoint);
        var task = RegressionTaskSettings.TryLoad(checkpoint) ?? RegressionTaskSettings.TryLoad(runFolder);
        var network = (RegressionModel)HfCheckpoint.Load(checkpoint, device, dtype, progress, cancellationToken);
        network.Identity = checkpoint;
        return new IclRegressionModel(network, new DirectoryInfo(runFolder).Name, checkpoint, task);
    }

    /// <summary>Checks that the model can read sequences of these tasks: d_in &gt;= D + 1 and a context of 2K positions.</summary>
    public void CheckFits(RegressionTaskSettings task)
    {
        if (Config.InputDim < task.Dimension + 1 || Config.ContextLength < 2 * task.Points)
            throw new IclPsException(RegressionRunErrorIds.ModelTooSmall, IclErrorKind.InvalidArgument,
                $"Model {Name} (d_in {Config.InputDim}, context {Config.ContextLength}) cannot read {task}: it needs d_in >= {task.Dimension + 1} and context >= {2 * task.Points}.", task);
    }

    public void Dispose() => Network.Dispose();

    public override string ToString() => $"{Name} ({Config}{(Task is null ? "" : $"; {Task}")})";
}
