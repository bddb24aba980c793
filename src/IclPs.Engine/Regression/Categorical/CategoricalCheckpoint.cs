using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Storage;
using IclPs.Engine.Training;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>Where early stopping stands: the best validation point so far and the evaluations since.</summary>
public sealed record CategoricalEarlyStopping(int BestStep, double BestValidationLoss, double BestValidationAccuracy, int EvaluationsSinceBest, bool Stopped)
{
    public static CategoricalEarlyStopping Start => new(0, double.PositiveInfinity, double.NaN, 0, false);
}

/// <summary>
/// A categorical training checkpoint, folder <c>step-NNNNNNNN</c> in the run folder: weights.safetensors (current weights),
/// best.safetensors (the weights of the best validation loss, what evaluation uses), optimizer.safetensors (Adam moments) and
/// state.json (format, model kind and config, data settings, the run-defining options, step, optimizer step, early-stopping
/// state). Written through a <see cref="StagedFileSet"/> (staged in a dot-prefixed folder, renamed into place), so a listed
/// checkpoint is always complete; the run folder's <see cref="WriterLock"/>, taken by <see cref="CategoricalTrainer"/>,
/// keeps a second writer out.
/// Update t's minibatch is fixed by (seed, t), so seed and step are the data stream's whole state.
/// </summary>
public static partial class CategoricalCheckpoint
{
    public const string Format = "iclps-categorical-checkpoint/1";
    public const string StateFileName = "state.json";
    public const string WeightsFileName = "weights.safetensors";
    public const string BestFileName = "best.safetensors";
    public const string OptimizerFileName = "optimizer.safetensors";

