using IclPs.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Adapters;

/// <summary>
/// A LoRA adapter: one <see cref="LoraLayer"/> per targeted projection of a text model. Attached to its model it is kept
/// separate (each projection adds scaling x A^T B^T, the base weights untouched); merged, the deltas are written into the
/// weights and the adapter is gone. Attached, the model owns it and disposes it with itself.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    private LoraAdapter(LoraSettings settings, IReadOnlyList<LoraLayer> layers)
    {
        (Settings, Layers) = (settings, layers);
    }

    public LoraSettings Settings { get; }

    /// <summary>The pairs in the model's module order.</summary>
    public IReadOnlyList<LoraLayer> Layers { get; }

    /// <summary>Every A and B, for an optimizer.</summary>
    public IEnumerable<Tensor> Parameters() => Layers.SelectMany(l => new[] { l.A, l.B });

    /// <summary>Trainable elements: r (in + out) per targeted projection.</summary>
    public long ParameterCount => Layers.Sum(l => l.A.numel() + l.B.numel());

    /// <summary>
    /// A fresh adapter for <paramref name="model"/> as PEFT initialises one: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming-uniform
    /// with a = sqrt(5), PEFT's default), drawn in module order from a generator seeded with <paramref name="seed"/>;
    /// B = 0, so the attached adapter leaves the model's outputs unchanged.
    /// </summary>
    public static LoraAdapter Create(TransformerModel model, LoraSettings settings, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var targets = Targeted(model, settings);
        using var _ = no_grad();
        using var generator = new Generator((ulong)seed, CPU);
        var layers = new List<LoraLayer>();
        try
        {
            foreach (var (path, projection) in targets)
            {
                var bound = 1.0 / Math.Sqrt(projection.InFeatures);
                // Drawn on the CPU in float64 then cast, so the same seed gives the same A on every device and dtype.
                var a = empty([settings.Rank, projection.InFeatures], ScalarType.Float64).uniform_(-bound, bound, generator)
                    .to(model.DType, model.Device, copy: true, disposeAfter: true);
                var b = zeros([projection.OutFeatures, settings.Rank], model.DType, model.Device);
                layers.Add(new LoraLayer(path, a, b, settings.Scaling, projection.FanInFanOut));
            }
            return new LoraAdapter(settings, layers);
        }
        catch
        {
            foreach (var layer in layers) layer.Dispose();
            throw;
        }
    }

    /// <summary>Builds an adapter from given pairs (A [r, in], B [out, r] per module path), as read from a file; checked by <see cref="AttachTo"/>.</summary>
    internal static LoraAdapter FromLayers(LoraSettings settings, IReadOnlyList<LoraLayer> layers) => new(settings, layers);

    /// <summary>
    /// Every projection an adapter can target, by module path in forward order (q_proj, k_proj, v_proj, o_proj, gate_proj,
    /// up_proj, down_proj for LLaMA; c_attn, attn.c_proj, c_fc, mlp.c_proj for GPT-2; lm_head when untied).
    /// </summary>
    public static IReadOnlyList<string> ProjectionPaths(TransformerModel model) => Projections(model).Select(p => p.Path).ToList();

    internal static IReadOnlyList<(string Path, IAdaptableProjection Projection)> Projections(TransformerModel model)
    {
        if (model.Config.Family == ModelFamily.Regression)
            throw new IclPsException(LoraErrorIds.UnsupportedFamily, IclErrorKind.InvalidOperation,
                "LoRA adapters are for text models (GPT-2 and LLaMA families); a regression model takes none.", model.Config.Family);
        return model.named_modules().Where(m => m.module is IAdaptableProjection)
            .Select(m => (m.name, (IAdaptableProjection)m.module)).ToList();
    }

    /// <summary>The projections <paramref name="settings"/> targets; none is an error listing what the model has.</summary>
    internal static IReadOnlyList<(string Path, IAdaptableProjection Projection)> Targeted(TransformerModel model, LoraSettings settings)
    {
        var all = Projections(model);
        var chosen = all.Where(p => settings.Targets(p.Path)).ToList();
        if (chosen.Count == 0)
            throw new IclPsException(LoraErrorIds.NoTargetedModules, IclErrorKind.InvalidArgument,
                $"target_modules '{settings.TargetsText}' matches no projection of this {model.Config.Family} model; its projections are " +
                $"{string.Join(", ", all.Select(p => p.Path.Split('.')[^1]).Distinct())} (e.g. {all[0].Path}).", settings.TargetsText);
        return chosen;
    }

    /// <summary>
    /// Attaches the adapter to <paramref name="model"/>, kept separate: each pair is checked against its projection's
    /// path and shape first, so a mismatch attaches nothing. The model then owns the adapter.
    /// </summary>
    public void AttachTo(TransformerModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Adapter is not null)
            throw new IclPsException(LoraErrorIds.AdapterAlreadyAttached, IclErrorKind.InvalidOperation,
                "The model already carries an adapter kept separate; merge it or load the model again before adding another.", model.Identity);
        var byPath = Projections(model).ToDictionary(p => p.Path, p => p.Projection, StringComparer.Ordinal);
        foreach (var layer in Layers)
        {
            if (!byPath.TryGetValue(layer.ModulePath, out var projection))
                throw new IclPsException(LoraErrorIds.AdapterModuleNotFound, IclErrorKind.InvalidData,
                    $"The adapter has a pair for '{layer.ModulePath}', which is not a linear projection of this {model.Config} model.", layer.ModulePath);
            CheckShape(layer, projection, Settings.Rank);
        }
        foreach (var layer in Layers) byPath[layer.ModulePath].Lora = layer;
        model.Adapter = this;
    }

    internal static void CheckShape(LoraLayer layer, IAdaptableProjection projection, int rank)
    {
        long[] a = [rank, projection.InFeatures], b = [projection.OutFeatures, rank];
        if (!layer.A.shape.SequenceEqual(a) || !layer.B.shape.SequenceEqual(b))
            throw new IclPsException(LoraErrorIds.AdapterShapeMismatch, IclErrorKind.InvalidData,
                $"Adapter pair for '{layer.ModulePath}': expected lora_A [{string.Join(", ", a)}] and lora_B [{string.Join(", ", b)}] (r = {rank}), " +
                $"found [{string.Join(", ", layer.A.shape)}] and [{string.Join(", ", layer.B.shape)}].", layer.ModulePath);
    }

    /// <summary>Removes the attached adapter from <paramref name="model"/> and returns it (the caller owns it again).</summary>
    public static LoraAdapter Detach(TransformerModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var adapter = model.Adapter ?? throw NoAdapter(model);
        foreach (var (_, projection) in Projections(model)) projection.Lora = null;
        model.Adapter = null;
        return adapter;
    }

    /// <summary>
    /// Writes the attached adapter into the weights (W += scaling B A, transposed for Conv1D), then detaches and disposes
    /// it: the model computes the same function with plain weights.
    /// </summary>
    public static void Merge(TransformerModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Adapter is null) throw NoAdapter(model);
        var byPath = Projections(model).ToDictionary(p => p.Path, p => p.Projection, StringComparer.Ordinal);
        using (no_grad())
        {
            foreach (var layer in model.Adapter.Layers)
            {
                using var scope = NewDisposeScope();
                byPath[layer.ModulePath].Weight.add_(layer.WeightDelta());
            }
        }
        Detach(model).Dispose();
    }

    private static IclPsException NoAdapter(TransformerModel model) =>
        new(LoraErrorIds.NoAdapter, IclErrorKind.InvalidOperation, "The model carries no adapter kept separate.", model.Identity);

    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
    }
}
