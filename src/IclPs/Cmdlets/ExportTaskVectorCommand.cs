using System.Management.Automation;
using IclPs.Engine.TaskVectors;

namespace IclPs.Cmdlets;

/// <summary>
/// Export-TaskVector: writes a task vector as STEM.safetensors (the tensors) and STEM.json (method, model shape, heads and
/// weights, provenance and training curve), each through a temporary file, so Import-TaskVector gets it back bit for bit.
/// </summary>
[Cmdlet(VerbsData.Export, "TaskVector", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportTaskVectorCommand : IclPsCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public TaskVector TaskVector { get; set; } = null!;

    /// <summary>The JSON file, the safetensors file or their common stem.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Replace files already there.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var (json, tensors) = TaskVectorFile.Paths(ResolveFilePath(Path));
        var existing = new[] { json, tensors }.FirstOrDefault(File.Exists);
        if (existing is not null && !Force)
        {
            WriteError(new ErrorRecord(new IOException($"'{existing}' already exists; use -Force to replace it."), "TaskVectorFileExists", ErrorCategory.ResourceExists, existing));
            return;
        }
        if (!ShouldProcess(json, $"Export {TaskVector}")) return;
        string written;
        try
        {
            written = TaskVectorFile.Export(TaskVector, json, Cancellation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // As Save-IclModel: a file-system failure becomes a record with an id and the path, not a bare exception.
            WriteError(new ErrorRecord(e, "TaskVectorWriteFailed", ErrorCategory.WriteError, json));
            return;
        }
        WriteVerbose($"Wrote {written} and {tensors}.");
        if (PassThru) WriteObject(new FileInfo(written));
    }
}
