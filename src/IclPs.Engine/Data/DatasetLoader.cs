using System.Text;
using System.Text.Json;
using CsvHelper;

namespace IclPs.Engine.Data;

/// <summary>
/// Reads ICL datasets from disk. Every problem is a <see cref="DataFileException"/> naming the file and the line
/// (and item index) at fault, because datasets are hand-edited and a bare "invalid data" helps nobody.
/// </summary>
public static class DatasetLoader
{
    public const string InputField = "input";
    public const string OutputField = "output";

    /// <summary>
    /// A JSON array of objects with "input" and "output" (the Function Vector datasets' format). Field names are
    /// case-sensitive; other fields are ignored. A value may be a string or a number; a number is kept as the text
    /// written in the file ("3.50" stays "3.50"), so no culture or float rounding changes what the model is shown.
    /// Empty or whitespace-only values, other types, duplicate fields and empty arrays are errors.
    /// </summary>
    public static IclDataset LoadJson(string path)
    {
        var fullPath = ResolveExisting(path);
        var bytes = File.ReadAllBytes(fullPath);
        var start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        var json = bytes.AsMemory(start);
        if (json.Span.Trim(" \t\r\n"u8).IsEmpty)
            throw new DataFileException("EmptyDataFile", fullPath, null, null, "the file is empty.");

        var items = new List<IclExample>();
        try
        {
            ReadItems(json.Span, fullPath, items);
        }
        catch (JsonException ex)
        {
            // The reader counts lines from 0.
            var line = ex.LineNumber is long l ? (int)l + 1 : (int?)null;
            throw new DataFileException("InvalidJson", fullPath, line, null, $"not valid JSON: {ex.Message}", inner: ex);
        }
        if (items.Count == 0)
            throw new DataFileException("EmptyDataset", fullPath, null, null, "the array holds no items.");
        return new IclDataset(Path.GetFileNameWithoutExtension(fullPath), items, fullPath);
    }

    /// <summary>
    /// A delimited text file with a header row; <paramref name="inputColumn"/> and <paramref name="outputColumn"/> name
    /// the columns to use (matched exactly, else case-insensitively). Quoted fields may hold delimiters, quotes and line
    /// breaks (RFC 4180). A row with a different field count than the header, or an empty value in either column, is an error.
    /// </summary>
    public static IclDataset LoadCsv(string path, string inputColumn = InputField, string outputColumn = OutputField, char delimiter = ',')
    {
        var fullPath = ResolveExisting(path);
        if (new FileInfo(fullPath).Length == 0)
            throw new DataFileException("EmptyDataFile", fullPath, null, null, "the file is empty.");
        var options = CsvReaderOptions.Default with
        {
            Separator = delimiter,
            HasHeader = true,
            TrackLineNumbers = true,
            MalformedData = CsvMalformedDataHandling.Throw,
        };
        var items = new List<IclExample>();
        try
        {
            using var reader = CsvReader.FromFile(fullPath, options);
            var headers = reader.Headers.ToArray();
            if (headers.Length == 0 || headers.All(string.IsNullOrWhiteSpace))
                throw new DataFileException("EmptyDataFile", fullPath, 1, null, "the file has no header row.");
            var inputIndex = ColumnIndex(headers, inputColumn, fullPath);
            var outputIndex = ColumnIndex(headers, outputColumn, fullPath);
            while (reader.Read())
            {
                var line = (int)reader.LineNumber;
                var index = items.Count;
                if (reader.FieldCount != headers.Length)
                    throw new DataFileException("CsvFieldCountMismatch", fullPath, line, index,
                        $"the row has {reader.FieldCount} fields but the header has {headers.Length} ({string.Join(delimiter, headers)}).");
                var input = reader.GetString(inputIndex);
                var output = reader.GetString(outputIndex);
                RequireValue(input, headers[inputIndex], fullPath, line, index);
                RequireValue(output, headers[outputIndex], fullPath, line, index);
                items.Add(new IclExample(input, output));
            }
        }
        catch (CsvFormatException ex)
        {
            throw new DataFileException("InvalidCsv", fullPath, ex.LineNumber > 0 ? (int)ex.LineNumber : null, null, $"malformed CSV: {ex.Message}", inner: ex);
        }
        if (items.Count == 0)
            throw new DataFileException("EmptyDataset", fullPath, null, null, "the file has a header but no data rows.");
        return new IclDataset(Path.GetFileNameWithoutExtension(fullPath), items, fullPath);
    }

