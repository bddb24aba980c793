using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Internal;
using TorchSharp;

namespace IclPs.Cmdlets;

/// <summary>
/// Import-IclModel: loads Hugging Face style checkpoint folders (config.json, safetensors weights, tokenizer files), as
/// Save-IclModel writes them. Folders may come down the pipeline (Get-ChildItem -Directory | Import-IclModel); a folder
/// that cannot be loaded is reported with the engine's error id and the rest continue.
/// </summary>
[Cmdlet(VerbsData.Import, "IclModel")]
[OutputType(typeof(IclModel))]
public sealed class ImportIclModelCommand : IclPsCmdlet
{
    private torch.Device? _device;
    private torch.ScalarType _dtype;

    /// <summary>Checkpoint folders; a path to a config.json stands for the folder holding it.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter]
    [ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)]
    public string Device { get; set; } = "auto";

    /// <summary>Stored F16/BF16/F32/F64 weights are converted to this dtype.</summary>
    [Parameter]
    [ValidateSet("float32", "float16", "bfloat16", IgnoreCase = true)]
    public string DType { get; set; } = "float32";

    /// <summary>Shown in results; defaults to the folder name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    // Device and dtype apply to every folder, so a bad choice (CUDA on a CPU build) stops the command once, up front.
    protected override void Begin()
    {
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
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteError(new ErrorRecord(e, "CheckpointReadFailed", ErrorCategory.ReadError, full));
            }
        }
    }

    private IclModel Load(string folder)
    {
        var progress = new EngineProgress(StartProgress($"Importing model from {folder}"), WriteVerbose);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var loaded = IclModel.Load(folder, _device, _dtype, progress, Cancellation);
            var model = Name is null ? loaded : new IclModel(loaded.Network, loaded.Tokenizer, Name, loaded.Source);
            WriteVerbose($"Loaded {model.Name} from '{folder}' ({model.Config}, {model.Config.ParameterCount:N0} parameters, tokenizer {model.Tokenizer.Name}) " +
                $"on {model.Network.Device} as {model.Network.DType.ToString().ToLowerInvariant()} in {stopwatch.ElapsedMilliseconds} ms.");
            return model;
        }
        finally
        {
            progress.Complete();
        }
    }

    /// <summary>A path to a checkpoint's config.json stands for its folder.</summary>
    private static string CheckpointFolder(string path) =>
        File.Exists(path) && string.Equals(System.IO.Path.GetFileName(path), HfCheckpoint.ConfigFileName, StringComparison.OrdinalIgnoreCase)
            ? System.IO.Path.GetDirectoryName(path)!
            : path;
}
