using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IclPs.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Checkpoints;

/// <summary>
/// Hugging Face checkpoint folders: config.json plus model.safetensors, or shards listed by
/// model.safetensors.index.json. Loading fills an uninitialised model straight from the files (one copy of the
/// weights in memory); saving stages every file beside its destination and replaces nothing until all are written.
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
    /// </summary>
    public static TransformerModel Load(string dir, Device? device = null, ScalarType? dtype = null,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var folder = RequireFolder(dir);
        var config = ModelConfig.Load(Path.Combine(folder, ConfigFileName));
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
    /// model.safetensors.index.json. Tensors keep the model's dtype. All files are written under temporary names first and
    /// renamed into place only after every one is complete, so a failed or cancelled save leaves an existing checkpoint as
    /// it was. Weight files of the previous layout (a single file or shards from the old index) are then removed; other
    /// files, such as tokenizer files, are left alone.
    /// </summary>
    public static void Save(TransformerModel model, string dir, long? maxShardBytes = null,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxShardBytes is <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), maxShardBytes, "The shard size must be positive.");
        var folder = Path.GetFullPath(dir);
        Directory.CreateDirectory(folder);

        var shards = PlanShards(model.CheckpointTensors(), maxShardBytes);
        var previousShards = PreviousShardFiles(folder);
        var staged = new List<StagedFile>();
        try
        {
            var shardNames = new List<string>();
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < shards.Count; i++)
            {
                var name = shards.Count == 1 ? WeightsFileName : ShardFileName(i, shards.Count);
                var file = new StagedFile(Path.Combine(folder, name));
                staged.Add(file);
                progress?.Report($"Writing {name} ({FormatBytes(shards[i].Sum(t => SafetensorsWriter.DataBytes(t.Tensor)))}).");
                SafetensorsWriter.WriteStaged(file, shards[i], FileMetadata, cancellationToken);
                shardNames.Add(name);
                foreach (var (tensorName, _) in shards[i]) weightMap[tensorName] = name;
            }
            if (shards.Count > 1)
            {
                var totalSize = shards.Sum(s => s.Sum(t => SafetensorsWriter.DataBytes(t.Tensor)));
                var indexFile = new StagedFile(Path.Combine(folder, IndexFileName));
                staged.Add(indexFile);
                indexFile.WriteAllText(new SafetensorsIndex(totalSize, weightMap).ToJson());
            }
            var configFile = new StagedFile(Path.Combine(folder, ConfigFileName));
            staged.Add(configFile);
            configFile.WriteAllText(ConfigJson(model));
            cancellationToken.ThrowIfCancellationRequested();

            // Everything is on disk; only renames remain.
            foreach (var file in staged) file.Commit();
            RemoveStaleWeights(folder, shardNames, previousShards);
        }
        finally
        {
            foreach (var file in staged) file.Dispose();
        }
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

    /// <summary>Pairs every parameter with its stored tensor, or names what is missing, unexpected or the wrong shape.</summary>
    private static List<(Tensor Parameter, SafetensorsReader Reader, SafetensorsEntry Entry)> Match(
        TransformerModel model, Dictionary<string, (SafetensorsReader Reader, SafetensorsEntry Entry)> stored, string folder)
    {
        var parameters = model.CheckpointTensors();
        var expected = parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

        var missing = parameters.Where(p => !stored.ContainsKey(p.Name)).Select(p => p.Name).ToList();
        if (missing.Count > 0)
            throw new CheckpointException(CheckpointErrorIds.MissingTensor, IclErrorKind.InvalidData,
                $"Checkpoint '{folder}' lacks {missing.Count} tensor(s) that a {model.Config} model needs: {List(missing)}.", folder, missing[0]);

        var unexpected = stored.Where(s => !expected.Contains(s.Key)).ToList();
        if (unexpected.Count > 0)
            throw new CheckpointException(CheckpointErrorIds.UnexpectedTensor, IclErrorKind.InvalidData,
                $"Checkpoint '{folder}' holds {unexpected.Count} tensor(s) that a {model.Config} model does not have: " +
                $"{List(unexpected.Select(u => $"{u.Value.Entry.Name} (in {Path.GetFileName(u.Value.Reader.Path)})").ToList())}.",
                unexpected[0].Value.Reader.Path, unexpected[0].Value.Entry.Name);

        var plan = new List<(Tensor, SafetensorsReader, SafetensorsEntry)>();
        foreach (var (name, parameter) in parameters)
        {
            var (reader, entry) = stored[name];
            if (!entry.Shape.SequenceEqual(parameter.shape))
                throw new CheckpointException(CheckpointErrorIds.ShapeMismatch, IclErrorKind.InvalidData,
                    $"Tensor '{entry.Name}' in '{reader.Path}': expected shape [{string.Join(", ", parameter.shape)}] for a {model.Config} model, found {entry.ShapeText}.",
                    reader.Path, entry.Name);
            if (!entry.DType.IsFloatingPoint())
                throw new CheckpointException(CheckpointErrorIds.DTypeMismatch, IclErrorKind.InvalidData,
                    $"Tensor '{entry.Name}' in '{reader.Path}' is stored as {entry.DType.HeaderName()}; parameters need a floating-point dtype (F16, BF16, F32, F64).",
                    reader.Path, entry.Name);
            plan.Add((parameter, reader, entry));
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
    /// Removes weight files of the previous layout that the new one did not overwrite; a leftover model.safetensors would
    /// otherwise shadow new shards, and a leftover index would describe shards that are gone.
    /// </summary>
    private static void RemoveStaleWeights(string folder, List<string> written, IReadOnlyCollection<string> previousShards)
    {
        var keep = written.ToHashSet(StringComparer.Ordinal);
        var stale = previousShards.Where(s => !keep.Contains(s)).ToList();
        if (written.Count == 1) stale.Add(IndexFileName);
        else stale.Add(WeightsFileName);
        foreach (var name in stale)
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path)) File.Delete(path);
        }
    }

    private static string FormatBytes(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.0} MiB");
}
