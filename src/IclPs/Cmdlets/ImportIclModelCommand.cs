using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Adapters;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Internal;
using TorchSharp;

namespace IclPs.Cmdlets;

/// <summary>Loads GPT-2 or LLaMA models from Hugging Face style checkpoint folders.</summary>
/// <remarks>
/// <para>
/// Reads a checkpoint folder as Save-IclModel and Hugging Face transformers write it: config.json (model_type gpt2 or
/// llama), the weights as model.safetensors or as shards model-0000i-of-0000n.safetensors with model.safetensors.index.json
/// (F32, F16 or BF16; converted to -DType), and the tokenizer: iclps_tokenizer.json, tokenizer.model (LLaMA
/// SentencePiece), or vocab.json with merges.txt (GPT-2 BPE), or GPT-2's tokenizer.json alone (as transformers v5 saves
/// it; other tokenizer.json layouts are refused). Nothing is downloaded: copy the folder onto the machine
/// first. Writes one IclModel per folder.
/// </para>
/// <para>
/// Folders, or paths to their config.json, can be piped in (Get-ChildItem -Directory | Import-IclModel). A folder that
/// cannot be loaded is an error for that folder with the engine's error id (CheckpointNotFound, ModelConfigNotFound,
/// TokenizerNotFound, SafetensorsTruncated, ...) and the others continue. A bad -Device (cuda on a CPU-only build) stops
/// the command once, before any folder is read. -Verbose reports the shape, parameter count and load time.
/// </para>
/// <para>
/// -Adapter loads a LoRA adapter in Hugging Face PEFT's layout (adapter_config.json and adapter_model.safetensors, as
/// PEFT's save_pretrained and Save-IclAdapter write them) on top of each model: kept separate (the base weights stay as
/// stored and each targeted projection adds (lora_alpha / r) x A^T B^T), or merged into the weights with -MergeAdapter.
/// Every tensor name and shape is checked against the model before any is read (errors UnexpectedAdapterTensor,
/// AdapterModuleNotFound, AdapterModuleNotTargeted, MissingAdapterTensor, AdapterShapeMismatch; UnsupportedAdapter for
/// PEFT options IclPs does not implement, such as DoRA or bias other than none).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $folder = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
/// New-IclModel -Preset llama-tiny -Seed 3 | Save-IclModel -Path $folder
/// $model = Import-IclModel -Path $folder -DType bfloat16
/// $model | Get-IclModelInfo
/// </code>
/// <para>Saves a tiny LLaMA model to a temporary folder and loads it back with its weights converted to bfloat16.</para>
/// </example>
/// <example>
/// <code>
/// $root = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
/// 1..2 | ForEach-Object { New-IclModel -Seed $_ | Save-IclModel -Path (Join-Path $root "tiny-$_") }
/// Get-ChildItem $root -Directory | Import-IclModel | Get-IclModelInfo
/// </code>
/// <para>Loads every checkpoint folder under a folder; each model is named after its folder (tiny-1, tiny-2).</para>
/// </example>
/// <example>
/// <code>
/// $root = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
/// $pairs = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }, [pscustomobject]@{ Input = 'up'; Output = 'down' })
/// New-IclModel -Preset llama-tiny -Seed 1 | Save-IclModel -Path "$root/base"
/// $tuned = Import-IclModel "$root/base"
/// $pairs | Start-IclAdapterTraining -Model $tuned -Steps 5 -Path "$root/adapter" | Out-Null
/// Import-IclModel "$root/base" -Adapter "$root/adapter" -MergeAdapter | Get-IclModelInfo
/// </code>
/// <para>
/// Tunes a LoRA adapter, saves it in PEFT's layout, then loads the base model again with the adapter merged into its
/// weights.
/// </para>
/// </example>
/// <example>
/// <code>Import-IclModel -Path (Join-Path (Get-Module IclPs).ModuleBase 'models/text-icl-tiny') -Name lookup</code>
/// <para>
/// Loads the shipped text model straight from its folder (Get-IclModel text-icl-tiny -Load does the same) under another
/// name.
/// </para>
/// </example>
[Cmdlet(VerbsData.Import, "IclModel", HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#import-iclmodel")]
[OutputType(typeof(IclModel))]
public sealed class ImportIclModelCommand : IclPsCmdlet
{
    private torch.Device? _device;
    private torch.ScalarType _dtype;

    /// <summary>
    /// Checkpoint folders to load; a path to a config.json stands for the folder holding it. Binds from piped strings and
    /// from the FullName or PSPath of piped folders and files; relative paths are resolved from the current PowerShell
    /// location.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>
    /// Where the weights are loaded: auto (CUDA when this build of IclPs and the machine have it, else the CPU), cpu or cuda
    /// (a CudaNotAvailable error on a CPU-only build). Default: auto.
    /// </summary>
    [Parameter]
    [ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)]
    public string Device { get; set; } = "auto";

    /// <summary>
    /// The floating-point type the stored weights (F16, BF16, F32 or F64) are converted to: float32, float16 or bfloat16.
    /// Default: float32.
    /// </summary>
    [Parameter]
    [ValidateSet("float32", "float16", "bfloat16", IgnoreCase = true)]
    public string DType { get; set; } = "float32";

    /// <summary>
    /// The model's name, shown in every result it produces (the Model column). Default: the checkpoint folder's name.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>
    /// Loads weights that hold NaN or infinity (also values the -DType cannot hold) instead of refusing the checkpoint with a
    /// CheckpointNonFiniteTensor error naming the tensor. Such a model predicts padding and NaN log-probabilities; use it
    /// only to inspect a broken checkpoint.
    /// </summary>
    [Parameter]
    public SwitchParameter AllowNonFinite { get; set; }

    /// <summary>
    /// A LoRA adapter folder in PEFT's layout (adapter_config.json, adapter_model.safetensors) to load on top of every model;
    /// relative paths are resolved from the current PowerShell location. The model's Source then names the adapter too.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Adapter { get; set; }

    /// <summary>
    /// Writes the -Adapter's deltas into the weights (W + (lora_alpha / r) B A, transposed for GPT-2's Conv1D) instead of
    /// keeping the adapter separate; the model then saves with Save-IclModel like any other.
    /// </summary>
    [Parameter]
    public SwitchParameter MergeAdapter { get; set; }

    // Device and dtype apply to every folder, so a bad choice (CUDA on a CPU build) stops the command once, up front.
    protected override void Begin()
    {
        if (MergeAdapter && Adapter is null)
            Terminate(new IclPsException("MergeAdapterWithoutAdapter", IclErrorKind.InvalidArgument, "-MergeAdapter needs an -Adapter folder to merge.", null));
        _device = TorchSelection.Device(Device);
        _dtype = TorchSelection.DType(DType);
    }

    protected override void Process()
    {
        // Each path fails on its own; the base class would otherwise skip the rest of an array bound at once.
        foreach (var path in Path)
        {
            var full = path;
            try
            {
                full = ResolveFilePath(path);
                WriteObject(Load(CheckpointFolder(full)));
            }
            catch (IclPsException e)
            {
                WriteItemError(e);
            }
            catch (Exception e) when (IclErrorRecords.IsEngineFailure(e))
            {
                WriteItemError(e, full);
            }
        }
    }

    private IclModel Load(string folder)
    {
        var progress = new EngineProgress(StartProgress($"Importing model from {folder}"), WriteVerbose);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var loaded = IclModel.Load(folder, _device, _dtype, progress, Cancellation, AllowNonFinite);
            var source = loaded.Source;
            if (Adapter is not null)
            {
                try
                {
                    source = AddAdapter(loaded);
                }
                catch
                {
                    loaded.Dispose();
                    throw;
                }
            }
            var model = Name is null && source == loaded.Source ? loaded : new IclModel(loaded.Network, loaded.Tokenizer, Name ?? loaded.Name, source);
            WriteVerbose($"Loaded {model.Name} from '{folder}' ({model.Config}, {model.Config.ParameterCount:N0} parameters, tokenizer {model.Tokenizer.Name}) " +
                $"on {model.Network.Device} as {model.Network.DType.ToString().ToLowerInvariant()} in {stopwatch.ElapsedMilliseconds} ms.");
            return model;
        }
        finally
        {
            progress.Complete();
        }
    }

    /// <summary>Reads -Adapter onto the loaded network, attached or merged; returns the Source naming both.</summary>
    private string AddAdapter(IclModel loaded)
    {
        var folder = ResolveFilePath(Adapter!);
        var adapter = PeftAdapterFolder.Read(folder, loaded.Network, Cancellation);
        adapter.AttachTo(loaded.Network);
        if (MergeAdapter) LoraAdapter.Merge(loaded.Network);
        WriteVerbose($"{(MergeAdapter ? "Merged" : "Attached")} the adapter in '{folder}' (r = {adapter.Settings.Rank}, lora_alpha = {adapter.Settings.Alpha}, " +
            $"{adapter.Layers.Count} projections: {adapter.Settings.TargetsText}).");
        var source = $"{loaded.Source} adapter:{folder}{(MergeAdapter ? " merged" : "")}";
        loaded.Network.Identity = source;
        return source;
    }

    /// <summary>A path to a checkpoint's config.json stands for its folder.</summary>
    private static string CheckpointFolder(string path) =>
        File.Exists(path) && string.Equals(System.IO.Path.GetFileName(path), HfCheckpoint.ConfigFileName, StringComparison.OrdinalIgnoreCase)
            ? System.IO.Path.GetDirectoryName(path)!
            : path;
}
