using System.Globalization;
using CsvHelper;
using IclPs.Engine.Storage;

namespace IclPs.Engine.Export;

/// <summary>
/// Writes result rows (ordered column -> value pairs) to a CSV file without ever leaving it half-written: rows go to a
/// temporary file in the same folder (<c>.NAME.GUID.tmp</c>, held open exclusively while rows arrive), which replaces
/// the target only on <see cref="Commit"/>. Disposing without committing, or a commit that fails, discards the temporary
/// file and leaves the target as it was. The first row's columns are the header; later rows may leave columns out (empty
/// cells) but not add new ones. A path that is a folder or a read-only file is refused by <see cref="Open"/>, before any
/// row; leftover temporary files of dead writers in the folder are removed there (<see cref="Cleaned"/>).
/// <para>
/// Concurrent writers of one file commit one at a time, under the file's <see cref="WriterLock"/> (held only for the
/// moments of the commit; a writer waits up to <see cref="CommitLockWait"/> for another's commit): a replacing commit
/// installs its complete file, so the last to commit wins and the file is always one writer's whole output; an appending
/// commit adds its rows to the file as it is at that moment, so concurrent appends all land, none lost.
/// </para>
/// </summary>
public sealed class ResultCsvWriter : IDisposable
{
    private readonly CsvWriteOptions _options;
    private readonly string _tempPath;
    private readonly IReadOnlyList<string>? _existingHeader;
    private readonly FileStream _stream;
    /// <summary>How long a commit waits for another writer's commit to the same file before failing with FileInUse.</summary>
    public static TimeSpan CommitLockWait { get; set; } = TimeSpan.FromSeconds(30);
    private readonly CsvWriter _writer;
    private Dictionary<string, int>? _columnIndex;
    private bool _finished;

    private ResultCsvWriter(string path, CsvWriteOptions options)
    {
        Path = path;
        _options = options;
        if (Directory.Exists(path))
            throw new IclPsException("ResultPathIsDirectory", IclErrorKind.InvalidArgument,
                $"Cannot write '{path}': it is a folder. Give the path of a CSV file (in that folder, for example).", path);
        var directory = System.IO.Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
            throw new IclPsException("OutputDirectoryNotFound", IclErrorKind.ObjectNotFound, $"Folder '{directory}' does not exist; cannot write '{path}'.", path);
        if (File.Exists(path) && File.GetAttributes(path).HasFlag(FileAttributes.ReadOnly))
            throw new IclPsException("ResultFileReadOnly", IclErrorKind.WriteError,
                $"Cannot write '{path}': the file is read-only, and was left as it is. Make it writable or choose another path.", path);
        Cleaned = TempFiles.RemoveStale(directory);
        _tempPath = System.IO.Path.Combine(directory, TempFiles.NewName(System.IO.Path.GetFileName(path)));
        // Appending, the temporary file holds only the new rows: the commit adds them to the file as it is then.
        if (options.Append && File.Exists(path) && new FileInfo(path).Length > 0) _existingHeader = ReadHeader(path, options.Delimiter);
        try
        {
            // Exclusive (an exclusive flock on Unix), so a cleaner in another process can tell it belongs to a live writer.
            _stream = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            _writer = CsvWriter.Create(_stream, WriterOptions(options), leaveOpen: false);
        }
        catch
        {
            _stream?.Dispose();
            File.Delete(_tempPath);
            throw;
        }
    }

    public string Path { get; }
    /// <summary>Leftovers of dead writers that <see cref="Open"/> removed from the folder.</summary>
    public IReadOnlyList<TempCleanup> Cleaned { get; } = [];
    /// <summary>The file's columns, once known (after the first row, or from the existing file when appending).</summary>
    public IReadOnlyList<string>? Header { get; private set; }
    public long RowsWritten { get; private set; }

    /// <summary>
    /// Starts writing <paramref name="path"/>; the file does not change until <see cref="Commit"/>. Leftover temporary files of
    /// dead writers in its folder are removed first (<see cref="Cleaned"/>).
    /// </summary>
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

    /// <summary>
    /// Moves the finished file into place (appending: the file as it is now plus the new rows), under the file's
    /// <see cref="WriterLock"/>. With no rows written, nothing is created or changed. On failure the target is as it was and
    /// the temporary file is gone.
    /// </summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _finished = true;
        try
        {
            _writer.Dispose();
            if (RowsWritten == 0) return;
            using var commitLock = WriterLock.AcquireFile(Path, "committing Export-IclResult rows", CommitLockWait);
            if (_options.Append) CommitAppend();
            else File.Move(_tempPath, Path, overwrite: true);
        }
        finally
        {
            TryDelete(_tempPath);
        }
    }

    /// <summary>Installs (current file, or a header when there is none) + the staged rows, through a second temporary file.</summary>
    private void CommitAppend()
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        var merged = System.IO.Path.Combine(directory, TempFiles.NewName(System.IO.Path.GetFileName(Path)));
        try
        {
            using (var output = new FileStream(merged, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                if (File.Exists(Path) && new FileInfo(Path).Length > 0)
                {
                    // Another writer may have created or replaced the file since Open.
                    CheckHeader(ReadHeader(Path, _options.Delimiter), Header!);
                    using (var current = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read)) current.CopyTo(output);
                    if (!EndsWithLineBreak(Path)) output.Write("\r\n"u8);
                }
                else
                {
                    output.Write(HeaderBytes(Header!));
                }
                using (var rows = new FileStream(_tempPath, FileMode.Open, FileAccess.Read, FileShare.None)) rows.CopyTo(output);
                output.Flush(flushToDisk: true);
            }
            File.Move(merged, Path, overwrite: true);
        }
        finally
        {
            TryDelete(merged);
        }
    }

    /// <summary>Discards everything written since <see cref="Open"/> unless <see cref="Commit"/> ran.</summary>
    public void Dispose()
    {
        if (_finished) return;
        _finished = true;
        _writer.Dispose();
        TryDelete(_tempPath);
    }

    private static CsvWriterOptions WriterOptions(CsvWriteOptions options) =>
        CsvWriterOptions.Default with { Separator = options.Delimiter, FormatProvider = CultureInfo.InvariantCulture };

    private byte[] HeaderBytes(IReadOnlyList<string> columns)
    {
        using var buffer = new MemoryStream();
        using (var writer = CsvWriter.Create(buffer, WriterOptions(_options), leaveOpen: true)) writer.WriteHeader(columns.ToArray());
        return buffer.ToArray();
    }

    private void CheckHeader(IReadOnlyList<string> existing, IReadOnlyList<string> columns)
    {
        if (!existing.SequenceEqual(columns, StringComparer.Ordinal))
            throw new IclPsException("CsvHeaderMismatch", IclErrorKind.InvalidData,
                $"Cannot append to '{Path}': its header is ({string.Join(_options.Delimiter, existing)}) but the rows have ({string.Join(_options.Delimiter, columns)}).", Path);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private void StartHeader(string[] columns)
    {
        if (_existingHeader is not null) CheckHeader(_existingHeader, columns);
        Header = columns;
        _columnIndex = columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        // Appending, the header is added at commit if the file has none by then.
        if (!_options.Append) _writer.WriteHeader(columns);
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
