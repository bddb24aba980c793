using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Storage;

namespace IclPs.Engine.Training;

/// <summary>
/// A training checkpoint folder <c>step-NNNNNNNN</c> holding: config.json + model.safetensors (a Hugging Face checkpoint
/// that <see cref="HfCheckpoint.Load"/> reads on its own), optimizer.safetensors (AdamW moments), and trainer.json (step,
/// AdamW step count, the run-defining options, the model config, the data-stream description and position). The data
/// generator of update t is seeded from (Seed, t) alone, so seed and step are its whole RNG state. A checkpoint is written
/// into a dot-prefixed staging folder (<see cref="StagedFileSet"/>) and renamed into place, so a listed checkpoint is always
/// complete; the run folder's writer lock (<see cref="WriterLock"/>, taken by <see cref="IclTrainer"/>) keeps a second run out.
/// </summary>
internal static partial class TrainingCheckpoint
{
    public const string Format = "iclps-training-checkpoint/1";
    public const string StateFileName = "trainer.json";
    public const string OptimizerFileName = "optimizer.safetensors";

    public static string Save(string folder, int step, TransformerModel model, AdamWOptimizer optimizer,
        IclTrainingOptions options, string sourceDescription, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(folder);
        Directory.CreateDirectory(root);
        var name = FolderName(step);
        var final = Path.Combine(root, name);
        if (Directory.Exists(final)) return final;
        // Staged as .step-NNNNNNNN.GUID.tmp/ beside it (locked by this writer) and renamed into place complete.
        using var set = StagedFileSet.Begin(final);
        HfCheckpoint.WriteInto(set, model, maxShardBytes: null, progress: null, cancellationToken);
        SafetensorsWriter.Write(set.PathOf(OptimizerFileName), optimizer.StateTensors(), cancellationToken: cancellationToken);
        var state = new JsonObject
        {
            ["format"] = Format,
            ["step"] = step,
            ["optimizer_step"] = optimizer.StepCount,
            ["data"] = new JsonObject
            {
                ["seed"] = options.Seed,
                ["next_step"] = step,
                ["generator"] = "update t draws from a torch Generator seeded with SplitMix64(seed, t)",
            },
            ["options"] = new JsonObject(options.DefiningFields().Select(f => KeyValuePair.Create(f.Key, (JsonNode?)f.Value))),
            ["model"] = JsonNode.Parse(model.Config.ToHfJson()),
            ["source"] = sourceDescription,
        };
        using (var stateFile = new StagedFile(set.PathOf(StateFileName)))
        {
            stateFile.WriteAllText(state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            stateFile.Commit();
        }
        set.Commit(cancellationToken);
        return final;
    }

    /// <summary>Complete checkpoints in <paramref name="folder"/>, oldest first.</summary>
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
    public static void Prune(string folder, int keep)
    {
        var all = List(folder);
        foreach (var (_, path) in all.Take(Math.Max(0, all.Count - keep))) TempFiles.RetireFolder(path);
    }

    /// <summary>
    /// Checks that the checkpoint at <paramref name="path"/> was written by the same run (options, model, data stream),
    /// naming the first field that differs, then loads weights and optimizer state. Returns the completed step count.
    /// </summary>
    public static int Load(string path, TransformerModel model, AdamWOptimizer optimizer, IclTrainingOptions options, string sourceDescription)
    {
        var statePath = Path.Combine(path, StateFileName);
        var state = ReadState(path, Format, options.DefiningFields());
        var storedModel = state["model"] as JsonObject ?? throw Invalid(statePath, "lacks 'model'");
        var currentModel = JsonNode.Parse(model.Config.ToHfJson())!.AsObject();
        foreach (var key in storedModel.Select(p => p.Key).Union(currentModel.Select(p => p.Key)))
        {
            var (before, now) = (storedModel[key]?.ToJsonString(), currentModel[key]?.ToJsonString());
            if (before != now) throw Mismatch(path, "model." + key, before, now);
        }
        var source = state["source"]?.GetValue<string>();
        if (source != sourceDescription) throw Mismatch(path, "source", source, sourceDescription);

        using (var weights = SafetensorsReader.Open(Path.Combine(path, HfCheckpoint.WeightsFileName)))
        {
            foreach (var (name, parameter) in model.CheckpointTensors())
            {
                weights.ReadInto(weights.GetEntry(name), parameter);
                // A run never resumes from weights it could not have trained on.
                FiniteCheck.Require(parameter, name, weights.Path);
            }
        }
        return LoadOptimizer(path, state, optimizer);
    }

    /// <summary>
    /// The trainer.json of the checkpoint at <paramref name="path"/>, checked to be a <paramref name="format"/> file whose
    /// stored options equal <paramref name="definingFields"/> (a TrainingResumeMismatch error names the first that differs).
    /// </summary>
    internal static JsonObject ReadState(string path, string format, IEnumerable<KeyValuePair<string, string>> definingFields)
    {
        var statePath = Path.Combine(path, StateFileName);
        JsonObject state;
        try
        {
            state = JsonNode.Parse(File.ReadAllText(statePath)) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw Invalid(statePath, $"is not valid JSON: {e.Message}");
        }
        if (state["format"]?.GetValue<string>() != format) throw Invalid(statePath, $"is not a {format} file");
        var stored = state["options"] as JsonObject ?? throw Invalid(statePath, "lacks 'options'");
        foreach (var (field, value) in definingFields)
        {
            var before = stored[field]?.GetValue<string>();
            if (before != value) throw Mismatch(path, field, before, value);
        }
        return state;
    }

    /// <summary>Restores the AdamW moments and step count the checkpoint holds, each checked finite; returns its completed update count.</summary>
    internal static int LoadOptimizer(string path, JsonObject state, AdamWOptimizer optimizer)
    {
        var statePath = Path.Combine(path, StateFileName);
        var step = state["step"]?.GetValue<int>() ?? throw Invalid(statePath, "lacks 'step'");
        var optimizerStep = state["optimizer_step"]?.GetValue<long>() ?? throw Invalid(statePath, "lacks 'optimizer_step'");
        using var moments = SafetensorsReader.Open(Path.Combine(path, OptimizerFileName));
        optimizer.LoadState(moments, optimizerStep);
        foreach (var (name, tensor) in optimizer.StateTensors()) FiniteCheck.Require(tensor, name, moments.Path);
        return step;
    }

    private static string FolderName(int step) => string.Create(CultureInfo.InvariantCulture, $"step-{step:D8}");

    private static IclPsException Invalid(string path, string what) =>
        new(TrainingErrorIds.InvalidCheckpoint, IclErrorKind.InvalidData, $"Training checkpoint state '{path}' {what}.", path);

    private static IclPsException Mismatch(string path, string field, string? before, string? now) =>
        new(TrainingErrorIds.ResumeMismatch, IclErrorKind.InvalidArgument,
            $"Cannot resume from '{path}': {field} was {before ?? "absent"} there and is {now ?? "absent"} now.", field);

    [GeneratedRegex(@"^step-(\d{8,})$")]
    private static partial Regex StepFolder();
}
