using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Models;
using IclPs.Engine.Models.Shipped;
using IclPs.Engine.Regression.Runs;
using IclPs.Internal;
using TorchSharp;

namespace IclPs.Cmdlets;

/// <summary>Lists the trained models shipped with IclPs, or loads them ready for prompts and measurements.</summary>
/// <remarks>
/// <para>
/// IclPs ships small trained models in the models folder of the module, one subfolder per model with an iclps-model.json
/// manifest, so experiments run with no download and no GPU: linear-d8 (D = 8 linear regression trained on a fresh task per
/// sequence, Ridge-like in context), linear-d8-pool (the same trained on a pool of 4 tasks, dMMSE-like: good on its pool,
/// poor on fresh tasks), text-icl-tiny (a tiny GPT-2 text model with a byte tokenizer, trained on keyed lookups such as
/// "a3=x,b7=y,a5=" -> "x"; prompt it with -Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ','), text-rules-6l (a
/// six-layer one, same byte tokenizer and prompt format, trained on one-rule tasks over 52 letters, such as successor
/// "c=d,x=y,m=" -> "n"; the demonstrations say which rule is meant) and llama-tiny-4l-mix (a four-layer LLaMA-family model,
/// same tokenizer and prompt format, trained on a mixture of keyed lookups and per-symbol transductions such as
/// "BD=KM,DB=MK,BB=" -> "KK", each with held-out maps).
/// </para>
/// <para>
/// Without -Load, Get-IclModel writes one ShippedModelInfo per model: Name, Kind (Text or Regression), Description,
/// Steps, BatchSize, Seed, TrainingSeconds, Metrics (measured right after training; KeyMetrics shows the first three), the
/// exact Command that trained it, the source Commit and its Path. With -Load it writes the models themselves: an IclModel
/// for a text model (for Invoke-IclPrompt, Measure-HiddenSimilarity, New-TaskVector, Measure-HeadEffect, Save-IclModel)
/// and an IclRegressionModel for a regression model, which remembers the tasks it was trained on (for
/// Invoke-IclPrompt -RegressionModel, Measure-IclRegression, New-TaskVector -RegressionModel, Start-IclTraining -Model).
/// </para>
/// <para>
/// A name without wildcards that matches no model is a ShippedModelNotFound error that names it and lists the models there
/// are; a model folder whose manifest is missing or malformed is reported (ShippedModelManifestNotFound,
/// ShippedModelInvalidManifest, naming the file) and the other models are still listed. A model matched by two names, or
/// named twice down the pipeline, is written once. -Path reads another folder laid out the same way.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-IclModel</code>
/// <para>Lists the shipped models with their kind, training steps, seed and key metrics.</para>
/// </example>
/// <example>
/// <code>
/// $linear = Get-IclModel linear-d8 -Load
/// $linear | Invoke-IclPrompt -TaskSource fresh -Samples 5 -Baseline Ridge
/// </code>
/// <para>
/// Loads the Ridge-like regression model and asks it for y_K on 5 prompts drawn from fresh linear tasks, beside the Ridge
/// estimate from the same examples.
/// </para>
/// </example>
/// <example>
/// <code>Get-IclModel linear-d8* | Format-List Name, Description, Command, Metrics</code>
/// <para>Shows how the two regression models were trained (the exact command) and what they scored.</para>
/// </example>
/// <example>
/// <code>
/// $model = Get-IclModel text-icl-tiny -Load
/// $model | Get-IclModelInfo
/// </code>
/// <para>Loads the shipped text model as an IclModel and shows its architecture, parameter count and tokenizer.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "IclModel", HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#get-iclmodel")]
[OutputType(typeof(ShippedModelInfo), typeof(IclModel), typeof(IclRegressionModel))]
public sealed class GetIclModelCommand : IclPsCmdlet
{
    /// <summary>The folder beside IclPs.dll that the build and the packager fill from the repository's module/models.</summary>
    internal static string DefaultModelFolder =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(typeof(GetIclModelCommand).Assembly.Location)!, "models");

    private ShippedModelCatalog _catalog = null!;
    private torch.Device? _device;
    private torch.ScalarType _dtype;
    private readonly HashSet<string> _written = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Names of the models to list or load (linear-d8, linear-d8-pool, llama-tiny-4l-mix, text-icl-tiny, text-rules-6l); wildcards are allowed. Binds from piped
    /// strings and from the Name property of piped objects. Default: every model.
    /// </summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ShippedModelNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>
    /// Loads the models instead of listing them: a text model as an IclModel, a regression model as an IclRegressionModel.
    /// </summary>
    [Parameter]
    public SwitchParameter Load { get; set; }

    /// <summary>
    /// A folder laid out like the module's models folder (one subfolder per model, each with iclps-model.json) to read instead
    /// of the shipped one. Relative paths are resolved from the current PowerShell location. Default: the models folder of the
    /// module.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>
    /// Where -Load puts the weights: auto (CUDA when this build and the machine have it, else the CPU), cpu or cuda. Default:
    /// auto. Ignored without -Load.
    /// </summary>
    [Parameter]
    [ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)]
    public string Device { get; set; } = "auto";

    /// <summary>
    /// The floating-point type -Load converts the weights to: float32, float16 or bfloat16. Default: float32. Ignored without
    /// -Load.
    /// </summary>
    [Parameter]
    [ValidateSet("float32", "float16", "bfloat16", IgnoreCase = true)]
    public string DType { get; set; } = "float32";

    protected override void Begin()
    {
        _catalog = new ShippedModelCatalog(Path is null ? DefaultModelFolder : ResolveFilePath(Path));
        WriteVerbose($"Shipped models in '{_catalog.Root}': {string.Join(", ", _catalog.Names)}.");
        if (!Load) return;
        _device = TorchSelection.Device(Device);
        _dtype = TorchSelection.DType(DType);
    }

    protected override void Process()
    {
        var names = _catalog.Names;
        foreach (var pattern in Name ?? ["*"])
        {
            var wildcard = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
            var matches = names.Where(wildcard.IsMatch).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteItemError(new IclPsException(ShippedModelErrorIds.ModelNotFound, IclErrorKind.ObjectNotFound,
                    $"No shipped model '{pattern}' in '{_catalog.Root}'; there are: {string.Join(", ", names)}.", pattern));
                continue;
            }
            // A model named by two patterns, or twice down the pipeline, is written once.
            foreach (var name in matches.Where(_written.Add))
            {
                try
                {
                    WriteObject(Load ? LoadModel(name) : _catalog.Get(name));
                }
                catch (IclPsException e)
                {
                    WriteItemError(e);
                }
            }
        }
    }

    private IDisposable LoadModel(string name)
    {
        var info = _catalog.Get(name);
        var progress = new EngineProgress(StartProgress($"Loading shipped model {info.Name}"), WriteVerbose);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            // From the manifest just read: the catalog's Load* would find and read it again.
            IDisposable model = info.Kind == ShippedModelKind.Text
                ? IclModel.Load(info.Path, _device, _dtype, progress, Cancellation)
                : IclRegressionModel.Load(info.Path, _device, _dtype, progress, Cancellation);
            WriteVerbose($"Loaded {info.Kind} model {info.Name} from '{info.Path}' in {stopwatch.ElapsedMilliseconds} ms: {model}.");
            return model;
        }
        finally
        {
            progress.Complete();
        }
    }
}
