using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Storage;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// A task vector on disk as two files of one stem: <c>STEM.safetensors</c> with the float32 tensors (<c>vector.layer{l}</c>
/// [d_model], <c>head.{l}.{h}.mean_activation</c> [d_head]) and <c>STEM.json</c> with everything else (method, model,
/// shape, injection, heads and weights, provenance with its training curve) and the SHA-256 of the tensor file, so a
/// mismatched or damaged pair is detected. The two files are written into a staging folder and put in place as one set
/// (<see cref="StagedFileSet"/>): a failed or cancelled export leaves a previous pair of that stem whole and matching.
/// </summary>
public static class TaskVectorFile
{
    public const string Format = "iclps-task-vector/1";
    public const string JsonExtension = ".json";
    public const string TensorsExtension = ".safetensors";

    /// <summary>Writes <paramref name="vector"/> next to <paramref name="path"/> (a stem, or either file's path); returns the JSON path.</summary>
    public static string Export(TaskVector vector, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vector);
        var (jsonPath, tensorsPath) = Paths(path);
        // Both files are staged and put in place together, or neither is (the stem names the staging folder).
        using var set = StagedFileSet.Begin(Path.GetDirectoryName(jsonPath)!, Path.GetFileNameWithoutExtension(jsonPath));
        var stagedTensors = set.PathOf(Path.GetFileName(tensorsPath));
        using (var scope = NewDisposeScope())
        {
            var tensors = vector.Vectors.Select(v => (VectorName(v.Layer), tensor(v.Values)))
                .Concat(vector.Heads.Where(h => h.MeanActivation is not null).Select(h => (HeadName(h.Layer, h.Head), tensor(h.MeanActivation!))))
                .ToArray();
            SafetensorsWriter.Write(stagedTensors, tensors, new Dictionary<string, string> { ["format"] = Format }, cancellationToken);
        }
        var json = Json(vector, Path.GetFileName(tensorsPath), Sha256(stagedTensors));
        using (var staged = new StagedFile(set.PathOf(Path.GetFileName(jsonPath))))
        {
            staged.WriteAllBytes(json);
            staged.Commit();
        }
        cancellationToken.ThrowIfCancellationRequested();
        set.Commit(cancellationToken);
        return jsonPath;
    }

    /// <summary>Reads the vector stored at <paramref name="path"/> (a stem, or either file's path), validating both files.</summary>
    public static TaskVector Import(string path)
    {
        var (jsonPath, tensorsPath) = Paths(path);
        if (!File.Exists(jsonPath))
            throw new IclPsException(TaskVectorErrorIds.FileNotFound, IclErrorKind.ObjectNotFound, $"Task-vector file '{jsonPath}' not found.", jsonPath);
        if (!File.Exists(tensorsPath))
            throw new IclPsException(TaskVectorErrorIds.FileNotFound, IclErrorKind.ObjectNotFound,
                $"Task-vector tensors '{tensorsPath}' not found (they belong next to '{Path.GetFileName(jsonPath)}').", tensorsPath);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(jsonPath));
        }
        catch (JsonException e)
        {
            throw Invalid(jsonPath, $"is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            try
            {
                return Read(document.RootElement, jsonPath, tensorsPath);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
            {
                throw Invalid(jsonPath, $"is malformed: {e.Message}", e);
            }
        }
    }

    private static TaskVector Read(JsonElement root, string jsonPath, string tensorsPath)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Invalid(jsonPath, "is not a JSON object");
        var format = Str(root, "format");
        if (format != Format) throw Invalid(jsonPath, $"has format '{format}', expected '{Format}'");
        if (Str(root, "tensors_sha256") != Sha256(tensorsPath))
            throw Invalid(jsonPath, $"does not match '{Path.GetFileName(tensorsPath)}' (its SHA-256 differs: truncated, damaged or from another export)");
        var shapeElement = root.GetProperty("shape");
        var shape = new TaskVectorModelShape(Enum<ModelFamily>(shapeElement, "family"), shapeElement.GetProperty("layers").GetInt32(),
            shapeElement.GetProperty("heads").GetInt32(), shapeElement.GetProperty("d_model").GetInt32());
        if (shape.Layers <= 0 || shape.Heads <= 0 || shape.DModel <= 0 || shape.DModel % shape.Heads != 0)
            throw new IclPsException(TaskVectorErrorIds.InvalidFile, IclErrorKind.InvalidData,
                $"Task-vector file '{jsonPath}' records an impossible model shape ({shape}): layers, heads and d_model must be positive and d_model divisible by heads.", shape);

        using var reader = SafetensorsReader.Open(tensorsPath);
        float[] Values(string name, int length)
        {
            var entry = reader.GetEntry(name);
            if (entry.DType != SafetensorsDType.F32 || entry.Shape.Count != 1 || entry.Shape[0] != length)
                throw new IclPsException(TaskVectorErrorIds.InvalidFile, IclErrorKind.InvalidData,
                    $"Tensor '{name}' in '{tensorsPath}' is {entry.DType} {entry.ShapeText}; expected F32 [{length}] for the recorded shape {shape}.", name);
            using var t = reader.ReadTensor(name);
            var values = t.data<float>().ToArray();
            if (values.Any(v => !float.IsFinite(v)))
                throw new IclPsException(TaskVectorErrorIds.NonFinite, IclErrorKind.InvalidData, $"Tensor '{name}' in '{tensorsPath}' contains NaN or infinity.", name);
            return values;
        }

        var vectors = root.GetProperty("layers").EnumerateArray()
            .Select(l => l.GetInt32())
            .Select(l => new TaskVectorLayer(l, Values(VectorName(l), shape.DModel)))
            .ToArray();
        var heads = root.GetProperty("heads").EnumerateArray().Select(h =>
        {
            var (layer, head) = (h.GetProperty("layer").GetInt32(), h.GetProperty("head").GetInt32());
            return new TaskVectorHead(layer, head, h.GetProperty("weight").GetDouble(),
                h.GetProperty("mean_activation").GetBoolean() ? Values(HeadName(layer, head), shape.DHead) : null);
        }).ToArray();
        var p = root.GetProperty("provenance");
        var provenance = new TaskVectorProvenance
        {
            Source = Str(p, "source"),
            Shots = p.GetProperty("shots").GetInt32(),
            Seed = p.GetProperty("seed").GetInt32(),
            Prompts = p.GetProperty("prompts").GetInt32(),
            ValidationPrompts = p.GetProperty("validation_prompts").GetInt32(),
            Settings = p.GetProperty("settings").EnumerateObject().ToDictionary(s => s.Name, s => s.Value.GetString() ?? throw new FormatException($"setting '{s.Name}' is null")),
            TrainingCurve = p.GetProperty("training_curve").EnumerateArray().Select(t => new TaskVectorTrainingPoint(
                t.GetProperty("epoch").GetInt32(), t.GetProperty("step").GetInt32(),
                Number(t, "train_loss"), Number(t, "validation_loss"), Number(t, "validation_metric"))).ToArray(),
        };
        try
        {
            return new TaskVector(Enum<TaskVectorMethod>(root, "method"), Str(root, "model_name"), shape, Enum<TaskVectorInjection>(root, "injection"),
                vectors, heads, provenance, Enum<HeadActivationSource>(root, "activation_source"), root.GetProperty("authors_variant").GetBoolean());
        }
        catch (IclPsException e) when (e.ErrorId == TaskVectorErrorIds.InvalidTaskVector)
        {
            throw new IclPsException(TaskVectorErrorIds.InvalidFile, IclErrorKind.InvalidData, $"Task-vector file '{jsonPath}': {e.Message}", e.Target, e);
        }
    }

    private static byte[] Json(TaskVector v, string tensorsFile, string sha256)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("method", v.Method.ToString());
            w.WriteString("model_name", v.ModelName);
            w.WriteStartObject("shape");
            w.WriteString("family", v.Shape.Family.ToString());
            w.WriteNumber("layers", v.Shape.Layers);
            w.WriteNumber("heads", v.Shape.Heads);
            w.WriteNumber("d_model", v.Shape.DModel);
            w.WriteEndObject();
            w.WriteString("injection", v.Injection.ToString());
            w.WriteString("activation_source", v.ActivationSource.ToString());
            w.WriteBoolean("authors_variant", v.AuthorsVariant);
            w.WriteString("tensors", tensorsFile);
            w.WriteString("tensors_sha256", sha256);
            w.WriteStartArray("layers");
            foreach (var layer in v.Vectors) w.WriteNumberValue(layer.Layer);
            w.WriteEndArray();
            w.WriteStartArray("heads");
            foreach (var h in v.Heads)
            {
                w.WriteStartObject();
                w.WriteNumber("layer", h.Layer);
                w.WriteNumber("head", h.Head);
                // .NET writes the shortest text that parses back to the same double.
                w.WriteNumber("weight", h.Weight);
                w.WriteBoolean("mean_activation", h.MeanActivation is not null);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            var p = v.Provenance;
            w.WriteStartObject("provenance");
            w.WriteString("source", p.Source);
            w.WriteNumber("shots", p.Shots);
            w.WriteNumber("seed", p.Seed);
            w.WriteNumber("prompts", p.Prompts);
            w.WriteNumber("validation_prompts", p.ValidationPrompts);
            w.WriteStartObject("settings");
            foreach (var (key, value) in p.Settings.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(key, value);
            w.WriteEndObject();
            w.WriteStartArray("training_curve");
            foreach (var t in p.TrainingCurve)
            {
                w.WriteStartObject();
                w.WriteNumber("epoch", t.Epoch);
                w.WriteNumber("step", t.Step);
                WriteNumber(w, "train_loss", t.TrainLoss);
                WriteNumber(w, "validation_loss", t.ValidationLoss);
                WriteNumber(w, "validation_metric", t.ValidationMetric);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return stream.ToArray();
    }

    // A diverged training run can log NaN or infinity, which JSON numbers cannot hold: those are written as strings.
    private static void WriteNumber(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
    }

    private static double Number(JsonElement e, string name)
    {
        var value = e.GetProperty(name);
        return value.ValueKind == JsonValueKind.String
            ? double.Parse(value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
            : value.GetDouble();
    }

    private static string Str(JsonElement e, string name) => e.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is null");

    private static T Enum<T>(JsonElement e, string name) where T : struct, Enum =>
        System.Enum.TryParse<T>(Str(e, name), ignoreCase: false, out var value) && System.Enum.IsDefined(value)
            ? value
            : throw new FormatException($"'{name}' is '{Str(e, name)}', not one of {string.Join(", ", System.Enum.GetNames<T>())}");

    private static string VectorName(int layer) => string.Create(CultureInfo.InvariantCulture, $"vector.layer{layer}");

    private static string HeadName(int layer, int head) => string.Create(CultureInfo.InvariantCulture, $"head.{layer}.{head}.mean_activation");

    /// <summary>The JSON and safetensors paths of a task vector given a stem or either file's path.</summary>
    public static (string Json, string Tensors) Paths(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var extension = Path.GetExtension(full);
        var stem = extension.Equals(JsonExtension, StringComparison.OrdinalIgnoreCase) || extension.Equals(TensorsExtension, StringComparison.OrdinalIgnoreCase)
            ? full[..^extension.Length]
            : full;
        return (stem + JsonExtension, stem + TensorsExtension);
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    private static IclPsException Invalid(string path, string problem, Exception? inner = null) =>
        new(TaskVectorErrorIds.InvalidFile, IclErrorKind.InvalidData, $"Task-vector file '{path}' {problem}.", path, inner);
}
