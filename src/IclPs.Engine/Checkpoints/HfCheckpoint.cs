using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IclPs.Engine.Models;
using IclPs.Engine.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Checkpoints;

/// <summary>
/// Hugging Face checkpoint folders: config.json plus model.safetensors, or shards listed by
/// model.safetensors.index.json. Loading fills an uninitialised model straight from the files (one copy of the
/// weights in memory); saving stages every file and puts them in place all together or not at all.
/// </summary>
public static class HfCheckpoint
{
    public const string ConfigFileName = "config.json";
    public const string WeightsFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>transformers refuses safetensors files whose metadata lacks a known "format".</summary>
    private static readonly IReadOnlyDictionary<string, string> FileMetadata = new Dictionary<string, string> { ["format"] = "pt" };

    /// <summary>The architecture in <paramref name="dir"/>/config.json.</summary>
    public static ModelConfig ReadConfig(string dir) =>
        ModelConfig.Load(Path.Combine(RequireFolder(dir), ConfigFileName));

    /// <summary>
    /// Loads the checkpoint in <paramref name="dir"/> onto <paramref name="device"/> (default: CUDA if available, else CPU)
    /// in <paramref name="dtype"/> (default float32), converting stored F16/BF16/F32/F64 values as needed. Every stored
    /// tensor must match a parameter by name and shape and every parameter must be stored, except GPT-2's mask buffers,
    /// LLaMA's rotary buffer and a tied lm_head.weight; keys may lack the backbone prefix ("transformer." / "model.").
    /// <see cref="TransformerModel.Identity"/> becomes the folder's full path.
    /// Nothing is allocated for the weights until the config is known to fit in memory (<see cref="ModelMemory.EnsureFits"/>)
    /// and every stored tensor's name, shape and dtype (from the safetensors headers) agree with it. A tensor holding NaN or
    /// infinity (also after conversion to <paramref name="dtype"/>) is refused, naming it, unless <paramref name="allowNonFinite"/>.
    /// </summary>
    public static TransformerModel Load(string dir, Device? device = null, ScalarType? dtype = null,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default, bool allowNonFinite = false)
    {
        var folder = RequireFolder(dir);
        var configPath = Path.Combine(folder, ConfigFileName);
        var config = ModelConfig.Load(configPath);
        device ??= TransformerModel.DefaultDevice();
        ModelMemory.EnsureFits(config, dtype ?? ScalarType.Float32, device, configPath);
        var readers = new List<SafetensorsReader>();
        TransformerModel? model = null;
        try
        {
            var files = WeightFiles(folder, out var index);
            foreach (var file in files)
            {
                readers.Add(SafetensorsReader.Open(file));
            }
            if (index is not null) CheckIndex(index, readers, Path.Combine(folder, IndexFileName));
            var stored = StoredParameters(readers, config);
            // From the headers alone, before the model's memory is allocated.
            Check(ModelMemory.ParameterShapes(config), config, stored, folder);

            model = TransformerModel.Create(config, device, dtype ?? ScalarType.Float32);
            var plan = Match(model, stored, folder);

            using var noGrad = no_grad();
            foreach (var group in plan.GroupBy(p => p.Reader))
            {
                progress?.Report($"Reading {Path.GetFileName(group.Key.Path)} ({FormatBytes(group.Key.Header.DataLength)}).");
                // File order, so the reads sweep each file once from front to back.
                foreach (var (parameter, reader, entry) in group.OrderBy(p => p.Entry.Begin))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    reader.ReadInto(entry, parameter, cancellationToken);
                    if (!allowNonFinite)
                        FiniteCheck.Require(parameter, entry.Name, reader.Path, "Load with AllowNonFinite to accept it (Import-IclModel -AllowNonFinite).");
                }
            }
            model.Identity = folder;
            return model;
        }
        catch
        {
            model?.Dispose();
            throw;
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
        }
    }

    /// <summary>
    /// Writes config.json and model.safetensors into <paramref name="dir"/> (created if needed), or, when the weights
    /// exceed <paramref name="maxShardBytes"/> of tensor data, shards model-0000i-of-0000n.safetensors plus
    /// model.safetensors.index.json. Tensors keep the model's dtype. The files are written into a staging folder and put in
    /// place as one set (<see cref="StagedFileSet"/>), with the weight files of the previous layout (a single file or shards
    /// from the old index) removed in the same step: a failed, cancelled or refused save (a file that cannot be replaced)
    /// leaves an existing checkpoint exactly as it was. Other files, such as tokenizer files, are left alone.
    /// </summary>
    public static void Save(TransformerModel model, string dir, long? maxShardBytes = null,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxShardBytes is <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), maxShardBytes, "The shard size must be positive.");
        using var set = StagedFileSet.Begin(dir, "checkpoint");
        WriteInto(set, model, maxShardBytes, progress, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        set.Commit(cancellationToken);
    }

    /// <summary>
    /// Writes config.json and the weight files into <paramref name="set"/> and marks the weight files of the destination's
    /// previous layout for removal; the caller adds any other files and commits.
    /// </summary>
    internal static void WriteInto(StagedFileSet set, TransformerModel model, long? maxShardBytes,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxShardBytes is <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), maxShardBytes, "The shard size must be positive.");
        var folder = set.Destination;
        var shards = PlanShards(model.CheckpointTensors(), maxShardBytes);
        var names = Enumerable.Range(0, shards.Count).Select(i => shards.Count == 1 ? WeightsFileName : ShardFileName(i, shards.Count))
            .Append(ConfigFileName).Concat(shards.Count > 1 ? [IndexFileName] : []).ToList();
        // Refused before anything is written, so the error costs no time.
        foreach (var name in names)
        {
            var path = Path.Combine(folder, name);
            if (Directory.Exists(path))
                throw new CheckpointException(CheckpointErrorIds.TargetIsDirectory, IclErrorKind.WriteError,
                    $"Cannot write '{path}': a folder of that name exists.", path);
        }
        var previousShards = set.CreatesFolder ? [] : PreviousShardFiles(folder);

        var shardNames = new List<string>();
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < shards.Count; i++)
        {
            var name = names[i];
            progress?.Report($"Writing {name} ({FormatBytes(shards[i].Sum(t => SafetensorsWriter.DataBytes(t.Tensor)))}).");
            SafetensorsWriter.Write(set.PathOf(name), shards[i], FileMetadata, cancellationToken);
            shardNames.Add(name);
            foreach (var (tensorName, _) in shards[i]) weightMap[tensorName] = name;
        }
        if (shards.Count > 1)
        {
            var totalSize = shards.Sum(s => s.Sum(t => SafetensorsWriter.DataBytes(t.Tensor)));
            WriteText(set.PathOf(IndexFileName), new SafetensorsIndex(totalSize, weightMap).ToJson());
        }
        WriteText(set.PathOf(ConfigFileName), ConfigJson(model));
        foreach (var stale in StaleWeights(shardNames, previousShards)) set.Remove(stale);
    }

    private static void WriteText(string path, string text)
    {
        using var file = new StagedFile(path);
        file.WriteAllText(text);
        file.Commit();
    }

    private static string RequireFolder(string dir)
    {
        var folder = Path.GetFullPath(dir);
        if (!Directory.Exists(folder))
            throw new CheckpointException(CheckpointErrorIds.CheckpointNotFound, IclErrorKind.ObjectNotFound,
                $"Checkpoint folder '{folder}' not found.", folder);
        return folder;
    }

    private static string ShardFileName(int i, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"model-{i + 1:D5}-of-{count:D5}.safetensors");

    private static List<string> WeightFiles(string folder, out SafetensorsIndex? index)
    {
        index = null;
        var single = Path.Combine(folder, WeightsFileName);
        if (File.Exists(single)) return [single];
        var indexPath = Path.Combine(folder, IndexFileName);
        if (!File.Exists(indexPath))
        {
            var hint = File.Exists(Path.Combine(folder, "pytorch_model.bin")) ? " (pytorch_model.bin is present, but only safetensors weights are supported)" : "";
            throw new CheckpointException(CheckpointErrorIds.WeightsNotFound, IclErrorKind.ObjectNotFound,
                $"Checkpoint folder '{folder}' has neither {WeightsFileName} nor {IndexFileName}{hint}.", folder);
        }
        index = SafetensorsIndex.Load(indexPath);
        var files = new List<string>();
        foreach (var shard in index.WeightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var path = Path.Combine(folder, shard);
            if (!File.Exists(path))
                throw new CheckpointException(CheckpointErrorIds.ShardNotFound, IclErrorKind.ObjectNotFound,
                    $"Checkpoint index '{indexPath}' names shard '{shard}', which is not in the folder.", path);
            files.Add(path);
        }
        return files;
    }

    /// <summary>The index and the shards' own headers must agree on where every tensor lives.</summary>
    private static void CheckIndex(SafetensorsIndex index, List<SafetensorsReader> readers, string indexPath)
    {
        var byFile = readers.ToDictionary(r => Path.GetFileName(r.Path), StringComparer.Ordinal);
        foreach (var (name, file) in index.WeightMap)
        {
            if (!byFile[file].TryGetEntry(name, out _))
                throw new CheckpointException(CheckpointErrorIds.InvalidIndex, IclErrorKind.InvalidData,
                    $"Checkpoint index '{indexPath}' places tensor '{name}' in '{file}', which does not hold it.", indexPath, name);
        }
        foreach (var reader in readers)
        {
            var file = Path.GetFileName(reader.Path);
            foreach (var entry in reader.Entries)
            {
                if (!index.WeightMap.TryGetValue(entry.Name, out var listed) || listed != file)
                    throw new CheckpointException(CheckpointErrorIds.InvalidIndex, IclErrorKind.InvalidData,
                        $"Checkpoint index '{indexPath}' does not list tensor '{entry.Name}' of shard '{file}' under that shard.", indexPath, entry.Name);
            }
        }
    }

    private static Dictionary<string, (SafetensorsReader Reader, SafetensorsEntry Entry)> StoredParameters(List<SafetensorsReader> readers, ModelConfig config)
    {
        var stored = new Dictionary<string, (SafetensorsReader, SafetensorsEntry)>(StringComparer.Ordinal);
        foreach (var reader in readers)
        {
            foreach (var entry in reader.Entries)
            {
                var parameter = CheckpointKeys.ParameterName(entry.Name, config);
                if (parameter is null) continue;
                if (stored.TryGetValue(parameter, out var first))
                    throw new CheckpointException(CheckpointErrorIds.DuplicateParameter, IclErrorKind.InvalidData,
                        $"Parameter '{parameter}' is stored twice: as '{first.Item2.Name}' in '{first.Item1.Path}' and as '{entry.Name}' in '{reader.Path}'.",
                        reader.Path, entry.Name);
                stored[parameter] = (reader, entry);
            }
        }
        return stored;
    }

    /// <summary>
    /// Names what is missing, unexpected, the wrong shape or not floating point, comparing the stored tensors with the
    /// parameters <paramref name="config"/> defines (<see cref="ModelMemory.ParameterShapes"/>), before any is allocated.
    /// </summary>
    private static void Check(IReadOnlyList<(string Name, long[] Shape)> parameters, ModelConfig config,
        Dictionary<string, (SafetensorsReader Reader, SafetensorsEntry Entry)> stored, string folder)
    {
        var expected = parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

        var missing = parameters.Where(p => !stored.ContainsKey(p.Name)).Select(p => p.Name).ToList();
        if (missing.Count > 0)
            throw new CheckpointException(CheckpointErrorIds.MissingTensor, IclErrorKind.InvalidData,
                $"Checkpoint '{folder}' lacks {missing.Count} tensor(s) that a {config} model needs: {List(missing)}.", folder, missing[0]);

        var unexpected = stored.Where(s => !expected.Contains(s.Key)).ToList();
        if (unexpected.Count > 0)
            throw new CheckpointException(CheckpointErrorIds.UnexpectedTensor, IclErrorKind.InvalidData,
                $"Checkpoint '{folder}' holds {unexpected.Count} tensor(s) that a {config} model does not have: " +
                $"{List(unexpected.Select(u => $"{u.Value.Entry.Name} (in {Path.GetFileName(u.Value.Reader.Path)})").ToList())}.",
                unexpected[0].Value.Reader.Path, unexpected[0].Value.Entry.Name);

        foreach (var (name, shape) in parameters)
        {
            var (reader, entry) = stored[name];
            if (!entry.Shape.SequenceEqual(shape))
                throw new CheckpointException(CheckpointErrorIds.ShapeMismatch, IclErrorKind.InvalidData,
                    $"Tensor '{entry.Name}' in '{reader.Path}': expected shape [{string.Join(", ", shape)}] for a {config} model, found {entry.ShapeText}.",
                    reader.Path, entry.Name);
            if (!entry.DType.IsFloatingPoint())
                throw new CheckpointException(CheckpointErrorIds.DTypeMismatch, IclErrorKind.InvalidData,
                    $"Tensor '{entry.Name}' in '{reader.Path}' is stored as {entry.DType.HeaderName()}; parameters need a floating-point dtype (F16, BF16, F32, F64).",
                    reader.Path, entry.Name);
        }
    }

    /// <summary>Pairs every allocated parameter with its stored tensor (already checked by <see cref="Check"/>).</summary>
    private static List<(Tensor Parameter, SafetensorsReader Reader, SafetensorsEntry Entry)> Match(
        TransformerModel model, Dictionary<string, (SafetensorsReader Reader, SafetensorsEntry Entry)> stored, string folder)
    {
        var plan = new List<(Tensor, SafetensorsReader, SafetensorsEntry)>();
        foreach (var (name, parameter) in model.CheckpointTensors())
        {
            if (!stored.TryGetValue(name, out var found))
                throw new CheckpointException(CheckpointErrorIds.MissingTensor, IclErrorKind.InvalidData,
                    $"Checkpoint '{folder}' lacks tensor '{name}' that a {model.Config} model needs.", folder, name);
            plan.Add((parameter, found.Reader, found.Entry));
        }
        return plan;
    }

    private static string List(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(5).Select(n => $"'{n}'")) + (names.Count > 5 ? $" and {names.Count - 5} more" : "");

    /// <summary>Greedy packing in parameter order; a tensor larger than the limit gets a shard of its own.</summary>
    private static List<List<(string Name, Tensor Tensor)>> PlanShards(IReadOnlyList<(string Name, Tensor Tensor)> tensors, long? maxShardBytes)
    {
        var shards = new List<List<(string, Tensor)>> { new() };
        long current = 0;
        foreach (var item in tensors)
        {
            var bytes = SafetensorsWriter.DataBytes(item.Tensor);
            if (maxShardBytes is long max && current > 0 && current + bytes > max)
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(item);
            current += bytes;
        }
        return shards;
    }

    private static string ConfigJson(TransformerModel model)
    {
        var json = JsonNode.Parse(model.Config.ToHfJson())!.AsObject();
        json["torch_dtype"] = model.DType switch
        {
            ScalarType.Float16 => "float16",
            ScalarType.BFloat16 => "bfloat16",
            ScalarType.Float64 => "float64",
            _ => "float32",
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Shard files named by the index already in the folder; unreadable indexes name none.</summary>
    private static IReadOnlyCollection<string> PreviousShardFiles(string folder)
    {
        var indexPath = Path.Combine(folder, IndexFileName);
        if (!File.Exists(indexPath)) return [];
        try
        {
            return SafetensorsIndex.Load(indexPath).WeightMap.Values.ToHashSet(StringComparer.Ordinal);
        }
        catch (CheckpointException)
        {
            return [];
        }
    }

    /// <summary>
    /// Weight files of the previous layout that the new one does not overwrite, to be removed with the commit: a leftover
    /// model.safetensors would otherwise shadow new shards, and a leftover index would describe shards that are gone.
    /// Names in the old index that are not plain file names are ignored.
    /// </summary>
    private static IEnumerable<string> StaleWeights(List<string> written, IReadOnlyCollection<string> previousShards)
    {
        var keep = written.ToHashSet(StringComparer.Ordinal);
        var stale = previousShards.Where(s => !keep.Contains(s) && Path.GetFileName(s) == s && s is not ("." or "..")).ToList();
        stale.Add(written.Count == 1 ? IndexFileName : WeightsFileName);
        return stale;
    }

    private static string FormatBytes(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.0} MiB");
}
