using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Storage;
using static TorchSharp.torch;

namespace IclPs.Engine.Adapters;

/// <summary>
/// LoRA adapters in Hugging Face PEFT's folder layout: adapter_config.json (peft_type LORA, r, lora_alpha,
/// target_modules, fan_in_fan_out, ...) and adapter_model.safetensors holding
/// base_model.model.&lt;module path&gt;.lora_A.weight [r, in] and .lora_B.weight [out, r] per targeted projection (no
/// adapter name in the key, as PEFT's save_pretrained writes them). GPT-2's Conv1D projections keep the same A and B
/// shapes; fan_in_fan_out only transposes the merged delta.
/// </summary>
public static partial class PeftAdapterFolder
{
    public const string ConfigFileName = "adapter_config.json";
    public const string WeightsFileName = "adapter_model.safetensors";
    private const string KeyPrefix = "base_model.model.";

    private static readonly IReadOnlyDictionary<string, string> FileMetadata = new Dictionary<string, string> { ["format"] = "pt" };

    /// <summary>Whether <paramref name="directory"/> already holds an adapter (its adapter_config.json), which a save would replace.</summary>
    public static bool HoldsAdapter(string directory) => File.Exists(Path.Combine(directory, ConfigFileName));

    /// <summary>What a save into <paramref name="directory"/> without -Force says when it already holds an adapter.</summary>
    public static string AdapterExistsMessage(string directory) =>
        $"Folder '{directory}' already holds an adapter ({ConfigFileName}); use -Force to replace it.";

    /// <summary>The key PEFT stores a pair's matrix under: base_model.model.&lt;path&gt;.lora_A.weight (or lora_B).</summary>
    public static string TensorKey(string modulePath, char matrix) => $"{KeyPrefix}{modulePath}.lora_{matrix}.weight";

