using System.Globalization;
using IclPs.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// Todd et al. 2024's function vector (docs/science.md §5): mean head activations a_{l,h} over clean prompts; each head's
/// causal indirect effect on shuffled-label prompts; FV = sum over the top-k heads of a_{l,h} @ W_O[h], ADDED to one block's
/// output at the last token.
/// </summary>
public static class FunctionVector
{
    public static FunctionVectorResult Build(TaskVectorProblem problem, FunctionVectorOptions? options = null, IProgress<TaskVectorProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        options ??= new FunctionVectorOptions();
        var config = problem.Network.Config;
        options.Validate(config.Layers);
        using var scope = NewDisposeScope();
        var meanPrompts = 0;
        var clean = problem.Prompts(TaskPromptKind.Clean, options.Split, options.MeanShots, options.MeanPrompts, options.BatchSize, options.Seed)
            .Select(b => { meanPrompts += b.Count; return b; });
        var meanZ = MeanHeadActivations.Compute(problem, clean, cancellationToken);             // [L, H, d_head]
        var effectPrompts = 0;
        var corrupted = problem.Prompts(TaskPromptKind.ShuffledLabels, options.Split, options.EffectShots, options.EffectPrompts, options.BatchSize, options.Seed)
            .Select(b => { effectPrompts += b.Count; return b; });
        var effects = IndirectEffects(problem, meanZ, corrupted, progress, cancellationToken);

        var topK = Math.Min(options.TopK, config.Layers * config.Heads);
        var top = HeadEffect.Rank(effects).Take(topK).ToArray();
        var projected = MeanHeadActivations.Project(problem.Network, meanZ);                 // [L, H, d_model]
        var vector = zeros(config.DModel, dtype: ScalarType.Float64, device: problem.Network.Device);
        foreach (var e in top) vector.add_(projected[e.Layer, e.Head].to(ScalarType.Float64));
        var meanCpu = meanZ.to(ScalarType.Float32).cpu();
        var heads = top.Select(e => new TaskVectorHead(e.Layer, e.Head, 1.0, meanCpu[e.Layer, e.Head].data<float>().ToArray())).ToArray();
        var layer = options.InjectionLayer(config.Layers);
        var provenance = new TaskVectorProvenance
        {
            Source = problem.Source,
            Shots = options.MeanShots,
            Seed = options.Seed,
            Prompts = meanPrompts,
            Settings = new Dictionary<string, string>
            {
                ["mean_prompt_kind"] = nameof(TaskPromptKind.Clean),
                ["effect_prompt_kind"] = nameof(TaskPromptKind.ShuffledLabels),
                ["effect_prompts"] = effectPrompts.ToString(CultureInfo.InvariantCulture),
                ["effect_shots"] = options.EffectShots.ToString(CultureInfo.InvariantCulture),
                ["split"] = options.Split.ToString(),
                ["top_k"] = topK.ToString(CultureInfo.InvariantCulture),
                ["layer"] = layer.ToString(CultureInfo.InvariantCulture),
                ["top_heads"] = string.Join(";", top.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Layer}.{e.Head}={e.AverageIndirectEffect:R}"))),
            },
        };
        var fv = new TaskVector(TaskVectorMethod.FunctionVector, problem.ModelName, TaskVectorModelShape.Of(config), TaskVectorInjection.Add,
            [new TaskVectorLayer(layer, vector.to(ScalarType.Float32).cpu().data<float>().ToArray())], heads, provenance);
        return new FunctionVectorResult(fv, effects);
    }

    /// <summary>
    /// Average indirect effect of every head: over <paramref name="corruptedPrompts"/> (disposed here), the rise in
    /// <see cref="TaskVectorProblem.Score"/> when head (l, h)'s z at the last token is replaced by <paramref name="meanZ"/>[l, h]
    /// ([L, H, d_head]). Per batch: one clean pass caches every layer's keys and values (<see cref="TransformerModel.CachePrefix"/>);
    /// then per layer one last-column pass from that layer carries H copies of the prompt, copy h patching head h. A patch at
    /// the last token changes nothing before it, so this equals patching full forward passes one head at a time.
    /// </summary>
    public static IReadOnlyList<HeadEffect> IndirectEffects(TaskVectorProblem problem, Tensor meanZ, IEnumerable<TaskPromptBatch> corruptedPrompts,
        IProgress<TaskVectorProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(meanZ);
        ArgumentNullException.ThrowIfNull(corruptedPrompts);
        var network = problem.Network;
        var (layers, heads) = (network.Config.Layers, network.Config.Heads);
        if (!meanZ.shape.SequenceEqual(new long[] { layers, heads, network.Config.DHead }))
            throw new IclPsException(TaskVectorErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"Mean head activations are [{string.Join(", ", meanZ.shape)}]; this model needs [{layers}, {heads}, {network.Config.DHead}].", meanZ.shape);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sums = new double[layers, heads];
        var count = 0;
        var batches = 0;
        // Copy c patches head c: where[c, h] = 1 iff c == h.
        var where = eye(heads, dtype: network.DType, device: network.Device).view(1, heads, heads, 1);
        foreach (var batch in corruptedPrompts)
        {
            using (batch)
            using (var cache = network.CachePrefix(batch.Inputs, batch.Mask))
            {
                using var batchScope = NewDisposeScope();
                // Scores in float64 whatever dtype a problem returns them in, so small effects are not lost to rounding.
                var unpatched = problem.Score(problem.FromReadOut(cache.Output), batch).to(ScalarType.Float64);     // [b]
                if (unpatched.dim() != 1 || unpatched.shape[0] != batch.Count)
                    throw new InvalidOperationException(
                        $"{problem.GetType().Name}.Score of its FromReadOut output gave [{string.Join(", ", unpatched.shape)}], not one score per prompt ({batch.Count}); does FromReadOut drop the read-out axis?");
                for (var l = 0; l < layers; l++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var layerScope = NewDisposeScope();
                    var mean = meanZ[l].to(network.DType, network.Device).view(1, 1, heads, -1);
                    // Same arithmetic as HookSet.ReplaceHeadZ, so the result matches patching one head at a time.
                    using var hooks = new HookSet().Edit(HookNames.Z(l), z => z * (1 - where) + where * mean);
                    var residual = cache.ResidualPre(l).unsqueeze(1).expand(batch.Count, heads, network.Config.DModel);
                    var readOut = network.ForwardLastFrom(cache, l, residual, hooks);          // [b, H, out]
                    for (var h = 0; h < heads; h++)
                        sums[l, h] += (problem.Score(problem.FromReadOut(readOut.select(1, h)), batch).to(ScalarType.Float64) - unpatched).sum().item<double>();
                    progress?.Report(new TaskVectorProgress("indirect effect", batches * layers + l + 1, 0));
                }
                count += batch.Count;
                batches++;
            }
        }
        if (count == 0)
            throw new IclPsException(TaskVectorErrorIds.NotEnoughPrompts, IclErrorKind.InvalidArgument, "No shuffled-label prompts to measure indirect effects on.", count);
        return Enumerable.Range(0, layers).SelectMany(l => Enumerable.Range(0, heads).Select(h => new HeadEffect(l, h, sums[l, h] / count))).ToArray();
    }
}
