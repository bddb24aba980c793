using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Adapters;
using IclPs.Engine.Models;
using IclPs.Engine.Storage;

namespace IclPs.Cmdlets;

/// <summary>Saves a model's LoRA adapter in Hugging Face PEFT's folder layout.</summary>
/// <remarks>
/// <para>
/// Writes the adapter kept separate on -Model (made by Start-IclAdapterTraining or loaded by Import-IclModel -Adapter)
/// as adapter_config.json and adapter_model.safetensors, the files PEFT's save_pretrained writes and
/// PeftModel.from_pretrained reads: keys base_model.model.&lt;module&gt;.lora_A.weight [r, in] and .lora_B.weight
/// [out, r], fan_in_fan_out true for GPT-2's Conv1D projections, bias none, task_type CAUSAL_LM, and the model's Source
/// as base_model_name_or_path. Import-IclModel -Adapter loads the folder back onto the base model.
/// </para>
/// <para>
/// Both files are staged and put in place together or not at all, under the folder's writer lock (a second writer gets
/// FolderInUse), so a failed or stopped save leaves an earlier adapter whole. A folder that already holds an adapter is
/// refused with AdapterExists unless -Force; a model without an adapter is a ModelHasNoAdapter error. Supports -WhatIf
/// and -Confirm. Writes nothing unless -PassThru, which writes the folder's DirectoryInfo.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $folder = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
/// $model = New-IclModel -Preset gpt2-tiny -Seed 1
/// @([pscustomobject]@{ Input = 'a'; Output = 'b' }) | Start-IclAdapterTraining -Model $model -TargetModule c_attn -Steps 3 | Out-Null
/// $model | Save-IclAdapter -Path $folder -PassThru | Get-ChildItem
/// </code>
/// <para>Tunes an adapter on GPT-2's fused c_attn projection and saves it; lists the two PEFT files.</para>
/// </example>
[Cmdlet(VerbsData.Save, "IclAdapter", SupportsShouldProcess = true, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#save-icladapter")]
[OutputType(typeof(DirectoryInfo))]
public sealed class SaveIclAdapterCommand : IclPsCmdlet
{
    /// <summary>The text model whose adapter (kept separate) is saved, usually piped in.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    public IclModel Model { get; set; } = null!;

    /// <summary>The adapter folder to write; created if missing. Relative paths are resolved from the current PowerShell location.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Replaces an adapter already in the folder instead of stopping with an AdapterExists error.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes the adapter folder's DirectoryInfo after saving; by default nothing is written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        var folder = ResolveFilePath(Path);
        var adapter = Model.Network.Adapter;
        if (adapter is null)
        {
            WriteItemError(new IclPsException(LoraErrorIds.NoAdapter, IclErrorKind.InvalidOperation,
                $"Model {Model.Name} carries no adapter kept separate (tune one with Start-IclAdapterTraining or load one with Import-IclModel -Adapter).", Model.Name));
            return;
        }
        if (File.Exists(folder))
        {
            WriteError(new ErrorRecord(new IOException($"Cannot save to '{folder}': it is a file, not a folder."), "AdapterPathIsFile", ErrorCategory.InvalidArgument, folder));
            return;
        }
        if (!Force && PeftAdapterFolder.HoldsAdapter(folder))
        {
            WriteError(new ErrorRecord(new IOException(PeftAdapterFolder.AdapterExistsMessage(folder)),
                "AdapterExists", ErrorCategory.ResourceExists, folder));
            return;
        }
        if (!ShouldProcess(folder, $"Save the LoRA adapter of model '{Model.Name}' (r = {adapter.Settings.Rank}, {adapter.Layers.Count} projections)")) return;
        var progress = new EngineProgress(StartProgress($"Saving the adapter of {Model.Name} to {folder}"), WriteVerbose);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            PeftAdapterFolder.Write(adapter, Model.Network, folder, progress, Cancellation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(IclErrorRecords.WriteFailure("AdapterWriteFailed", $"the adapter to {folder}", e, folder));
            return;
        }
        finally
        {
            progress.Complete();
        }
        WriteVerbose($"Saved the adapter of {Model.Name} ({adapter.ParameterCount:N0} parameters) to '{folder}' in {stopwatch.ElapsedMilliseconds} ms.");
        if (PassThru) WriteObject(new DirectoryInfo(folder));
    }
}
