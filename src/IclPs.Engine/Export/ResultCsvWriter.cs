using System.Globalization;
using CsvHelper;

namespace IclPs.Engine.Export;

/// <summary>
/// Writes result rows (ordered column -> value pairs) to a CSV file without ever leaving it half-written: rows go to a
/// temporary file in the same folder (a copy of the original when appending), which replaces the target only on
/// <see cref="Commit"/>. Disposing without committing discards the temporary file and leaves the target as it was.
/// The first row's columns are the header; later rows may leave columns out (empty cells) but not add new ones.
/// </summary>
public sealed class ResultCsvWriter : IDisposable
{
    private readonly CsvWriteOptions _options;
    private readonly string _tempPath;
    private readonly IReadOnlyList<string>? _existingHeader;
    private readonly FileStream _stream;
    private readonly CsvWriter _writer;
    private Dictionary<string, int>? _columnIndex;
    private bool _finished;

    private ResultCsvWriter(string path, CsvWriteOptions options)
    {
        Path = path;
        _options = options;
        var directory = System.IO.Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
            throw new IclPsException("OutputDirectoryNotFound", IclErrorKind.ObjectNotFound, $"Folder '{directory}' does not exist; cannot write '{path}'.", path);
        _tempPath = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var appending = options.Append && File.Exists(path) && new FileInfo(path).Length > 0;
        if (appending)
        {
            _existingHeader = ReadHeader(path, options.Delimiter);
            File.Copy(path, _tempPath);
        }
        try
        {
            _stream = new FileStream(_tempPath, appending ? FileMode.Append : FileMode.CreateNew, FileAccess.Write);
            if (appending && !EndsWithLineBreak(path)) _stream.Write("\r\n"u8);
            _writer = CsvWriter.Create(_stream, CsvWriterOptions.Default with { Separator = options.Delimiter, FormatProvider = CultureInfo.InvariantCulture }, leaveOpen: false);
        }
        catch
        {
            _stream?.Dispose();
            File.Delete(_tempPath);
            throw;
        }
    }

    public string Path { get; }
    /// <summary>The file's columns, once known (after the first row, or from the existing file when appending).</summary>
    public IReadOnlyList<string>? Header { get; private set; }
    public long RowsWritten { get; private set; }

    /// <summary>Starts writing <paramref name="path"/>; nothing on disk changes until <see cref="Commit"/>.</summary>
    public static ResultCsvWriter Open(string path, CsvWriteOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new ResultCsvWriter(System.IO.Path.GetFullPath(path), options ?? new CsvWriteOptions());
    }

    /// <summary>Writes every row and commits; on any failure the target file is left as it was. Returns the number of rows.</summary>
    public static long Write(string path, IEnumerable<IEnumerable<KeyValuePair<string, object?>>> rows, CsvWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        using var writer = Open(path, options);
        foreach (var row in rows) writer.WriteRow(row);
        writer.Commit();
        return writer.RowsWritten;
    }

    public void WriteRow(IEnumerable<KeyValuePair<string, object?>> row)
    {
        ArgumentNullException.ThrowIfNull(row);
        ObjectDisposedException.ThrowIf(_finished, this);
        var cells = CsvCells.Format(row, _options.FlattenVectors);
        var duplicate = cells.GroupBy(c => c.Column, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new IclPsException("CsvDuplicateColumn", IclErrorKind.InvalidArgument, $"Row {RowsWritten + 1} has column '{duplicate.Key}' more than once.", duplicate.Key);
        if (_columnIndex is null) StartHeader(cells.Select(c => c.Column).ToArray());

        var values = new string[Header!.Count];
        Array.Fill(values, "");
        foreach (var (column, text) in cells)
        {
            if (!_columnIndex!.TryGetValue(column, out var index))
                throw new IclPsException("CsvRowColumnMismatch", IclErrorKind.InvalidArgument,
                    $"Row {RowsWritten + 1} has column '{column}', which is not in the header ({string.Join(_options.Delimiter, Header)}).", column);
            values[index] = text;
        }
        _writer.WriteRecord(values);
        RowsWritten++;
    }

    /// <summary>Moves the finished file into place. With no rows written, nothing is created or changed.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _finished = true;
        _writer.Dispose();
        if (RowsWritten == 0)
        {
            File.Delete(_tempPath);
            return;
        }
        File.Move(_tempPath, Path, overwrite: true);
    }

    /// <summary>Discards everything written since <see cref="Open"/> unless <see cref="Commit"/> ran.</summary>
    public void Dispose()
    {
        if (_finished) return;
        _finished = true;
        _writer.Dispose();
        File.Delete(_tempPath);
    }

    private void StartHeader(string[] columns)
    {
        if (_existingHeader is not null && !_existingHeader.SequenceEqual(columns, StringComparer.Ordinal))
            throw new IclPsException("CsvHeaderMismatch", IclErrorKind.InvalidData,
                $"Cannot append to '{Path}': its header is ({string.Join(_options.Delimiter, _existingHeader)}) but the rows have ({string.Join(_options.Delimiter, columns)}).", Path);
        Header = columns;
        _columnIndex = columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        if (_existingHeader is null) _writer.WriteHeader(columns);
    }

    private static IReadOnlyList<string> ReadHeader(string path, char delimiter)
    {
        try
        {
            using var reader = CsvReader.FromFile(path, CsvReaderOptions.Default with { Separator = delimiter, HasHeader = true });
            return reader.Headers.ToArray();
        }
        catch (CsvFormatException ex)
        {
            throw new IclPsException("CsvHeaderUnreadable", IclErrorKind.InvalidData, $"Cannot append to '{path}': its header cannot be read ({ex.Message}).", path, ex);
        }
    }

    private static bool EndsWithLineBreak(string path)
    {
        using var file = File.OpenRead(path);
        file.Seek(-1, SeekOrigin.End);
        return file.ReadByte() is '\n' or '\r';
    }
}
