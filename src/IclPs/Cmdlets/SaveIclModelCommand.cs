using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Storage;
using IclPs.Engine.Tokenization;

namespace IclPs.Cmdlets;

/// <summary>Saves a text model as a Hugging Face style checkpoint folder that Import-IclModel and transformers read.</summary>
/// <remarks>
/// <para>
/// Writes config.json, the weights as model.safetensors (or, with -MaxShardSize, as shards model-0000i-of-0000n.safetensors
/// with model.safetensors.index.json) and the tokenizer files into -Path, creating the folder if needed. Import-IclModel
/// loads the folder back with the same weights, and Hugging Face transformers can read it.
/// </para>
/// <para>
/// The tokenizer files: a GPT-2 BPE (gpt2-small, a model with GPT-2's vocabulary, or a GPT-2 folder imported with
/// vocab.json and merges.txt) is written as vocab.json and merges.txt with Hugging Face's tokenizer_config.json
/// (GPT2Tokenizer, model_max_length = the model's context length), special_tokens_map.json and tokenizer.json, so
/// transformers' AutoTokenizer loads the folder as it loads AutoModel; a LLaMA SentencePiece as tokenizer.model; the
/// byte, character or word tokenizer of models IclPs makes as iclps_tokenizer.json, which only IclPs reads. Tokenizer
/// files of another kind left in the folder by an earlier save are removed in the same step.
/// </para>
/// <para>
/// Every file is staged under a temporary name and renamed into place only when all are written, so a failed or stopped
/// (Ctrl+C) save leaves the folder as it was. The files are put in place as one set: if one cannot be replaced (a
/// CheckpointWriteFailed error naming it), those already moved are moved back, and the previous checkpoint stays
/// loadable. While saving, the folder is locked: a second writer (another Save-IclModel, in any process) gets a
/// FolderInUse error naming the process that holds it. Staging leftovers of a save that was killed are removed (or, if
/// it died while moving files, first finished) when the folder is next saved to, and -Verbose says so. A folder that already holds a checkpoint is refused with a CheckpointExists
/// error unless -Force; a -Path that is a file is a CheckpointPathIsFile error. Supports -WhatIf and -Confirm. Writes
/// nothing unless -PassThru, which writes the folder's DirectoryInfo.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $folder = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
/// New-IclModel -Preset gpt2-tiny -Seed 1 | Save-IclModel -Path $folder -PassThru | Get-ChildItem
/// </code>
/// <para>Saves a tiny GPT-2 to a new temporary folder and lists the files written.</para>
/// </example>
/// <example>
/// <code>
/// $folder = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
/// $model = New-IclModel -Preset gpt2-tiny
/// $model | Save-IclModel -Path $folder
/// $model | Save-IclModel -Path $folder -MaxShardSize 200KB -Force
/// Get-ChildItem $folder -Filter *.safetensors* | Select-Object Name, Length
/// </code>
/// <para>
/// Replaces the checkpoint just written with one sharded into safetensors files of at most 200 KB of tensor data each,
/// plus their index.
/// </para>
/// </example>
/// <example>
/// <code>New-IclModel | Save-IclModel -Path (Join-Path ([IO.Path]::GetTempPath()) 'tiny-preview') -WhatIf</code>
/// <para>Shows what would be saved where, and writes nothing.</para>
/// </example>
[Cmdlet(VerbsData.Save, "IclModel", SupportsShouldProcess = true, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#save-iclmodel")]
[OutputType(typeof(DirectoryInfo))]
public sealed class SaveIclModelCommand : IclPsCmdlet
{
    /// <summary>
    /// The text model to save (an IclModel from New-IclModel, Import-IclModel, Get-IclModel -Load or Start-IclTraining
    /// -TextFamily -PassThru), usually piped in.
    /// </summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    public IclModel Model { get; set; } = null!;

    /// <summary>
    /// The checkpoint folder to write; created if missing. Relative paths are resolved from the current PowerShell location.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>
    /// The most tensor data per safetensors file, in bytes (PowerShell's 500MB and 2GB suffixes work); a model with more is
    /// split into shards with an index file. Default: one file, however large.
    /// </summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long? MaxShardSize { get; set; }

    /// <summary>Writes the checkpoint folder's DirectoryInfo after saving; by default nothing is written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>
    /// Replaces a checkpoint already in the folder instead of stopping with a CheckpointExists error.
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process()
    {
        var folder = ResolveFilePath(Path);
        if (File.Exists(folder))
        {
            WriteItemError(new IclPsException("CheckpointPathIsFile", IclErrorKind.InvalidArgument, $"Cannot save to '{folder}': it is a file, not a folder.", folder));
            return;
        }
        if (!Force && ExistingCheckpointFile(folder) is { } existing)
        {
            WriteError(new ErrorRecord(new IclPsException("CheckpointExists", IclErrorKind.InvalidOperation,
                $"Folder '{folder}' already holds a checkpoint ({existing}); use -Force to replace it.", folder), "CheckpointExists", ErrorCategory.ResourceExists, folder));
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
            // The offending value: the file that could not be put in place, when the engine knows it.
            WriteError(IclErrorRecords.WriteFailure("CheckpointWriteFailed", $"the checkpoint '{folder}'", e, folder));
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
