using System.Text.Encodings.Web;
using System.Text.Json;
using IclPs.Engine.Data;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// Writes a dataset as the Function Vector papers' JSON (an array of {"input", "output"} objects), the format
/// <see cref="DatasetLoader.LoadJson"/> reads. The file is written beside the target and then moved over it, so a failed
/// write never leaves a half-written dataset.
/// </summary>
public static class FunctionVectorJsonWriter
{
    /// <summary>Writes <paramref name="dataset"/> to <paramref name="path"/> (folder created if needed); returns the full path.</summary>
    public static string Write(IclDataset dataset, string path)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (dataset.Count == 0)
            throw new IclPsException("EmptyDataset", IclErrorKind.InvalidArgument, $"Dataset '{dataset.Name}' has no items; the loader would reject the file.", dataset);
        var fullPath = Path.GetFullPath(path);
        var buffer = new MemoryStream();
        // Relaxed escaping keeps non-ASCII symbols readable; the output is still valid JSON.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (var item in dataset.Items)
            {
                json.WriteStartObject();
                json.WriteString(DatasetLoader.InputField, item.Input);
                json.WriteString(DatasetLoader.OutputField, item.Output);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }

        var temp = $"{fullPath}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            File.WriteAllBytes(temp, buffer.ToArray());
            File.Move(temp, fullPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw new IclPsException("DatasetWriteFailed", IclErrorKind.WriteError, $"Cannot write dataset file '{fullPath}': {e.Message}", fullPath, e);
        }
        return fullPath;
    }
}
