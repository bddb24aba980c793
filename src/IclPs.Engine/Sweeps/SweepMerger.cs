using IclPs.Engine.Export;

namespace IclPs.Engine.Sweeps;

/// <summary>
/// Joins the shards of a sweep into one CSV, in unit order, with the bytes a serial run would have written: the rows of
/// every unit piped, in order, into one Export-IclResult. The header is the first unit-with-rows' columns; a later shard may
/// leave columns out (empty cells, as in one file) but not add any. Cells are copied as text, so nothing is re-rounded.
/// </summary>
public static class SweepMerger
{
    /// <summary>
    /// Writes the merged file to <paramref name="destination"/> (all or nothing, through <see cref="ResultCsvWriter"/>).
    /// Every unit must have a shard (<see cref="SweepErrorIds.ShardMissing"/> otherwise; nothing is written).
    /// <paramref name="progress"/> is told each unit as it is read.
    /// </summary>
    public static SweepMergeResult Merge(SweepFolder folder, IReadOnlyList<SweepUnit> units, string destination,
        Action<SweepUnit>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(units);
        var missing = folder.Missing(units);
        if (missing.Count > 0)
            throw new IclPsException(SweepErrorIds.ShardMissing, IclErrorKind.ObjectNotFound,
                $"{missing.Count} of {units.Count} unit(s) of '{folder.Path}' have no shard yet, e.g. {string.Join("; ", missing.Take(3).Select(u => $"{u.Index} ({u.Name})"))}. Nothing was merged.",
                missing[0]);
        using var writer = ResultCsvWriter.Open(destination);
        var withRows = 0;
        foreach (var unit in units)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Invoke(unit);
            if (folder.ShardRows(unit) is not { } rowsPath) continue;
            withRows++;
            var rows = ResultCsvReader.Read(rowsPath);
            if (rows.Count == 0) continue;
            if (writer.Header is { } header)
            {
                var extra = rows[0].Keys.FirstOrDefault(c => !header.Contains(c, StringComparer.Ordinal));
                if (extra is not null)
                    throw new IclPsException(SweepErrorIds.ShardColumnMismatch, IclErrorKind.InvalidData,
                        $"Unit {unit.Index} ({unit.Name}) has column '{extra}', which the merged file's header ({string.Join(",", header)}) lacks; " +
                        "a serial run could not have written its rows to one file either. Nothing was merged.", unit);
            }
            foreach (var row in rows) writer.WriteRow(row);
        }
        cancellationToken.ThrowIfCancellationRequested();
        writer.Commit();
        return new SweepMergeResult(writer.Path, units.Count, withRows, writer.RowsWritten, writer.Header?.Count ?? 0);
    }
}
