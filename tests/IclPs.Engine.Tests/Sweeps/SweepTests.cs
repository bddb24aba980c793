using System.Security.Cryptography;
using System.Text;
using IclPs.Engine.Export;
using IclPs.Engine.Sweeps;

namespace IclPs.Engine.Tests.Sweeps;

public class SweepTests
{
    private static KeyValuePair<string, IReadOnlyList<object?>> Axis(string name, params object?[] values) => new(name, values);

    private static KeyValuePair<string, object?>[] Row(params (string Column, object? Value)[] cells) =>
        cells.Select(c => new KeyValuePair<string, object?>(c.Column, c.Value)).ToArray();

    private static readonly SweepScript Script = SweepScript.FromText("param($M, $Seed) $M");

    // Rows of unit (M, Seed): two per unit; the second leaves Note out, and one text needs quoting.
    private static IEnumerable<KeyValuePair<string, object?>[]> RowsOf(SweepUnit unit)
    {
        var m = (long)unit.Parameters[0].Value;
        var seed = (long)unit.Parameters[1].Value;
        yield return Row(("M", m), ("Seed", seed), ("Error", 1.0 / (m + seed + 3)), ("Note", $"m={m}, \"s\"\n{seed}"));
        yield return Row(("M", m), ("Seed", seed), ("Error", Math.PI * m));
    }

    [Fact]
    public void ExpandsEveryCombinationWithTheLastAxisFastest()
    {
        var units = SweepPlanner.Expand([Axis("M", 2, 8), Axis("Seed", 0, 1, 2)]);
        Assert.Equal(6, units.Count);
        Assert.Equal(Enumerable.Range(0, 6), units.Select(u => u.Index));
        Assert.Equal(["M=2, Seed=0", "M=2, Seed=1", "M=2, Seed=2", "M=8, Seed=0", "M=8, Seed=1", "M=8, Seed=2"], units.Select(u => u.Name));
        Assert.All(units, u => Assert.IsType<long>(u.Parameters[0].Value));
    }

