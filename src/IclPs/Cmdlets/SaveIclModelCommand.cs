using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Tokenization;

namespace IclPs.Cmdlets;

/// <summary>
/// Save-IclModel: writes a model as a Hugging Face style checkpoint folder (config.json, model.safetensors or shards with
/// an index, tokenizer files) that Import-IclModel and transformers can read. Every file is staged and renamed into place
/// only when all are written, so a failed or stopped save leaves the folder as it was.
/// </summary>
[Cmdlet(VerbsData.Save, "IclModel", SupportsShouldProcess = true)]
[OutputType(typeof(DirectoryInfo))]
public sealed class SaveIclModelCommand : IclPsCmdlet
{
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    public IclModel Model { get; set; } = null!;

    /// <summary>The checkpoint folder; created if missing.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Largest amount of tensor data per safetensors file, in bytes (e.g. 500MB); larger models are sharded.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long? MaxShardSize { get; set; }

    /// <summary>Emits the checkpoint folder's DirectoryInfo after saving.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Replaces a checkpoint already in the folder.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process()
    {
        var folder = ResolveFilePath(Path);
        if (File.Exists(folder))
        {
            WriteError(new ErrorRecord(new IOException($"Cannot save to '{folder}': it is a file, not a folder."),
                "CheckpointPathIsFile", ErrorCategory.InvalidArgument, folder));
            return;
        }
        if (!Force && ExistingCheckpointFile(folder) is { } existing)
        {
            WriteError(new ErrorRecord(new IOException($"Folder '{folder}' already holds a checkpoint ({existing}); use -Force to replace it."),
                "CheckpointExists", ErrorCategory.ResourceExists, folder));
            return;
        }
        if (!ShouldProcess(folder, $"Save model '{Model.Name}' ({Model.Config}) as a checkpoint")) return;

        var progress = new EngineProgress(StartProgress($"Saving model {Model.Name} to {folder}"), WriteVerbose);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            Model.Save(folder, MaxShardSize, progress, Cancellation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(e, "CheckpointWriteFailed", ErrorCategory.WriteError, folder));
            return;
        }
        finally
        {
            progress.Complete();
        }
        WriteVerbose($"Saved {Model.Name} ({Model.Config.ParameterCount:N0} parameters, {Model.Network.DType.ToString().ToLowerInvariant()}) to '{folder}' in {stopwatch.ElapsedMilliseconds} ms.");
        if (PassThru) WriteObject(new DirectoryInfo(folder));
    }

    /// <summary>The first file in <paramref name="folder"/> that a save would replace, if any.</summary>
    private static string? ExistingCheckpointFile(string folder) =>
        new[] { HfCheckpoint.ConfigFileName, HfCheckpoint.WeightsFileName, HfCheckpoint.IndexFileName }
            .Concat(TokenizerLoader.TokenizerFileNames)
            .FirstOrDefault(name => File.Exists(System.IO.Path.Combine(folder, name)));
}
