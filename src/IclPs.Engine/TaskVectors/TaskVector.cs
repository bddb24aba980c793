using IclPs.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// A task representation built from demonstrations (docs/science.md §5), ready to inject at the prediction position:
/// <see cref="Vectors"/> enter block outputs (resid_post) by <see cref="Injection"/>; an LTV with live activations instead
/// weights the prompt's own head outputs by <see cref="Heads"/>. Plain data (float arrays), so it outlives the model and serializes.
/// </summary>
public sealed class TaskVector
{
    public TaskVector(TaskVectorMethod method, string modelName, TaskVectorModelShape shape, TaskVectorInjection injection,
        IReadOnlyList<TaskVectorLayer> vectors, IReadOnlyList<TaskVectorHead> heads, TaskVectorProvenance provenance,
        HeadActivationSource activationSource = HeadActivationSource.Mean, bool authorsVariant = false)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(provenance);
        Method = method;
        ModelName = modelName;
        Shape = shape;
        Injection = injection;
        Vectors = vectors;
        Heads = heads;
        Provenance = provenance;
        ActivationSource = activationSource;
        AuthorsVariant = authorsVariant;
        Validate();
    }

    public TaskVectorMethod Method { get; }
    /// <summary>The model it was built on (its name and source), for provenance; injection checks <see cref="Shape"/>.</summary>
    public string ModelName { get; }
    public TaskVectorModelShape Shape { get; }
    public TaskVectorInjection Injection { get; }
    /// <summary>Per-layer vectors, ascending by layer; empty for an LTV with live activations.</summary>
    public IReadOnlyList<TaskVectorLayer> Vectors { get; }
    /// <summary>Heads involved with their weights (LTV theta, function-vector heads); empty for Hendel's task vector.</summary>
    public IReadOnlyList<TaskVectorHead> Heads { get; }
    public TaskVectorProvenance Provenance { get; }
    public HeadActivationSource ActivationSource { get; }
    /// <summary>True when built with the LTV authors' code behaviour rather than the formula (docs/science.md §5).</summary>
    public bool AuthorsVariant { get; }

    /// <summary>Layers that receive an injection.</summary>
    public IReadOnlyList<int> Layers => ActivationSource == HeadActivationSource.Live
        ? Heads.Select(h => h.Layer).Distinct().Order().ToArray()
        : Vectors.Select(v => v.Layer).ToArray();

    /// <summary>
    /// Hooks that inject this vector at sequence column <paramref name="column"/> of <paramref name="model"/> (the prediction
    /// position: with left padding, the prompt's last column; see <see cref="Prompting.IclForwardPass.PromptEnd"/>).
    /// </summary>
    public HookSet CreateHooks(TransformerModel model, int column)
    {
        ArgumentNullException.ThrowIfNull(model);
        Shape.CheckFits(model.Config, $"The {Method} task vector");
        var hooks = new HookSet();
        try
        {
            if (ActivationSource == HeadActivationSource.Live)
            {
                foreach (var layer in Heads.GroupBy(h => h.Layer))
                {
                    var weights = new double[Shape.Heads];
                    foreach (var h in layer) weights[h.Head] = h.Weight;
                    var theta = tensor(weights, dtype: model.DType, device: model.Device);
                    if (AuthorsVariant) LtvAuthorsVariant.RegisterLive(hooks, model, layer.Key, hooks.Own(theta), column);
                    else LiveHeadInjection.Register(hooks, model, layer.Key, hooks.Own(theta), column);
                }
                return hooks;
            }
            foreach (var v in Vectors)
            {
                var vector = hooks.Own(tensor(v.Values, dtype: model.DType, device: model.Device));
                if (Injection == TaskVectorInjection.Replace) hooks.ReplaceVectorAt(HookNames.ResidPost(v.Layer), vector, column);
                else hooks.AddVectorAt(HookNames.ResidPost(v.Layer), vector, column);
            }
            return hooks;
        }
        catch
        {
            hooks.Dispose();
            throw;
        }
    }

    private void Validate()
    {
        void Fail(string message, object? value) =>
            throw new IclPsException(TaskVectorErrorIds.InvalidTaskVector, IclErrorKind.InvalidData, message, value);
        if (Shape.Layers <= 0 || Shape.Heads <= 0 || Shape.DModel <= 0 || Shape.DModel % Shape.Heads != 0)
            Fail($"Model shape {Shape} is not a valid transformer shape.", Shape);
        var seen = new HashSet<int>();
        foreach (var v in Vectors)
        {
            if (v.Layer < 0 || v.Layer >= Shape.Layers) Fail($"Vector layer {v.Layer} is outside the model's {Shape.Layers} layers.", v.Layer);
            if (!seen.Add(v.Layer)) Fail($"Layer {v.Layer} has more than one vector.", v.Layer);
            if (v.Values.Length != Shape.DModel) Fail($"The layer-{v.Layer} vector has {v.Values.Length} values; the model's d_model is {Shape.DModel}.", v.Values.Length);
            if (v.Values.Any(x => !float.IsFinite(x))) Fail($"The layer-{v.Layer} vector contains NaN or infinity.", v.Layer);
        }
        foreach (var h in Heads)
        {
            if (h.Layer < 0 || h.Layer >= Shape.Layers || h.Head < 0 || h.Head >= Shape.Heads)
                Fail($"Head ({h.Layer}, {h.Head}) is outside the model's {Shape.Layers} layers x {Shape.Heads} heads.", h);
            if (!double.IsFinite(h.Weight)) Fail($"Head ({h.Layer}, {h.Head}) has a non-finite weight.", h);
            if (h.MeanActivation is { } a && (a.Length != Shape.DHead || a.Any(x => !float.IsFinite(x))))
                Fail($"Head ({h.Layer}, {h.Head}) mean activation must be {Shape.DHead} finite values.", h);
        }
        if (ActivationSource == HeadActivationSource.Live && (Vectors.Count > 0 || Injection != TaskVectorInjection.Add || Heads.Count == 0))
            Fail("A task vector with live head activations is added, weights at least one head and stores no fixed vectors.", ActivationSource);
        if (ActivationSource == HeadActivationSource.Mean && Vectors.Count == 0)
            Fail("A task vector needs at least one layer vector.", Vectors.Count);
    }

    public override string ToString() =>
        $"{Method} on {ModelName}: layers {string.Join(",", Layers)}, {Injection}" + (AuthorsVariant ? " (authors' variant)" : "");
}