    [Fact]
    public void IdIsTheShaOfTheSortedCanonicalJson()
    {
        var unit = SweepPlanner.Expand([Axis("Seed", 3), Axis("Rate", 0.5), Axis("Task", "linear"), Axis("Fresh", true), Axis("M", 1.0)])[0];
        const string canonical = "{\"Fresh\":true,\"M\":1.0,\"Rate\":0.5,\"Seed\":3,\"Task\":\"linear\"}";
        Assert.Equal(canonical, SweepUnitId.CanonicalJson(unit.Parameters));
        var expected = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..12].ToLowerInvariant();
        Assert.Equal(expected, unit.Id);
        // The same parameters in another plan and order keep the id.
        var again = SweepPlanner.Expand([Axis("M", 4.0, 1.0), Axis("Task", "linear"), Axis("Rate", 0.5), Axis("Fresh", true), Axis("Seed", 3)]);
        Assert.Equal(unit.Id, again[1].Id);
    }

    [Theory]
    [InlineData("empty axis")]
    [InlineData("no axes")]
    [InlineData("object value")]
    [InlineData("null value")]
    [InlineData("NaN value")]
    [InlineData("bad name")]
    [InlineData("duplicate name")]
    [InlineData("duplicate value")]
    public void RefusesBadAxes(string problem)
    {
        (KeyValuePair<string, IReadOnlyList<object?>>[] axes, string id) = problem switch
        {
            "empty axis" => (new[] { Axis("M") }, SweepErrorIds.AxisEmpty),
            "no axes" => (Array.Empty<KeyValuePair<string, IReadOnlyList<object?>>>(), SweepErrorIds.AxisEmpty),
            "object value" => (new[] { Axis("M", new object()) }, SweepErrorIds.AxisValueType),
            "null value" => (new[] { Axis("M", 1, null) }, SweepErrorIds.AxisValueType),
            "NaN value" => (new[] { Axis("M", double.NaN) }, SweepErrorIds.AxisValueType),
            "bad name" => (new[] { Axis("M-1", 1) }, SweepErrorIds.AxisNameInvalid),
            "duplicate name" => (new[] { Axis("M", 1), Axis("m", 2) }, SweepErrorIds.AxisDuplicate),
            _ => (new[] { Axis("M", 1, 2, 1) }, SweepErrorIds.UnitDuplicate),
        };
        var error = Assert.ThrowsAny<IclPsException>(() => SweepPlanner.Expand(axes));
        Assert.Equal(id, error.ErrorId);
    }

    [Fact]
    public void RefusesTooManyUnitsBeforeAllocating()
    {
        var big = Enumerable.Range(0, 1000).Cast<object?>().ToArray();
        var error = Assert.Throws<IclPsException>(() => SweepPlanner.Expand([Axis("A", big), Axis("B", big)]));
        Assert.Equal(SweepErrorIds.TooManyUnits, error.ErrorId);
    }

    [Fact]
    public void MergeEqualsOneSerialWriteAndIgnoresStagingLeftovers()
    {
        using var dir = new TempFolder();
        var units = SweepPlanner.Expand([Axis("M", 2, 8, 32), Axis("Seed", 0, 1)]);
        var serial = dir.File("serial.csv");
        ResultCsvWriter.Write(serial, units.SelectMany(RowsOf));

        var folder = new SweepFolder(Path.Combine(dir.Path, "sweep"));
        folder.WriteManifest(new SweepManifest(units, Script));
        // Written out of order, as parallel workers finish.
        foreach (var unit in units.Reverse()) folder.WriteShard(unit, Script, RowsOf(unit), TimeSpan.FromSeconds(1));
        // A killed writer's staging folder with a partial shard is never read.
        var stage = Directory.CreateDirectory(Path.Combine(folder.ShardsPath, $".{units[0].Id}.{Guid.NewGuid():N}.tmp", "new"));
        File.WriteAllText(Path.Combine(stage.FullName, SweepFolder.RowsName), "M,Seed\r\n999,9\r\n");

        var merged = dir.File("merged.csv");
        var result = SweepMerger.Merge(folder, folder.ReadManifest().Units, merged);
        Assert.Equal(File.ReadAllBytes(serial), File.ReadAllBytes(merged));
        Assert.Equal(new SweepMergeResult(merged, 6, 6, 12, 4), result);
    }

    [Fact]
    public void ManifestKeepsTypesAndScript()
    {
        using var dir = new TempFolder();
        var units = SweepPlanner.Expand([Axis("M", 2L, 2.0, "2", false)]);
        var folder = new SweepFolder(dir.Path);
        folder.WriteManifest(new SweepManifest(units, SweepScript.FromFile("/opt/unit.ps1")));
        var read = folder.ReadManifest();
        Assert.Equal(units.Select(u => u.Id), read.Units.Select(u => u.Id));
        Assert.Equal([typeof(long), typeof(double), typeof(string), typeof(bool)], read.Units.Select(u => u.Parameters[0].Value.GetType()));
        Assert.Equal("/opt/unit.ps1", read.Script.Path);
    }

    [Fact]
    public void MergeRefusesMissingShardsAndForeignColumns()
    {
        using var dir = new TempFolder();
        var units = SweepPlanner.Expand([Axis("M", 1, 2)]);
        var folder = new SweepFolder(dir.Path);
        folder.WriteManifest(new SweepManifest(units, Script));
        folder.WriteShard(units[0], Script, [Row(("M", 1L))], TimeSpan.Zero);
        var merged = dir.File("merged.csv");
        var missing = Assert.Throws<IclPsException>(() => SweepMerger.Merge(folder, units, merged));
        Assert.Equal(SweepErrorIds.ShardMissing, missing.ErrorId);
        Assert.Same(units[1], missing.Target);

        folder.WriteShard(units[1], Script, [Row(("M", 2L), ("Extra", 1))], TimeSpan.Zero);
        var extra = Assert.Throws<IclPsException>(() => SweepMerger.Merge(folder, units, merged));
        Assert.Equal(SweepErrorIds.ShardColumnMismatch, extra.ErrorId);
        Assert.False(File.Exists(merged));
    }

    [Fact]
    public void ClaimIsExclusiveAndAUnitWithoutRowsStillCounts()
    {
        using var dir = new TempFolder();
        var unit = SweepPlanner.Expand([Axis("M", 1)])[0];
        var folder = new SweepFolder(dir.Path);
        using (var claim = folder.TryClaim(unit))
        {
            Assert.NotNull(claim);
            Assert.Null(folder.TryClaim(unit));
        }
        Assert.Equal(0, folder.WriteShard(unit, Script, [], TimeSpan.Zero));
        Assert.True(folder.HasShard(unit));
        Assert.Null(folder.ShardRows(unit));
    }

    [Theory]
    [InlineData(2, 1, 2)]
    [InlineData(2, 2, 1)]
    [InlineData(2, 4, 1)]
    [InlineData(16, 3, 5)]
    public void ThreadsPerWorkerDividesTheCores(int cores, int workers, int expected) =>
        Assert.Equal(expected, SweepWorkers.ThreadsPerWorker(cores, workers));

    [Fact]
    public void BlocksCoverTheUnitsOnce()
    {
        var units = SweepPlanner.Expand([Axis("M", 1, 2, 3, 4, 5)]);
        Assert.Equal(3, SweepWorkers.TaskCount(units.Count, 2));
        Assert.Equal(units, Enumerable.Range(0, 3).SelectMany(t => SweepWorkers.Block(units, t, 2)));
        Assert.Equal(SweepErrorIds.UnitNotFound, Assert.Throws<IclPsException>(() => SweepWorkers.Block(units, 3, 2)).ErrorId);
    }

    [Fact]
    public void SlurmScriptRunsOneBlockPerArrayTask()
    {
        var job = new SlurmArrayJob
        {
            SweepPath = "/data/it's sweep",
            Pwsh = ["/usr/bin/dotnet", "/opt/pwsh/pwsh.dll"],
            ModuleManifest = "/opt/IclPs/IclPs.psd1",
            Tasks = [0, 1, 2, 5, 7, 8],
            UnitsPerTask = 3,
            ThreadsPerTask = 2,
            Options = ["--partition=short"],
        };
        Assert.Equal("0-2,5,7-8", job.ArraySpec());
        var lines = job.Render().Split('\n');
        Assert.Equal("#!/bin/bash", lines[0]);
        Assert.Contains("#SBATCH --array=0-2,5,7-8", lines);
        Assert.Contains("#SBATCH --cpus-per-task=2", lines);
        Assert.Contains("#SBATCH --partition=short", lines);
        Assert.Contains("#SBATCH --output=/data/it's sweep/slurm/slurm-%A_%a.out", lines);
        Assert.Contains("export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2", lines);
        var exec = Assert.Single(lines, l => l.StartsWith("exec ", StringComparison.Ordinal));
        Assert.StartsWith("exec '/usr/bin/dotnet' '/opt/pwsh/pwsh.dll' -NoProfile -NonInteractive -Command '", exec);
        // The folder's quote survives both quotings: '' inside PowerShell, '\'' inside bash.
        Assert.Contains("-Path '\\''/data/it'\\'''\\''s sweep'\\''", exec);
        Assert.Contains("-TaskIndex ([int]$env:SLURM_ARRAY_TASK_ID) -UnitsPerTask 3 -ThreadsPerWorker 2", exec);
    }
}