    /// <summary>
    /// Writes <paramref name="adapter"/> (made for <paramref name="model"/>) into <paramref name="directory"/> as one set
    /// (<see cref="StagedFileSet"/>): both files are put in place or neither, under the folder's writer lock. Other files in
    /// the folder are left alone. fan_in_fan_out is written true for the GPT-2 family (Conv1D), as PEFT sets it.
    /// </summary>
    public static void Write(LoraAdapter adapter, TransformerModel model, string directory, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(model);
        var folder = Path.GetFullPath(directory);
        using var folderLock = WriterLock.AcquireFolder(folder, "saving adapter");
        if (folderLock.Replaced is { } gone) progress?.Report($"Took over the lock of '{folder}' left by {gone}, which is gone.");
        foreach (var cleaned in TempFiles.RemoveStale(folder)) progress?.Report(cleaned.Message);
        using var set = StagedFileSet.Begin(folder, "adapter");
        progress?.Report($"Writing {WeightsFileName} ({adapter.Layers.Count} projections, {adapter.ParameterCount:N0} parameters).");
        WriteInto(set, adapter, model, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        set.Commit(cancellationToken);
    }

    /// <summary>Stages the adapter's two files into <paramref name="set"/> (an adapter folder, or a tuning checkpoint).</summary>
    internal static void WriteInto(StagedFileSet set, LoraAdapter adapter, TransformerModel model, CancellationToken cancellationToken)
    {
        var tensors = adapter.Layers.SelectMany(l => new[] { (TensorKey(l.ModulePath, 'A'), l.A), (TensorKey(l.ModulePath, 'B'), l.B) }).ToList();
        SafetensorsWriter.Write(set.PathOf(WeightsFileName), tensors, FileMetadata, cancellationToken);
        using var file = new StagedFile(set.PathOf(ConfigFileName));
        file.WriteAllText(ConfigJson(adapter.Settings, model.Config.Family == ModelFamily.Gpt2));
        file.Commit();
    }

    /// <summary>adapter_config.json as PEFT's LoraConfig.save_pretrained writes it (inference_mode true, init_lora_weights true).</summary>
    internal static string ConfigJson(LoraSettings s, bool fanInFanOut)
    {
        var json = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = s.BaseModel,
            ["bias"] = "none",
            ["fan_in_fan_out"] = fanInFanOut,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["lora_alpha"] = s.Alpha,
            ["lora_dropout"] = s.Dropout,
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = s.Rank,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = s.TargetPattern is { } p ? JsonValue.Create(p) : new JsonArray(s.TargetModules.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
            ["task_type"] = s.TaskType,
            ["use_dora"] = false,
            ["use_rslora"] = s.UseRsLora,
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// Reads the adapter in <paramref name="directory"/> for <paramref name="model"/>, checking before any tensor is read
    /// that every key is a PEFT LoRA key of a targeted linear projection of the model, that A and B come in pairs, and that
    /// their shapes are [r, in] and [out, r]; the values are converted to the model's dtype and device and must be finite.
    /// The adapter is returned unattached.
    /// </summary>
    public static LoraAdapter Read(string directory, TransformerModel model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var folder = Path.GetFullPath(directory);
        if (!Directory.Exists(folder))
            throw new IclPsException(LoraErrorIds.AdapterNotFound, IclErrorKind.ObjectNotFound,
                $"Adapter folder '{folder}' {(File.Exists(folder) ? "is a file, not a folder" : "not found")}.", folder);
        var configPath = Path.Combine(folder, ConfigFileName);
        if (!File.Exists(configPath))
            throw new IclPsException(LoraErrorIds.AdapterConfigNotFound, IclErrorKind.ObjectNotFound,
                $"Adapter folder '{folder}' has no {ConfigFileName}.", configPath);
        var weightsPath = Path.Combine(folder, WeightsFileName);
        if (!File.Exists(weightsPath))
        {
            var hint = File.Exists(Path.Combine(folder, "adapter_model.bin")) ? " (adapter_model.bin is present, but only safetensors weights are read)" : "";
            throw new IclPsException(LoraErrorIds.AdapterWeightsNotFound, IclErrorKind.ObjectNotFound,
                $"Adapter folder '{folder}' has no {WeightsFileName}{hint}.", weightsPath);
        }
        var settings = ReadSettings(configPath);
        var projections = LoraAdapter.Projections(model).ToDictionary(p => p.Path, p => p.Projection, StringComparer.Ordinal);

        using var reader = SafetensorsReader.Open(weightsPath);
        var pairs = new SortedDictionary<string, (SafetensorsEntry? A, SafetensorsEntry? B)>(StringComparer.Ordinal);
        foreach (var entry in reader.Entries)
        {
            var match = PeftKey().Match(entry.Name);
            if (!match.Success)
                throw new IclPsException(LoraErrorIds.UnexpectedAdapterTensor, IclErrorKind.InvalidData,
                    $"Tensor '{entry.Name}' in '{weightsPath}' is not a PEFT LoRA key (base_model.model.<module>.lora_A.weight or .lora_B.weight, " +
                    "with no adapter name); only LoRA on linear projections is read.", entry.Name);
            var path = ModulePath(match.Groups["module"].Value, model.Config);
            if (!projections.TryGetValue(path, out var projection))
                throw new IclPsException(LoraErrorIds.AdapterModuleNotFound, IclErrorKind.InvalidData,
                    $"Tensor '{entry.Name}' in '{weightsPath}' is for '{path}', which is not a linear projection of this {model.Config} model.", entry.Name);
            if (!settings.Targets(path))
                throw new IclPsException(LoraErrorIds.AdapterModuleNotTargeted, IclErrorKind.InvalidData,
                    $"Tensor '{entry.Name}' in '{weightsPath}' is for '{path}', which target_modules '{settings.TargetsText}' does not target.", entry.Name);
            if (!entry.DType.IsFloatingPoint())
                throw new IclPsException(LoraErrorIds.InvalidAdapterTensor, IclErrorKind.InvalidData,
                    $"Tensor '{entry.Name}' in '{weightsPath}' is stored as {entry.DType.HeaderName()}; adapter matrices must be floating point.", entry.Name);
            pairs.TryGetValue(path, out var pair);
            pairs[path] = match.Groups["matrix"].Value == "A" ? (entry, pair.B) : (pair.A, entry);
        }
        if (pairs.Count == 0)
            throw new IclPsException(LoraErrorIds.UnexpectedAdapterTensor, IclErrorKind.InvalidData, $"'{weightsPath}' holds no LoRA tensors.", weightsPath);
        foreach (var (path, (a, b)) in pairs)
        {
            if (a is null || b is null)
                throw new IclPsException(LoraErrorIds.MissingAdapterTensor, IclErrorKind.InvalidData,
                    $"'{weightsPath}' holds {(a is null ? "lora_B" : "lora_A")} but not {(a is null ? "lora_A" : "lora_B")} for '{path}'.", TensorKey(path, a is null ? 'A' : 'B'));
            var projection = projections[path];
            long[] shapeA = [settings.Rank, projection.InFeatures], shapeB = [projection.OutFeatures, settings.Rank];
            if (!a.Shape.SequenceEqual(shapeA) || !b.Shape.SequenceEqual(shapeB))
                throw new IclPsException(LoraErrorIds.AdapterShapeMismatch, IclErrorKind.InvalidData,
                    $"Adapter pair for '{path}' in '{weightsPath}': expected lora_A [{string.Join(", ", shapeA)}] and lora_B [{string.Join(", ", shapeB)}] " +
                    $"(r = {settings.Rank}), found {a.ShapeText} and {b.ShapeText}.", a.Shape.SequenceEqual(shapeA) ? b.Name : a.Name);
        }

        // Models have projections in module order; the adapter keeps that order.
        var order = projections.Keys.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i, StringComparer.Ordinal);
        var layers = new List<LoraLayer>();
        try
        {
            using var noGrad = no_grad();
            foreach (var (path, (a, b)) in pairs.OrderBy(p => order[p.Key]))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var tensorA = empty([.. a!.Shape], model.DType, model.Device);
                var tensorB = empty([.. b!.Shape], model.DType, model.Device);
                layers.Add(new LoraLayer(path, tensorA, tensorB, settings.Scaling, projections[path].FanInFanOut));
                reader.ReadInto(a, tensorA, cancellationToken);
                reader.ReadInto(b, tensorB, cancellationToken);
                foreach (var (entry, tensor) in new[] { (a, tensorA), (b, tensorB) })
                {
                    if (!FiniteCheck.IsFinite(tensor))
                        throw new IclPsException(LoraErrorIds.InvalidAdapterTensor, IclErrorKind.InvalidData,
                            $"Tensor '{entry.Name}' in '{weightsPath}' holds NaN or infinite values (as {model.DType.ToString().ToLowerInvariant()}).", entry.Name);
                }
            }
            return LoraAdapter.FromLayers(settings, layers);
        }
        catch
        {
            foreach (var layer in layers) layer.Dispose();
            throw;
        }
    }

    /// <summary>A module path as stored, completed with the backbone prefix when the adapter was made on a bare backbone (as checkpoint keys are).</summary>
    private static string ModulePath(string stored, ModelConfig config)
    {
        var parameter = CheckpointKeys.ParameterName(stored + ".weight", config);
        return parameter is null ? stored : parameter[..^".weight".Length];
    }

    /// <summary>Reads adapter_config.json, refusing what IclPs does not implement by name instead of loading it wrongly.</summary>
    public static LoraSettings ReadSettings(string configPath)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? throw new JsonException("the top level is not an object");
        }
        catch (JsonException e)
        {
            throw new IclPsException(LoraErrorIds.InvalidAdapterConfig, IclErrorKind.InvalidData, $"'{configPath}' is not a JSON object: {e.Message}", configPath, e);
        }
        var peftType = String(json, "peft_type", configPath);
        if (peftType != "LORA") Unsupported(configPath, "peft_type", peftType ?? "(missing)", "only LORA adapters are read");
        if (String(json, "bias", configPath) is { } bias && bias != "none") Unsupported(configPath, "bias", bias, "only bias \"none\" is read");
        if (Bool(json, "use_dora", configPath)) Unsupported(configPath, "use_dora", "true", "DoRA is not implemented");
        // PEFT re-runs these initialisations on load, moving part of the base weights into the adapter, so adding the saved
        // pair to the unchanged base would compute something else.
        if (json["init_lora_weights"] is JsonValue init && !init.TryGetValue<bool>(out _) && !(init.TryGetValue<string>(out var scheme) && PlainInitialisations.Contains(scheme)))
            Unsupported(configPath, "init_lora_weights", init.ToJsonString(), $"only initialisations that leave the base weights alone are read: true, false, {string.Join(", ", PlainInitialisations.Select(i => $"\"{i}\""))}");
        // An activated LoRA applies only from its invocation tokens on; IclPs applies an adapter at every position.
        if (json["alora_invocation_tokens"] is JsonArray { Count: > 0 } invocation)
            Unsupported(configPath, "alora_invocation_tokens", invocation.ToJsonString(), "activated LoRA is not implemented");
        foreach (var pattern in new[] { "rank_pattern", "alpha_pattern" })
        {
            if (json[pattern] is JsonObject o && o.Count > 0) Unsupported(configPath, pattern, o.ToJsonString(), "per-module ranks and alphas are not implemented");
        }
        foreach (var option in new[] { "modules_to_save", "layers_to_transform" })
        {
            if (json[option] is JsonArray { Count: > 0 } or JsonValue) Unsupported(configPath, option, json[option]!.ToJsonString(), "only adapters on whole linear projections are read");
        }

        var (list, pattern1) = json["target_modules"] switch
        {
            JsonArray array => (array.Select(t => t is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Invalid(configPath, "target_modules", "a list of names")).ToList(), (string?)null),
            JsonValue value when value.TryGetValue<string>(out var s) => ([], s),
            _ => throw Invalid(configPath, "target_modules", "a list of module names or a regular expression"),
        };
        var settings = new LoraSettings
        {
            Rank = json["r"] is JsonValue r && r.TryGetValue<int>(out var rank) ? rank : throw Invalid(configPath, "r", "an integer"),
            Alpha = json["lora_alpha"] is JsonValue a && a.TryGetValue<double>(out var alpha) ? alpha : throw Invalid(configPath, "lora_alpha", "a number"),
            TargetModules = list,
            TargetPattern = pattern1,
            UseRsLora = Bool(json, "use_rslora", configPath),
            Dropout = json["lora_dropout"] is JsonValue d && d.TryGetValue<double>(out var dropout) ? dropout : 0,
            BaseModel = String(json, "base_model_name_or_path", configPath),
            TaskType = String(json, "task_type", configPath) ?? LoraSettings.CausalLanguageModel,
        };
        try
        {
            settings.Validate();
        }
        catch (IclPsException e)
        {
            throw new IclPsException(LoraErrorIds.InvalidAdapterConfig, IclErrorKind.InvalidData, $"'{configPath}': {e.Message}", configPath, e);
        }
        return settings;
    }

    private static string? String(JsonObject json, string name, string path) => json[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw Invalid(path, name, "a string"),
    };

    private static bool Bool(JsonObject json, string name, string path) => json[name] switch
    {
        null => false,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        _ => throw Invalid(path, name, "true or false"),
    };

    private static IclPsException Invalid(string path, string field, string expected) =>
        new(LoraErrorIds.InvalidAdapterConfig, IclErrorKind.InvalidData, $"'{path}': {field} must be {expected}.", field);

    private static void Unsupported(string path, string field, string value, string why) =>
        throw new IclPsException(LoraErrorIds.UnsupportedAdapter, IclErrorKind.InvalidData,
            string.Create(CultureInfo.InvariantCulture, $"'{path}': {field} {value} is not supported ({why})."), field);

    /// <summary>PEFT's init_lora_weights schemes that set only A and B; the others (PiSSA, OLoRA, LoftQ, ...) move part of the base into the adapter.</summary>
    private static readonly string[] PlainInitialisations = ["gaussian", "eva", "orthogonal", "mica"];

    [GeneratedRegex(@"^base_model\.model\.(?<module>.+)\.lora_(?<matrix>[AB])\.weight$")]
    private static partial Regex PeftKey();
}
