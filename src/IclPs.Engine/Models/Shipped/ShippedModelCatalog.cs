using System.Text.Json;
using System.Text.Json.Nodes;
using IclPs.Engine.Regression.Runs;
using static TorchSharp.torch;

namespace IclPs.Engine.Models.Shipped;

/// <summary>
/// The default models shipped in a folder such as the module's models/: one subfolder per model, holding the engine's
/// checkpoint and iclps-model.json (UTF-8, camelCase: name, kind, description, command, seed, steps, batchSize,
/// trainingSeconds, metrics, commit). Folders whose names start with a dot are a writer's unfinished staging and are skipped.
/// </summary>
public sealed class ShippedModelCatalog
{
    public const string ManifestFileName = "iclps-model.json";

    /// <param name="root">The folder holding one subfolder per model.</param>
    public ShippedModelCatalog(string root)
    {
        Root = System.IO.Path.GetFullPath(root);
        if (!Directory.Exists(Root))
            throw new IclPsException(ShippedModelErrorIds.CatalogNotFound, IclErrorKind.ObjectNotFound, $"Shipped model folder '{Root}' not found.", Root);
    }

    public string Root { get; }

    /// <summary>The model folder names, in ordinal order.</summary>
    public IReadOnlyList<string> Names => Directory.EnumerateDirectories(Root)
        .Select(d => System.IO.Path.GetFileName(d))
        .Where(n => !n.StartsWith('.'))
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>Every model's manifest; the first missing or malformed one is an <see cref="IclPsException"/> naming its file.</summary>
    public IReadOnlyList<ShippedModelInfo> List() => Names.Select(n => ReadManifest(System.IO.Path.Combine(Root, n))).ToList();

    /// <summary>The manifest of the model in folder <paramref name="name"/> (case-insensitive).</summary>
    public ShippedModelInfo Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var names = Names;
        var folder = names.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new IclPsException(ShippedModelErrorIds.ModelNotFound, IclErrorKind.ObjectNotFound,
                $"No shipped model '{name}' in '{Root}'; there are: {string.Join(", ", names)}.", name);
        return ReadManifest(System.IO.Path.Combine(Root, folder));
    }

    /// <summary>Loads a text model (tokenizer and weights) by name.</summary>
    public IclModel LoadText(string name, Device? device = null, ScalarType? dtype = null, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        // The manifest's name is its folder's, which is the name both loaders give the model.
        return IclModel.Load(Require(name, ShippedModelKind.Text).Path, device, dtype, progress, cancellationToken);
    }

    /// <summary>Loads a regression model, with the tasks it was trained on, by name.</summary>
    public IclRegressionModel LoadRegression(string name, Device? device = null, ScalarType? dtype = null, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        return IclRegressionModel.Load(Require(name, ShippedModelKind.Regression).Path, device, dtype, progress, cancellationToken);
    }

    private ShippedModelInfo Require(string name, ShippedModelKind kind)
    {
        var info = Get(name);
        if (info.Kind != kind)
            throw new IclPsException(ShippedModelErrorIds.KindMismatch, IclErrorKind.InvalidArgument,
                $"Shipped model '{info.Name}' is a {info.Kind} model, not a {kind} model.", name);
        return info;
    }

    /// <summary>Reads and checks <paramref name="folder"/>/iclps-model.json; its name must be the folder's.</summary>
    public static ShippedModelInfo ReadManifest(string folder)
    {
        var full = System.IO.Path.GetFullPath(folder);
        var path = System.IO.Path.Combine(full, ManifestFileName);
        if (!File.Exists(path))
            throw new IclPsException(ShippedModelErrorIds.ManifestNotFound, IclErrorKind.ObjectNotFound,
                $"Shipped model folder '{full}' has no {ManifestFileName}.", path);
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object");
            var name = Required<string>(o, "name");
            var folderName = System.IO.Path.GetFileName(full);
            if (name != folderName) throw new JsonException($"'name' is '{name}' but the folder is '{folderName}'");
            var kindText = Required<string>(o, "kind");
            if (!Enum.TryParse<ShippedModelKind>(kindText, ignoreCase: false, out var kind) || !Enum.IsDefined(kind))
                throw new JsonException($"'kind' is '{kindText}', not Text or Regression");
            var metrics = o["metrics"] as JsonObject ?? throw new JsonException("lacks the 'metrics' object");
            return new ShippedModelInfo(
                name, kind,
                Required<string>(o, "description"),
                Required<string>(o, "command"),
                Required<long>(o, "seed"),
                Required<int>(o, "steps"),
                Required<int>(o, "batchSize"),
                Required<double>(o, "trainingSeconds"),
                metrics.ToDictionary(m => m.Key, m => m.Value is JsonValue v && v.TryGetValue<double>(out var d)
                    ? d
                    : throw new JsonException($"metric '{m.Key}' is not a number")),
                Required<string>(o, "commit"),
                full);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new IclPsException(ShippedModelErrorIds.InvalidManifest, IclErrorKind.InvalidData, $"Shipped model manifest '{path}' is not valid: {e.Message}", path, e);
        }
    }

    private static T Required<T>(JsonObject o, string key)
    {
        if (o[key] is not JsonValue value) throw new JsonException($"lacks '{key}'");
        return value.TryGetValue<T>(out var result) ? result : throw new JsonException($"'{key}' is not a {typeof(T).Name}");
    }
}
