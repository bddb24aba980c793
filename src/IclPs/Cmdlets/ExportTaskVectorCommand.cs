using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Storage;
using IclPs.Engine.TaskVectors;

namespace IclPs.Cmdlets;

/// <summary>Saves a task vector as a pair of files, STEM.safetensors and STEM.json, that Import-TaskVector reads back.</summary>
/// <remarks>
/// <para>
/// Writes the vector's tensors (per-layer vectors and head mean activations, float32) to STEM.safetensors and everything
/// else to STEM.json: format, method, model name and shape, injection, heads and weights, provenance with its settings and
/// training curve, and the SHA-256 of the tensor file. -Path may be the stem or either file's name. Both files are written
/// into a staging folder and put in place together, or not at all: if one cannot be replaced, the other is moved back, so
/// Import-TaskVector gets the vector back bit for bit and never a half-written or mismatched pair. Staging leftovers of
/// an export that was killed are removed when the folder is next exported to (-Verbose says so). Two exports of the same
/// stem at the same moment are not supported: the pair may then mix, which Import-TaskVector detects (the SHA-256).
/// </para>
/// <para>
/// Existing files are a TaskVectorFileExists error unless -Force; file-system failures are TaskVectorWriteFailed errors
/// naming the path. Supports -WhatIf and -Confirm; writes nothing unless -PassThru, which writes the JSON file's FileInfo.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $vector = New-TaskVector -Model $model -Dataset $data -Method TaskVector -Shots 3 -Prompts 4 -ValidationPrompts 4
/// $stem = Join-Path ([IO.Path]::GetTempPath()) "antonym-$([guid]::NewGuid())"
/// $vector | Export-TaskVector -Path $stem -PassThru
/// Get-ChildItem "$stem.*"
/// </code>
/// <para>Builds a task vector and saves it as two files beside each other, STEM.json and STEM.safetensors.</para>
/// </example>
/// <example>
/// <code>
/// $linear = Get-IclModel linear-d8 -Load
/// $vector = $linear | New-TaskVector -Method FunctionVector -Prompts 10 -EffectPrompts 5 -TopK 2
/// $json = Join-Path ([IO.Path]::GetTempPath()) "fv-$([guid]::NewGuid()).json"
/// Export-TaskVector -TaskVector $vector -Path $json
/// Export-TaskVector -TaskVector $vector -Path $json -Force
/// </code>
/// <para>Saves a regression model's function vector, then replaces the files with -Force.</para>
/// </example>
[Cmdlet(VerbsData.Export, "TaskVector", SupportsShouldProcess = true, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#export-taskvector")]
[OutputType(typeof(FileInfo))]
public sealed class ExportTaskVectorCommand : IclPsCmdlet
{
    /// <summary>The task vector to save (from New-TaskVector or Import-TaskVector), usually piped in.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public TaskVector TaskVector { get; set; } = null!;

    /// <summary>
    /// Where to write: the common stem of the two files, or the .json or .safetensors file's path (the other file goes
    /// beside it). Relative paths are resolved from the current PowerShell location.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Replaces files already there instead of stopping with a TaskVectorFileExists error.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes the JSON file's FileInfo after saving; by default nothing is written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var (json, tensors) = TaskVectorFile.Paths(ResolveFilePath(Path));
        var existing = new[] { json, tensors }.FirstOrDefault(File.Exists);
        if (existing is not null && !Force)
        {
            WriteError(new ErrorRecord(new IclPsException("TaskVectorFileExists", IclErrorKind.InvalidOperation, $"'{existing}' already exists; use -Force to replace it.", existing),
                "TaskVectorFileExists", ErrorCategory.ResourceExists, existing));
            return;
        }
        if (!ShouldProcess(json, $"Export {TaskVector}")) return;
        string written;
        try
        {
            foreach (var cleaned in TempFiles.RemoveStale(System.IO.Path.GetDirectoryName(json)!))
            {
                if (cleaned.IsWarning) WriteWarning(cleaned.Message);
                else WriteVerbose(cleaned.Message);
            }
            written = TaskVectorFile.Export(TaskVector, json, Cancellation);
        }
        // A folder in -Path that is a file fails staging (StagedDestinationIsFile): a file-system failure like the others.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException || e is IclPsException { ErrorId: StorageErrorIds.DestinationIsFile })
        {
            // As Save-IclModel: an IclPs record naming the pair and the path (the file that could not be put in place, when
            // known), its cause kept as the inner exception.
            WriteError(IclErrorRecords.WriteFailure("TaskVectorWriteFailed", $"the task vector '{json}' and '{tensors}'", e, json));
            return;
        }
        WriteVerbose($"Wrote {written} and {tensors}.");
        if (PassThru) WriteObject(new FileInfo(written));
    }
}
