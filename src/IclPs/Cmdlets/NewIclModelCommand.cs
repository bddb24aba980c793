using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Models;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>
/// New-IclModel: a randomly initialised model from a named preset or a Hugging Face config.json, reproducible from its seed.
/// Config paths may come down the pipeline (Get-ChildItem */config.json | New-IclModel); a bad one is reported and skipped.
/// </summary>
[Cmdlet(VerbsCommon.New, "IclModel", DefaultParameterSetName = PresetSet)]
[OutputType(typeof(IclModel))]
public sealed class NewIclModelCommand : IclPsCmdlet
{
    private const string PresetSet = "Preset";
    private const string ConfigSet = "ConfigPath";

    [Parameter(ParameterSetName = PresetSet, Position = 0)]
    [ValidatePreset]
    [ArgumentCompleter(typeof(PresetCompleter))]
    public string Preset { get; set; } = "gpt2-tiny";

    [Parameter(ParameterSetName = ConfigSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string ConfigPath { get; set; } = "";

    [Parameter]
    public long Seed { get; set; }

    [Parameter]
    [ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)]
    public string Device { get; set; } = "auto";

    [Parameter]
    [ValidateSet("float32", "float16", "bfloat16", IgnoreCase = true)]
    public string DType { get; set; } = "float32";

    /// <summary>Shown in results; defaults to the preset name or the config's folder name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void Process()
    {
        ModelConfig config;
        string defaultName, origin;
        if (ParameterSetName == ConfigSet)
        {
            var path = ResolveFilePath(ConfigPath);
            config = ModelConfig.Load(path);
            defaultName = Path.GetFileName(Path.GetDirectoryName(path)) is { Length: > 0 } folder ? folder : Path.GetFileNameWithoutExtension(path);
            origin = $"config:{path}";
        }
        else
        {
            config = ModelConfig.Presets[Preset];
            defaultName = Preset.ToLowerInvariant();
            origin = $"preset:{defaultName}";
        }

        var stopwatch = Stopwatch.StartNew();
        var model = IclModel.CreateRandom(config, Seed, Name ?? defaultName, TorchSelection.Device(Device), TorchSelection.DType(DType), origin);
        WriteVerbose($"Created {model.Source} ({config}, {config.ParameterCount:N0} parameters, tokenizer {model.Tokenizer.Name}) on {model.Network.Device} in {stopwatch.ElapsedMilliseconds} ms.");
        WriteObject(model);
    }
}