    internal static string Save(string folder, int step, CategoricalAttentionModel model, AdamWOptimizer optimizer,
        IEnumerable<(string Name, Tensor Tensor)> best, CategoricalTaskSettings task, CategoricalTrainingOptions options,
        CategoricalEarlyStopping stopping, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(folder);
        Directory.CreateDirectory(root);
        var final = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"step-{step:D8}"));
        // A new step folder is staged beside it and appears with one rename; an existing one (a stop right after a
        // scheduled checkpoint of the same step) has its files swapped all or nothing.
        using var set = StagedFileSet.Begin(final, "checkpoint");
        SafetensorsWriter.Write(set.PathOf(WeightsFileName), model.Weights(), cancellationToken: cancellationToken);
        SafetensorsWriter.Write(set.PathOf(BestFileName), best, cancellationToken: cancellationToken);
        SafetensorsWriter.Write(set.PathOf(OptimizerFileName), optimizer.StateTensors(), cancellationToken: cancellationToken);
        var state = new JsonObject
        {
            ["format"] = Format,
            ["kind"] = model.Config.Kind.ToString(),
            ["step"] = step,
            ["optimizer_step"] = optimizer.StepCount,
            ["best_step"] = stopping.BestStep,
            ["best_validation_loss"] = Text(stopping.BestValidationLoss),
            ["best_validation_accuracy"] = Text(stopping.BestValidationAccuracy),
            ["evaluations_since_best"] = stopping.EvaluationsSinceBest,
            ["stopped_early"] = stopping.Stopped,
            ["model"] = Fields(model.Config.DefiningFields()),
            ["data"] = Fields(task.DefiningFields()),
            ["options"] = Fields(options.DefiningFields(model.Config.Kind)),
            ["minibatches"] = "update t draws minibatch t mod E of a permutation of the training set seeded with SplitMix64(seed, 1 + t div E), E updates per epoch",
        };
        using (var stateFile = new StagedFile(set.PathOf(StateFileName)))
        {
            stateFile.WriteAllText(state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            stateFile.Commit();
        }
        set.Commit(cancellationToken);
        return final;
    }

    /// <summary>Complete checkpoints in a run folder, oldest first.</summary>
    public static List<(int Step, string Path)> List(string folder)
    {
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root)) return [];
        return Directory.EnumerateDirectories(root)
            .Select(d => (Match: StepFolder().Match(Path.GetFileName(d)), Path: d))
            .Where(d => d.Match.Success && File.Exists(Path.Combine(d.Path, StateFileName)))
            .Select(d => (int.Parse(d.Match.Groups[1].Value, CultureInfo.InvariantCulture), d.Path))
            .OrderBy(d => d.Item1)
            .ToList();
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints, never leaving one listed half-deleted.</summary>
    internal static void Prune(string folder, int keep)
    {
        var all = List(folder);
        foreach (var (_, path) in all.Take(Math.Max(0, all.Count - keep))) TempFiles.RetireFolder(path);
    }

    /// <summary>The newest checkpoint of a run folder, or the folder itself when it is a checkpoint; an error naming the path otherwise.</summary>
    public static string Newest(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(Path.Combine(full, StateFileName))) return full;
        var all = List(full);
        if (all.Count == 0)
            throw new IclPsException(CategoricalErrorIds.InvalidCheckpoint, IclErrorKind.ObjectNotFound,
                $"'{full}' holds no categorical training checkpoint (step-NNNNNNNN folders with {StateFileName}).", full);
        return all[^1].Path;
    }

    /// <summary>The stored kind, model config, data settings and early-stopping state of a checkpoint folder.</summary>
    public static (CategoricalModelConfig Config, CategoricalTaskSettings Task, int Step, CategoricalEarlyStopping Stopping, IReadOnlyDictionary<string, string> Options) ReadState(string checkpoint)
    {
        var state = ReadJson(checkpoint);
        try
        {
            var config = CategoricalModelConfig.FromFields(Dict(state["model"]));
            var task = CategoricalTaskSettings.FromFields(Dict(state["data"]));
            var stopping = new CategoricalEarlyStopping(state["best_step"]!.GetValue<int>(), Number(state["best_validation_loss"]),
                Number(state["best_validation_accuracy"]), state["evaluations_since_best"]!.GetValue<int>(), state["stopped_early"]!.GetValue<bool>());
            return (config, task, state["step"]!.GetValue<int>(), stopping, Dict(state["options"]));
        }
        catch (Exception e) when (e is KeyNotFoundException or NullReferenceException or FormatException or InvalidOperationException)
        {
            throw Invalid(checkpoint, $"lacks a field or holds a bad value ({e.Message})");
        }
    }

    /// <summary>
    /// Continues a run: checks that the checkpoint has the same model kind (else <see cref="CategoricalErrorIds.ModelKindMismatch"/>
    /// naming the stored kind), model, data and options (else <see cref="CategoricalErrorIds.ResumeMismatch"/> naming the
    /// field), then loads weights, best weights and optimizer moments. Returns the completed step count and early-stopping state.
    /// </summary>
    internal static (int Step, CategoricalEarlyStopping Stopping) Resume(string checkpoint, CategoricalAttentionModel model, AdamWOptimizer optimizer,
        IReadOnlyList<(string Name, Tensor Tensor)> best, CategoricalTaskSettings task, CategoricalTrainingOptions options)
    {
        var json = ReadJson(checkpoint);
        var kind = json["kind"]?.GetValue<string>();
        if (kind != model.Config.Kind.ToString())
            throw new IclPsException(CategoricalErrorIds.ModelKindMismatch, IclErrorKind.InvalidArgument,
                $"Cannot resume a {model.Config.Kind} run from '{checkpoint}': it holds a {kind ?? "unknown"} model.", kind);
        Compare(checkpoint, "model", json["model"], model.Config.DefiningFields());
        Compare(checkpoint, "data", json["data"], task.DefiningFields());
        Compare(checkpoint, "options", json["options"], options.DefiningFields(model.Config.Kind));
        var (_, _, step, stopping, _) = ReadState(checkpoint);
        ReadInto(Path.Combine(checkpoint, WeightsFileName), model.Weights());
        ReadInto(Path.Combine(checkpoint, BestFileName), best);
        using (var moments = SafetensorsReader.Open(Path.Combine(checkpoint, OptimizerFileName)))
            optimizer.LoadState(moments, json["optimizer_step"]!.GetValue<long>());
        return (step, stopping);
    }

    /// <summary>The best-validation weights of a run folder's newest checkpoint (or of a checkpoint folder) as a model, with its record.</summary>
    public static CategoricalModel LoadModel(string path, string? name = null, Device? device = null)
    {
        var checkpoint = Newest(path);
        var (config, task, step, stopping, options) = ReadState(checkpoint);
        var network = CategoricalAttentionModel.Create(config, 0, ScalarType.Float32, device);
        try
        {
            ReadInto(Path.Combine(checkpoint, BestFileName), network.Weights());
            int Option(string key) => options.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : 0;
            long seed = options.TryGetValue("seed", out var s) ? long.Parse(s, CultureInfo.InvariantCulture) : 0;
            return new CategoricalModel(network, task, name ?? Path.GetFileName(Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar)))
            {
                TrainContexts = Option("train_contexts"), Seed = seed, Steps = step, BestStep = stopping.BestStep,
                BestValidationLoss = stopping.BestValidationLoss, Path = checkpoint,
            };
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static void ReadInto(string file, IEnumerable<(string Name, Tensor Tensor)> targets)
    {
        if (!File.Exists(file)) throw Invalid(file, "is missing");
        using var reader = SafetensorsReader.Open(file);
        foreach (var (name, tensor) in targets) reader.ReadInto(reader.GetEntry(name), tensor);
    }

    private static void Compare(string checkpoint, string group, JsonNode? stored, IEnumerable<(string Key, string Value)> now)
    {
        var before = stored is null ? new Dictionary<string, string>() : Dict(stored);
        foreach (var (key, value) in now)
        {
            var was = before.GetValueOrDefault(key);
            if (was != value)
                throw new IclPsException(CategoricalErrorIds.ResumeMismatch, IclErrorKind.InvalidArgument,
                    $"Cannot resume from '{checkpoint}': {group}.{key} was {was ?? "absent"} there and is {value} now.", $"{group}.{key}");
        }
    }

    private static JsonObject ReadJson(string checkpoint)
    {
        var file = Path.Combine(checkpoint, StateFileName);
        if (!File.Exists(file)) throw Invalid(file, "is missing");
        JsonObject state;
        try
        {
            state = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw Invalid(file, $"is not valid JSON: {e.Message}");
        }
        if (state["format"]?.GetValue<string>() != Format) throw Invalid(file, $"is not a {Format} file");
        return state;
    }

    private static JsonObject Fields(IEnumerable<(string Key, string Value)> fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)JsonValue.Create(f.Value))));

    private static Dictionary<string, string> Dict(JsonNode? node) =>
        (node as JsonObject ?? throw new InvalidOperationException("not an object")).ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());

    private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static double Number(JsonNode? node) => double.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture);

    private static IclPsException Invalid(string path, string what) =>
        new(CategoricalErrorIds.InvalidCheckpoint, IclErrorKind.InvalidData, $"Categorical checkpoint '{path}' {what}.", path);

    [GeneratedRegex(@"^step-(\d{8,})$")]
    private static partial Regex StepFolder();
}
