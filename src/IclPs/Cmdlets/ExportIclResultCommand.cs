using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Export;

namespace IclPs.Cmdlets;

/// <summary>
/// Export-IclResult: writes piped objects (prompt results, similarity rows, [pscustomobject]s) to a CSV file that
/// Import-Csv reads back, one column per property, culture-invariant. Rows go to a staged copy that replaces the file
/// only when the pipeline completes, so Ctrl+C or an error part-way leaves the previous file exactly as it was.
/// </summary>
[Cmdlet(VerbsData.Export, "IclResult", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportIclResultCommand : IclPsCmdlet
{
    private ResultCsvWriter? _writer;

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject InputObject { get; set; } = null!;

    /// <summary>Adds rows to an existing file, whose header must equal the objects' property names.</summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    /// <summary>Writes float[]/double[] properties as one column per element (Name_0, Name_1, ...) instead of "dim=n;norm=x".</summary>
    [Parameter]
    public SwitchParameter FlattenVectors { get; set; }

    /// <summary>Emits the written file's FileInfo at the end.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

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
            ThrowTerminatingError(new ErrorRecord(e, "ResultFileOpenFailed", ErrorCategory.OpenError, path));
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
        catch (IOException e)
        {
            Terminate(new IclPsException("ResultFileWriteFailed", IclErrorKind.WriteError, $"Writing '{_writer.Path}' failed: {e.Message}", _writer.Path, e));
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
            ThrowTerminatingError(new ErrorRecord(e, "ResultFileWriteFailed", ErrorCategory.WriteError, _writer.Path));
        }
        if (_writer.RowsWritten == 0)
        {
            WriteVerbose($"No rows to write; '{_writer.Path}' left as it was.");
            return;
        }
        WriteVerbose($"{(Append ? "Appended" : "Wrote")} {_writer.RowsWritten} row(s) of {_writer.Header!.Count} column(s) to '{_writer.Path}'.");
        if (PassThru) WriteObject(new FileInfo(_writer.Path));
    }

    // Discards the staged file when Ctrl+C or an error stops the pipeline before End.
    protected override void Release() => _writer?.Dispose();
}