    private static void ReadItems(ReadOnlySpan<byte> json, string file, List<IclExample> items)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new DataFileException("DataNotAnArray", file, LineAt(json, reader.TokenStartIndex), null,
                $"expected a JSON array of {{\"input\", \"output\"}} objects, found {Describe(reader.TokenType)}.");
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var index = items.Count;
            // Line numbers are counted only when reporting, so reading stays linear in the file size.
            var itemOffset = reader.TokenStartIndex;
            if (reader.TokenType != JsonTokenType.StartObject)
                throw new DataFileException("DataItemNotObject", file, LineAt(json, itemOffset), index, $"expected an object with \"input\" and \"output\", found {Describe(reader.TokenType)}.");
            string? input = null, output = null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString()!;
                var nameOffset = reader.TokenStartIndex;
                reader.Read();
                if (name is not (InputField or OutputField))
                {
                    reader.Skip();
                    continue;
                }
                var value = reader.TokenType switch
                {
                    JsonTokenType.String => reader.GetString()!,
                    JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                    _ => throw new DataFileException("DataItemWrongType", file, LineAt(json, nameOffset), index, $"field \"{name}\" must be a string or a number, found {Describe(reader.TokenType)}."),
                };
                if ((name == InputField ? input : output) is not null)
                    throw new DataFileException("DataItemDuplicateField", file, LineAt(json, nameOffset), index, $"field \"{name}\" appears twice.");
                if (string.IsNullOrWhiteSpace(value))
                    throw EmptyValue(name, file, LineAt(json, nameOffset), index);
                if (name == InputField) input = value; else output = value;
            }
            if (input is null || output is null)
                throw new DataFileException("DataItemMissingField", file, LineAt(json, itemOffset), index, $"the item has no \"{(input is null ? InputField : OutputField)}\" field.");
            items.Add(new IclExample(input, output));
        }
        // Anything after the array (a second value, stray text) makes the reader throw here.
        if (reader.Read())
            throw new DataFileException("InvalidJson", file, LineAt(json, reader.TokenStartIndex), null, "unexpected content after the array.");
    }

    private static void RequireValue(string value, string column, string file, int line, int index)
    {
        if (string.IsNullOrWhiteSpace(value)) throw EmptyValue(column, file, line, index);
    }

    private static DataFileException EmptyValue(string column, string file, int line, int index) =>
        new("DataItemEmptyValue", file, line, index, $"\"{column}\" is empty.");

    private static int ColumnIndex(string[] headers, string column, string file)
    {
        var exact = Array.IndexOf(headers, column);
        if (exact >= 0) return exact;
        var loose = headers.Select((h, i) => (h, i)).Where(p => string.Equals(p.h, column, StringComparison.OrdinalIgnoreCase)).ToArray();
        if (loose.Length == 1) return loose[0].i;
        throw new DataFileException("CsvMissingColumn", file, 1, null,
            $"no column '{column}'{(loose.Length > 1 ? " (several differ only in case)" : "")}; columns found: {string.Join(", ", headers.Select(h => $"'{h}'"))}.",
            IclErrorKind.ObjectNotFound);
    }

    private static string ResolveExisting(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new DataFileException("DataFileNotFound", fullPath, null, null, "file not found.", IclErrorKind.ObjectNotFound);
        return fullPath;
    }

    private static int LineAt(ReadOnlySpan<byte> json, long offset) => json[..(int)offset].Count((byte)'\n') + 1;

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
