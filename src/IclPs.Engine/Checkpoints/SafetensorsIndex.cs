using System.Text.Json;
using System.Text.Json.Nodes;

namespace IclPs.Engine.Checkpoints;

/// <summary>
/// model.safetensors.index.json of a sharded Hugging Face checkpoint:
/// <c>{"metadata": {"total_size": bytes}, "weight_map": {"tensor name": "shard file name"}}</c>.
/// </summary>
internal sealed record SafetensorsIndex(long TotalSize, IReadOnlyDictionary<string, string> WeightMap)
{
    public static SafetensorsIndex Load(string path)
    {
        CheckpointException Bad(string what, Exception? inner = null) =>
            new(CheckpointErrorIds.InvalidIndex, IclErrorKind.InvalidData, $"Checkpoint index '{path}': {what}.", path, inner: inner);

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw Bad($"not valid JSON ({e.Message})", e);
        }
        if (root is not JsonObject rootObject || rootObject["weight_map"] is not JsonObject map)
            throw Bad("'weight_map' must be an object of tensor name to shard file");

        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in map)
        {
            if (value is not JsonValue v || !v.TryGetValue<string>(out var file) || file.Length == 0
                || file != Path.GetFileName(file))
                throw Bad($"tensor '{name}' must map to a shard file name in the same folder, got {value?.ToJsonString() ?? "null"}");
            weightMap[name] = file;
        }
        long totalSize = 0;
        if (rootObject["metadata"] is JsonObject metadata && metadata["total_size"] is JsonValue total)
            total.TryGetValue(out totalSize);
        return new SafetensorsIndex(totalSize, weightMap);
    }

    public string ToJson()
    {
        var map = new JsonObject();
        foreach (var (name, file) in WeightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal)) map[name] = file;
        var root = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = TotalSize },
            ["weight_map"] = map,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
