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
        string defaultName, source;
        if (ParameterSetName == ConfigSet)
        {
            var path = ResolveFilePath(ConfigPath);
            config = ModelConfig.Load(path);
            defaultName = Path.GetFileName(Path.GetDirectoryName(path)) is { Length: > 0 } folder ? folder : Path.GetFileNameWithoutExtension(path);
            source = $"config:{path} seed:{Seed}";
        }
        else
        {
            config = ModelConfig.Presets[Preset];
            defaultName = Preset.ToLowerInvariant();
            source = $"preset:{defaultName} seed:{Seed}";
        }

        var tokenizer = new ByteTokenizer();
        if (config.VocabSize < tokenizer.VocabSize)
            throw new IclPsException("VocabTooSmallForByteTokenizer", IclErrorKind.InvalidData,
                $"a random model needs a vocabulary of at least {tokenizer.VocabSize} for its byte tokenizer; {source} has {config.VocabSize}.",
                ParameterSetName == ConfigSet ? ConfigPath : Preset);

        var stopwatch = Stopwatch.StartNew();
        var network = TransformerModel.Create(config, TorchSelection.Device(Device), TorchSelection.DType(DType), Seed);
        network.Identity = source;
        WriteVerbose($"Created {source} ({config}, {config.ParameterCount:N0} parameters) on {network.Device} in {stopwatch.ElapsedMilliseconds} ms.");
        WriteObject(new IclModel(network, tokenizer, Name ?? defaultName, source));
    }
}
