using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Models;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>Creates a randomly initialised GPT-2 or LLaMA model from a preset or a Hugging Face config.json.</summary>
/// <remarks>
/// <para>
/// Writes one IclModel with random weights: from a named preset (gpt2-tiny, the default: 2 layers, d_model 64, 4 heads;
/// gpt2-mini; gpt2-small, GPT-2 small's shape; llama-tiny; llama-tiny-4l) or from a Hugging Face config.json (model_type gpt2 or llama).
/// The weights follow from -Seed alone: the same preset and seed give the same weights, bit for bit, on the same device
/// and dtype. Random models use a byte-level tokenizer (UTF-8 bytes are token ids 0..255), so any text can be prompted.
/// </para>
/// <para>
/// Paths to config.json files can be piped in (Get-ChildItem -Recurse -Filter config.json | New-IclModel): a missing or
/// malformed file is an error for that file (ModelConfigNotFound, InvalidModelConfig, ...) and the others continue. The
/// model pipes into Get-IclModelInfo, Save-IclModel, Invoke-IclPrompt, Measure-HiddenSimilarity and New-TaskVector;
/// -Verbose says where libtorch was loaded from and how long creation took.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $model = New-IclModel
/// $model | Get-IclModelInfo
/// </code>
/// <para>Creates the default tiny GPT-2 (preset gpt2-tiny, seed 0) and shows its shape.</para>
/// </example>
/// <example>
/// <code>New-IclModel -Preset llama-tiny -Seed 7 -Name llama-a</code>
/// <para>Creates a tiny LLaMA model from seed 7 and names it llama-a in every result it produces.</para>
/// </example>
/// <example>
/// <code>
/// $folder = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
/// New-IclModel -Preset gpt2-tiny -Seed 3 | Save-IclModel -Path $folder
/// Get-ChildItem $folder -Filter config.json | New-IclModel -Seed 4
/// </code>
/// <para>
/// Writes a checkpoint to a temporary folder, then pipes its config.json back in: a model of the same shape with new random
/// weights from seed 4, named after the folder.
/// </para>
/// </example>
[Cmdlet(VerbsCommon.New, "IclModel", DefaultParameterSetName = PresetSet, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#new-iclmodel")]
[OutputType(typeof(IclModel))]
public sealed class NewIclModelCommand : IclPsCmdlet
{
    private const string PresetSet = "Preset";
    private const string ConfigSet = "ConfigPath";

    /// <summary>
    /// The named architecture: gpt2-tiny (2 layers, d_model 64, 4 heads, context 256), gpt2-tiny-6l (the same with 6 layers),
    /// gpt2-mini (4 layers, d_model 128),
    /// gpt2-small (GPT-2 small: 12 layers, d_model 768, vocabulary 50257), llama-tiny (2 layers, d_model 64, 4 query and 2
    /// key/value heads) or llama-tiny-4l (the same with 4 layers). Tab completion lists them. Default: gpt2-tiny.
    /// </summary>
    [Parameter(ParameterSetName = PresetSet, Position = 0)]
    [ValidatePreset]
    [ArgumentCompleter(typeof(PresetCompleter))]
    public string Preset { get; set; } = "gpt2-tiny";

    /// <summary>
    /// A Hugging Face config.json (model_type gpt2 or llama) giving the architecture. Binds from piped strings and from the
    /// FullName or PSPath of piped files; relative paths are resolved from the current PowerShell location.
    /// </summary>
    [Parameter(ParameterSetName = ConfigSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string ConfigPath { get; set; } = "";

    /// <summary>
    /// Seed of the random weights: the same preset or config and seed give the same weights on the same device and dtype.
    /// Any 64-bit integer. Default: 0.
    /// </summary>
    [Parameter]
    public long Seed { get; set; }

    /// <summary>
    /// Where the weights live: auto (CUDA when this build of IclPs and the machine have it, else the CPU), cpu or cuda
    /// (a CudaNotAvailable error on a CPU-only build). Default: auto.
    /// </summary>
    [Parameter]
    [ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)]
    public string Device { get; set; } = "auto";

    /// <summary>The floating-point type of the weights: float32, float16 or bfloat16. Default: float32.</summary>
    [Parameter]
    [ValidateSet("float32", "float16", "bfloat16", IgnoreCase = true)]
    public string DType { get; set; } = "float32";

    /// <summary>
    /// The model's name, shown in every result it produces (the Model column). Default: the preset name, or the name of the
    /// folder holding the config.json.
    /// </summary>
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
