using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Models;
using IclPs.Engine.Models.Shipped;
using IclPs.Engine.Regression.Runs;
using IclPs.Internal;
using TorchSharp;

namespace IclPs.Cmdlets;

/// <summary>
/// Get-IclModel: the trained models shipped in the module's models folder (or another folder laid out the same way). Without
/// -Load it lists their manifests (<see cref="ShippedModelInfo"/>: what each is, how it was trained, what it scored); with
/// -Load it loads them, a text model as an <see cref="IclModel"/> and a regression model as an <see cref="IclRegressionModel"/>,
/// ready to pipe into the prompt and measurement cmdlets. A name without wildcards that matches nothing is an error naming it;
/// a model folder whose manifest is missing or malformed is reported and the others are still listed.
/// </summary>
[Cmdlet(VerbsCommon.Get, "IclModel")]
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

    /// <summary>Model names; wildcards allowed. All models when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <summary>Loads the models instead of listing them.</summary>
    [Parameter]
    public SwitchParameter Load { get; set; }

    /// <summary>A folder laid out like the module's models folder: one subfolder per model, each with iclps-model.json.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Where -Load puts the weights.</summary>
    [Parameter]
    [ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)]
    public string Device { get; set; } = "auto";

    /// <summary>The dtype -Load converts the weights to.</summary>
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
