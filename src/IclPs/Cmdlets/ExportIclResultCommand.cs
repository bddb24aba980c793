using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Export;

namespace IclPs.Cmdlets;

/// <summary>Writes piped result objects to a CSV file, one row per object and one column per property.</summary>
/// <remarks>
/// <para>
/// Takes any objects: prompt results, similarity rows, head effects, training progress rows, [pscustomobject]s. The
/// header is the first object's property names in order; numbers and dates are written culture-invariantly, so
/// Import-Csv reads the file back the same on any machine. float[] and double[] properties are summarised as
/// "dim=n;norm=x" unless -FlattenVectors writes one column per element.
/// </para>
/// <para>
/// Rows go to a staged copy that replaces the file only when the pipeline completes, so Ctrl+C or an error part-way leaves
/// the previous file exactly as it was. -Append adds rows to an existing file whose header must equal the objects'
/// property names (a CsvHeaderMismatch error stops the command otherwise). When no object arrives the file is left as it
/// was. Supports -WhatIf and -Confirm; writes nothing unless -PassThru, which writes the file's FileInfo.
/// </para>
/// <para>
/// All or nothing: a write that cannot be completed as asked leaves the previous file untouched. An object that cannot
/// be a row (a column the header lacks, a property twice or unreadable) stops the command with that error (for example
/// CsvRowColumnMismatch, naming the column) and nothing is written; with -SkipInvalidRows such an object is instead
/// reported as a non-terminating error and skipped, and the other rows are written. A -Path that is a folder
/// (ResultPathIsDirectory) or a read-only file (ResultFileReadOnly) is refused before any row is read. If the finished file
/// cannot be moved into place, the error is ResultFileWriteFailed, the previous file is as it was and the staged copy is
/// removed.
/// </para>
/// <para>
/// Concurrent exports to one file commit one after the other (a lock held only for the moment of the commit): without
/// -Append the last to finish wins and the file is always one export's complete output; with -Append every export's rows
/// are added to the file as it is when that export finishes, so none are lost. Staged copies left in the folder by a
/// process that was killed (.NAME.GUID.tmp, held by no process and over a minute old) are removed when the folder is next
/// written, and -Verbose says so.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $csv = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).csv"
/// 1..3 | ForEach-Object { [pscustomobject]@{ Layer = $_; Score = $_ / 4 } } | Export-IclResult -Path $csv
/// Import-Csv $csv
/// </code>
/// <para>Writes three rows of two columns and reads them back.</para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $csv = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).csv"
/// Invoke-IclPrompt -Model $model -Dataset $data -Shots 3 -First 5 | Export-IclResult -Path $csv -PassThru
/// </code>
/// <para>Keeps one row per query of a 3-shot run (query, expected and predicted text, scores) and writes the file's FileInfo.</para>
/// </example>
/// <example>
/// <code>
/// $csv = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).csv"
/// [pscustomobject]@{ Run = 1; Loss = 0.5 } | Export-IclResult $csv
/// [pscustomobject]@{ Run = 2; Loss = 0.25 } | Export-IclResult $csv -Append
/// (Import-Csv $csv).Count
/// </code>
/// <para>Adds a row to an existing file with the same columns; the file then holds two rows.</para>
/// </example>
[Cmdlet(VerbsData.Export, "IclResult", SupportsShouldProcess = true, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#export-iclresult")]
[OutputType(typeof(FileInfo))]
public sealed class ExportIclResultCommand : IclPsCmdlet
{
    private ResultCsvWriter? _writer;

    /// <summary>
    /// The CSV file to write, replaced when the pipeline completes; its folder must exist (an OutputDirectoryNotFound error
    /// otherwise). Relative paths are resolved from the current PowerShell location.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The objects to write, one row each; usually piped in.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject InputObject { get; set; } = null!;

    /// <summary>
    /// Adds rows to the end of an existing file instead of replacing it; the file's header must equal the objects' property
    /// names. A missing file is created.
    /// </summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    /// <summary>
    /// Writes float[] and double[] properties as one column per element (Name_0, Name_1, ...) instead of one "dim=n;norm=x"
    /// summary column.
    /// </summary>
    [Parameter]
    public SwitchParameter FlattenVectors { get; set; }

    /// <summary>Writes the CSV file's FileInfo once the rows are written; by default nothing is written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>
    /// Reports an object that cannot be a row (such as one with a column the header lacks) as a non-terminating error,
    /// skips it and writes the other rows. By default such an object stops the command and leaves the file as it was.
    /// </summary>
    [Parameter]
    public SwitchParameter SkipInvalidRows { get; set; }

    private long _skipped;

    protected override void Begin()
    {
        var path = ResolveFilePath(Path);
        var action = Append ? "Append result rows" : File.Exists(path) ? "Replace with result rows" : "Write result rows";
        if (!ShouldProcess(path, action)) return;
        try
        {
            _writer = ResultCsvWriter.Open(path, new CsvWriteOptions { Append = Append, FlattenVectors = FlattenVectors });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(IclErrorRecords.WriteFailure("ResultFileOpenFailed", $"result file '{path}'", e, path, ErrorCategory.OpenError));
        }
        foreach (var cleaned in _writer!.Cleaned)
        {
            if (cleaned.IsWarning) WriteWarning(cleaned.Message);
            else WriteVerbose(cleaned.Message);
        }
    }

    protected override void Process()
    {
        if (_writer is null) return;
        try
        {
            _writer.WriteRow(ResultRow.From(InputObject));
        }
        catch (IclPsException e) when (e.ErrorId == "CsvHeaderMismatch")
        {
            // Every later row would fail the same way; stopping also discards the staged copy.
            Terminate(e);
        }
        catch (IclPsException e) when (SkipInvalidRows)
        {
            _skipped++;
            WriteItemError(e);
        }
        catch (IclPsException e)
        {
            // The file could not be written as asked: stop (the upstream work would be discarded anyway) and keep the original.
            Terminate(new IclPsException(e.ErrorId, e.Kind,
                $"{e.Message} Nothing was written: '{_writer.Path}' was left as it was (-SkipInvalidRows skips such objects and writes the rest).", e.Target, e));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(IclErrorRecords.WriteFailure("ResultFileWriteFailed", $"result file '{_writer.Path}'", e, _writer.Path));
        }
    }

    protected override void End()
    {
        if (_writer is null) return;
        try
        {
            _writer.Commit();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(IclErrorRecords.WriteFailure("ResultFileWriteFailed", $"result file '{_writer.Path}'", e, _writer.Path));
        }
        var skipped = _skipped > 0 ? $" Skipped {_skipped} invalid object(s), reported as errors." : "";
        if (_writer.RowsWritten == 0)
        {
            WriteVerbose($"No rows to write; '{_writer.Path}' left as it was.{skipped}");
            return;
        }
        WriteVerbose($"{(Append ? "Appended" : "Wrote")} {_writer.RowsWritten} row(s) of {_writer.Header!.Count} column(s) to '{_writer.Path}'.{skipped}");
        if (PassThru) WriteObject(new FileInfo(_writer.Path));
    }

    // Discards the staged file when Ctrl+C or an error stops the pipeline before End.
    protected override void Release() => _writer?.Dispose();
}
