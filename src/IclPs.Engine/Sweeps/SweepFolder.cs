using System.Globalization;
using System.Text.Json;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Export;
using IclPs.Engine.Storage;

namespace IclPs.Engine.Sweeps;

/// <summary>
/// The folder of a sweep:
/// <list type="bullet">
/// <item><c>sweep.json</c>: the plan (<see cref="SweepManifest"/>), written whole through a staged file;</item>
/// <item><c>shards/ID/</c>: one folder per finished unit, holding <c>unit.json</c> (the unit's parameters, the script,
///   rows, columns, seconds, host) and <c>rows.csv</c> (its result rows; absent when it had none). A shard is staged beside
///   its place (<c>shards/.ID.GUID.tmp</c>) and appears with one rename, complete, so a unit is done exactly when its folder
///   exists; a staging folder left by a killed run is never read and is removed by the next run
///   (<see cref="TempFiles.RemoveStale"/>);</item>
/// <item><c>shards/.ID.iclps.lock</c>: held (<see cref="WriterLock"/>) while a process runs the unit, so two workers,
///   sessions or array tasks never run one unit at once.</item>
/// </list>
/// </summary>
public sealed class SweepFolder
{
    public const string ManifestName = "sweep.json";
    public const string ShardsName = "shards";
    public const string RowsName = "rows.csv";
    public const string ShardInfoName = "unit.json";
    private const string ManifestFormat = "iclps-sweep/1";
    private const string ShardFormat = "iclps-sweep-shard/1";

    public SweepFolder(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
    }

    public string Path { get; }
    public string ManifestPath => System.IO.Path.Combine(Path, ManifestName);
    public string ShardsPath => System.IO.Path.Combine(Path, ShardsName);

    /// <summary>The shard folder of <paramref name="unit"/> (which may not exist yet).</summary>
    public string ShardPath(SweepUnit unit) => System.IO.Path.Combine(ShardsPath, unit.Id);

    public bool HasShard(SweepUnit unit) => Directory.Exists(ShardPath(unit));

    /// <summary>The units of <paramref name="units"/> that have no shard, in order.</summary>
    public IReadOnlyList<SweepUnit> Missing(IEnumerable<SweepUnit> units) => units.Where(u => !HasShard(u)).ToList();

    /// <summary>Writes the plan (the folder is created when missing); a previous plan is replaced whole.</summary>
    public void WriteManifest(SweepManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        Directory.CreateDirectory(ShardsPath);
        var bytes = SweepJson.Document(json =>
        {
            json.WriteString("format", ManifestFormat);
            SweepJson.WriteScript(json, manifest.Script);
            json.WriteStartArray("units");
            foreach (var unit in manifest.Units)
            {
                json.WriteStartObject();
                SweepJson.WriteUnit(json, unit);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        });
        using var staged = new StagedFile(ManifestPath);
        staged.WriteAllBytes(bytes);
        staged.Commit();
    }

    public bool HasManifest => File.Exists(ManifestPath);

    public SweepManifest ReadManifest()
    {
        if (!File.Exists(ManifestPath))
            throw new IclPsException(SweepErrorIds.ManifestNotFound, IclErrorKind.ObjectNotFound,
                $"'{Path}' is not a sweep folder: it has no {ManifestName}. Run Invoke-IclSweep with the sweep's units first.", ManifestPath);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(ManifestPath));
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != ManifestFormat)
                throw new InvalidDataException($"its format is not {ManifestFormat}");
            var units = root.GetProperty("units").EnumerateArray().Select(SweepJson.ReadUnit).ToList();
            for (var i = 0; i < units.Count; i++)
                if (units[i].Index != i) throw new InvalidDataException($"unit {i} is stored with index {units[i].Index}");
            return new SweepManifest(units, SweepJson.ReadScript(root));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException or FormatException or OverflowException)
        {
            throw new IclPsException(SweepErrorIds.ManifestInvalid, IclErrorKind.InvalidData, $"'{ManifestPath}' is not a readable sweep plan: {e.Message}", ManifestPath, e);
        }
    }

    /// <summary>Removes what killed runs left in shards/ (staging folders no live writer holds); returns what was done.</summary>
    public IReadOnlyList<TempCleanup> RemoveStale() => TempFiles.RemoveStale(ShardsPath);

    /// <summary>
    /// Takes the unit for this process: the lock, or null when another live process holds it (it is running the unit).
    /// Check <see cref="HasShard"/> again after taking it: the holder may have just finished.
    /// </summary>
    public WriterLock? TryClaim(SweepUnit unit)
    {
        Directory.CreateDirectory(ShardsPath);
        try
        {
            return WriterLock.AcquireFile(ShardPath(unit), $"running sweep unit {unit.Index} ({unit.Name})");
        }
        catch (WriterLockException)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes the shard of <paramref name="unit"/>: its rows (ordered column -> value pairs, formatted as Export-IclResult
    /// formats them) and unit.json, staged and put in place with one rename. Returns the number of rows.
    /// </summary>
    public long WriteShard(SweepUnit unit, SweepScript script, IEnumerable<IEnumerable<KeyValuePair<string, object?>>> rows, TimeSpan elapsed,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(rows);
        Directory.CreateDirectory(ShardsPath);
        using var set = StagedFileSet.Begin(ShardPath(unit), unit.Id);
        long count;
        IReadOnlyList<string> columns;
        using (var writer = ResultCsvWriter.Open(set.PathOf(RowsName)))
        {
            foreach (var row in rows) writer.WriteRow(row);
            writer.Commit();
            count = writer.RowsWritten;
            columns = writer.Header ?? [];
        }
        var info = SweepJson.Document(json =>
        {
            json.WriteString("format", ShardFormat);
            SweepJson.WriteUnit(json, unit);
            SweepJson.WriteScript(json, script);
            json.WriteNumber("rows", count);
            json.WriteStartArray("columns");
            foreach (var column in columns) json.WriteStringValue(column);
            json.WriteEndArray();
            json.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
            json.WriteString("host", Environment.MachineName);
            json.WriteString("finished", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        });
        File.WriteAllBytes(set.PathOf(ShardInfoName), info);
        set.Commit(cancellationToken);
        return count;
    }

    /// <summary>The rows file of a unit's shard, or null when the unit produced no rows; checks the shard is the unit's.</summary>
    public string? ShardRows(SweepUnit unit)
    {
        var folder = ShardPath(unit);
        var infoPath = System.IO.Path.Combine(folder, ShardInfoName);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(infoPath));
            var stored = SweepJson.ReadUnit(document.RootElement);
            if (stored.Id != unit.Id) throw new InvalidDataException($"it holds unit '{stored.Id}'");
            var rows = document.RootElement.GetProperty("rows").GetInt64();
            var rowsPath = System.IO.Path.Combine(folder, RowsName);
            if (rows > 0 && !File.Exists(rowsPath)) throw new InvalidDataException($"it records {rows} row(s) but has no {RowsName}");
            return rows > 0 ? rowsPath : null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException or IOException or FormatException)
        {
            throw new IclPsException(SweepErrorIds.ShardInvalid, IclErrorKind.InvalidData,
                $"The shard of unit {unit.Index} ({unit.Name}) in '{folder}' cannot be read: {e.Message}. Delete the folder to run the unit again.", folder, e);
        }
    }
}
