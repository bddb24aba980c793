using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Sweeps;

namespace IclPs.Cmdlets;

/// <summary>Joins the shards of a sweep into one CSV in unit order, byte for byte what a serial run would have written.</summary>
/// <remarks>
/// <para>
/// Reads the plan in the sweep folder's sweep.json and writes the rows of every unit's shard, in unit order, to
/// -Destination: the same bytes as piping the units' result objects, in that order, into one Export-IclResult (the header
/// is the first unit-with-rows' columns; a later unit may leave columns out, as rows of one file may, but a column the
/// header lacks is a SweepShardColumnMismatch error). Cells are copied as text. The file is staged and moved into place,
/// so a failed merge leaves any previous file as it was.
/// </para>
/// <para>
/// Every unit must have its shard: otherwise each unit without one is reported as a non-terminating SweepShardMissing error
/// (target the unit: its Index, Name and Id) and nothing is written; run Invoke-IclSweep again to finish them. Staging
/// folders of killed runs (shards/.ID.GUID.tmp) are never read. Supports -WhatIf and -Confirm; -PassThru writes a
/// SweepMergeResult (the file, units, rows, columns).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $folder = Join-Path ([IO.Path]::GetTempPath()) "sweep-$([guid]::NewGuid())"
/// New-IclSweep @{ K = 1, 2, 3 } | Invoke-IclSweep $folder { param($K) [pscustomobject]@{ K = $K; Square = $K * $K } } | Out-Null
/// Merge-IclSweep -Path $folder -Destination (Join-Path $folder 'squares.csv') -PassThru
/// </code>
/// <para>Runs three units and merges their rows into squares.csv, in unit order.</para>
/// </example>
/// <example>
/// <code>
/// $folder = Join-Path ([IO.Path]::GetTempPath()) "sweep-$([guid]::NewGuid())"
/// New-IclSweep @{ K = 1, 2 } | Invoke-IclSweep $folder { param($K) if ($K -eq 2) { throw 'not yet' }; [pscustomobject]@{ K = $K } } -ErrorAction SilentlyContinue | Out-Null
/// Merge-IclSweep $folder (Join-Path $folder 'k.csv') -ErrorAction SilentlyContinue -ErrorVariable missing
/// $missing.TargetObject
/// </code>
/// <para>The unit K=2 failed, so the merge writes nothing and reports it as missing; its TargetObject is the unit.</para>
/// </example>
[Cmdlet(VerbsData.Merge, "IclSweep", SupportsShouldProcess = true, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#merge-iclsweep")]
[OutputType(typeof(SweepMergeResult))]
public sealed class MergeIclSweepCommand : IclPsCmdlet
{
    /// <summary>The sweep folder (the -Path given to Invoke-IclSweep); relative paths are resolved from the current location.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The CSV file to write; its folder must exist. Replaced whole when the merge succeeds.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>Writes a SweepMergeResult (file, units, units with rows, rows, columns); by default nothing is written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var folder = new SweepFolder(ResolveFilePath(Path));
        var destination = ResolveFilePath(Destination);
        var manifest = folder.ReadManifest();
        var missing = folder.Missing(manifest.Units);
        foreach (var unit in missing)
            WriteError(IclErrorRecords.From(new IclPsException(SweepErrorIds.ShardMissing, IclErrorKind.ObjectNotFound,
                $"Unit {unit.Index} ({unit.Name}, id {unit.Id}) has no shard in '{folder.ShardsPath}': it has not run, failed, or is still running.", unit)));
        if (missing.Count > 0)
        {
            WriteWarning($"{missing.Count} of {manifest.Units.Count} unit(s) have no shard; nothing was merged into '{destination}'. Run Invoke-IclSweep -Path '{folder.Path}' to finish them.");
            return;
        }
        if (!ShouldProcess(destination, $"Merge the shards of {manifest.Units.Count} sweep unit(s) from '{folder.Path}'")) return;
        var progress = StartProgress($"Merging sweep {folder.Path}");
        var done = 0;
        SweepMergeResult result;
        try
        {
            result = SweepMerger.Merge(folder, manifest.Units, destination, unit => progress.Report(done++, manifest.Units.Count, unit.Name), Cancellation);
        }
        finally
        {
            progress.Complete();
        }
        WriteVerbose($"Merged {result.Rows} row(s) of {result.Columns} column(s) from {result.UnitsWithRows} of {result.Units} unit(s) into '{result.Path}'.");
        if (PassThru) WriteObject(result);
    }
}
