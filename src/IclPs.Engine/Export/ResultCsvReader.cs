using CsvHelper;

namespace IclPs.Engine.Export;

/// <summary>
/// Reads a results CSV (as <see cref="ResultCsvWriter"/> or Export-Csv writes it) back as rows of column -> cell text, in
/// file order. Cells stay text: what a column means (a number, True/False) is for the reader of the rows to decide.
/// </summary>
public static class ResultCsvReader
{
    public static IReadOnlyList<IReadOnlyDictionary<string, object?>> Read(string path, char delimiter = ',')
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new IclPsException("ResultFileNotFound", IclErrorKind.ObjectNotFound, $"Results file '{fullPath}' not found.", fullPath);
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        if (new FileInfo(fullPath).Length == 0) return rows;
        try
        {
            using var reader = CsvReader.FromFile(fullPath, CsvReaderOptions.Default with
            {
                Separator = delimiter, HasHeader = true, TrackLineNumbers = true, MalformedData = CsvMalformedDataHandling.Throw,
            });
            var headers = reader.Headers.ToArray();
            while (reader.Read())
            {
                if (reader.FieldCount != headers.Length)
                    throw new IclPsException("ResultFileFieldCountMismatch", IclErrorKind.InvalidData,
                        $"'{fullPath}' line {reader.LineNumber}: the row has {reader.FieldCount} fields but the header has {headers.Length}.", fullPath);
                var row = new Dictionary<string, object?>(StringComparer.Ordinal);
                for (var i = 0; i < headers.Length; i++) row.TryAdd(headers[i], reader.GetString(i));
                rows.Add(row);
            }
        }
        catch (CsvFormatException ex)
        {
            throw new IclPsException("ResultFileInvalidCsv", IclErrorKind.InvalidData, $"'{fullPath}' is not a readable CSV file: {ex.Message}", fullPath, ex);
        }
        return rows;
    }
}
