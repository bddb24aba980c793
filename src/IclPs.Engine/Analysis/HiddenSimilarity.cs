using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Analysis;

/// <summary>
/// Per layer and per pair of conditions, the mean and standard deviation over queries of the cosine similarity between
/// the last-token <c>blocks.{l}.hook_resid_post</c> vectors (Duan et al., ICL vs instruction tuning). Queries are processed
/// in batches and only running statistics are kept, so memory does not grow with the number of queries.
/// </summary>
public static class HiddenSimilarity
{
    public static IReadOnlyList<HiddenSimilarityRow> Compute(
        IReadOnlyList<SimilarityCondition> conditions,
        IEnumerable<IclExample> queries,
        IReadOnlyList<IclExample> demonstrationPool,
        HiddenSimilarityOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(queries);
        options ??= new HiddenSimilarityOptions();
        Validate(conditions, options);
        var layers = conditions[0].Model.Config.Layers;
        var builders = conditions.Select(c => new FewShotPromptBuilder(options.Format, demonstrationPool, c.Shots, options.Seed)).ToArray();
        var encoders = conditions.Select(c => new PromptEncoder(c.Model.Tokenizer, c.Model.Config.ContextLength, c.Model.Config.VocabSize, options.AddBos, options.TruncateLongPrompts)).ToArray();
        var pairs = (from a in Enumerable.Range(0, conditions.Count) from b in Enumerable.Range(a + 1, conditions.Count - a - 1) select (a, b)).ToArray();
        var stats = new RunningStatistics[layers, pairs.Length];
        for (var l = 0; l < layers; l++)
            for (var p = 0; p < pairs.Length; p++) stats[l, p] = new RunningStatistics();

        int? total = queries switch { IReadOnlyCollection<IclExample> c => c.Count, ICollection<IclExample> c => c.Count, _ => null };
        var completed = 0;
        foreach (var chunk in queries.Chunk(options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            AccumulateBatch(chunk, completed, conditions, builders, encoders, pairs, stats, options.Interventions, cancellationToken);
            completed += chunk.Length;
            options.Progress?.Invoke(new IclRunProgress(completed, total));
        }

        var rows = new List<HiddenSimilarityRow>(layers * pairs.Length);
        for (var l = 0; l < layers; l++)
        {
            for (var p = 0; p < pairs.Length; p++)
            {
                var (a, b) = (conditions[pairs[p].a], conditions[pairs[p].b]);
                var s = stats[l, p];
                rows.Add(new HiddenSimilarityRow(l, HookNames.ResidPost(l), a.Name, b.Name, s.Mean, s.StandardDeviation, s.Count, a.Description, b.Description));
            }
        }
        return rows;
    }

    /// <summary>Cosine similarity of matching rows along the last axis, in float64 (NaN where a vector is zero).</summary>
    public static Tensor RowCosines(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var x = a.to(ScalarType.Float64);
        var y = b.to(ScalarType.Float64);
        return ((x * y).sum(-1) / (x.norm(-1) * y.norm(-1))).MoveToOuterDisposeScope();
    }

    private static void AccumulateBatch(
        IclExample[] chunk, int firstIndex, IReadOnlyList<SimilarityCondition> conditions, FewShotPromptBuilder[] builders,
        PromptEncoder[] encoders, (int a, int b)[] pairs, RunningStatistics[,] stats, InterventionTally? interventions, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // states[c]: [layers, batch, d_model] on the CPU in float64.
        var states = new Tensor[conditions.Count];
        for (var c = 0; c < conditions.Count; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var model = conditions[c].Model;
            var prompts = chunk.Select((q, i) => encoders[c].Encode(builders[c].Build(q, firstIndex + i), reserveContinuation: false)).ToArray();
            var batch = PromptBatch.Create(prompts, model.Tokenizer.PadTokenId, model.Network.Device, withContinuations: false);
            // Left padding puts every prompt's last token in the last column, which is what PositionFilter.Last keeps
            // and where a task vector is injected.
            var vector = conditions[c].TaskVector;
            using var hooks = (vector is null ? new HookSet() : vector.CreateHooks(model.Network, -1).ReportTo(interventions))
                .Capture("blocks.*.hook_resid_post", PositionFilter.Last);
            model.Network.Forward(batch.InputIds, batch.AttentionMask, hooks, lastPositionOnly: true);
            states[c] = stack(Enumerable.Range(0, model.Config.Layers).Select(l => hooks.Captured[HookNames.ResidPost(l)]).ToArray())
                .to(ScalarType.Float64).cpu();
        }
        for (var p = 0; p < pairs.Length; p++)
        {
            var cosines = RowCosines(states[pairs[p].a], states[pairs[p].b]).data<double>().ToArray();   // [layers * batch]
            for (var l = 0; l < stats.GetLength(0); l++)
            {
                for (var i = 0; i < chunk.Length; i++) stats[l, p].Add(cosines[l * chunk.Length + i]);
            }
        }
    }

    private static void Validate(IReadOnlyList<SimilarityCondition> conditions, HiddenSimilarityOptions options)
    {
        if (conditions.Count < 2)
            throw new IclPsException("NotEnoughConditions", IclErrorKind.InvalidArgument, $"Hidden-state similarity compares conditions in pairs; got {conditions.Count}.", conditions.Count);
        if (options.BatchSize < 1)
            throw new IclPsException("InvalidBatchSize", IclErrorKind.InvalidArgument, $"Batch size must be at least 1, got {options.BatchSize}.", options.BatchSize);
        var duplicate = conditions.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new IclPsException("DuplicateConditionName", IclErrorKind.InvalidArgument, $"Condition name '{duplicate.Key}' is used {duplicate.Count()} times; rows are labelled by name.", duplicate.Key);
        var first = conditions[0];
        foreach (var c in conditions)
        {
            if (string.IsNullOrWhiteSpace(c.Name))
                throw new IclPsException("InvalidConditionName", IclErrorKind.InvalidArgument, "Every condition needs a name.", c);
            if (c.Shots < 0)
                throw new IclPsException("InvalidShots", IclErrorKind.InvalidArgument, $"Condition '{c.Name}': shots must be 0 or more, got {c.Shots}.", c);
            c.TaskVector?.Shape.CheckFits(c.Model.Config, $"Condition '{c.Name}': the {c.TaskVector.Method} task vector");
            if (c.Model.Config.Layers != first.Model.Config.Layers || c.Model.Config.DModel != first.Model.Config.DModel)
                throw new IclPsException("IncompatibleModels", IclErrorKind.InvalidArgument,
                    $"Condition '{c.Name}' uses {c.Model.Name} ({c.Model.Config.Layers} layers, d_model {c.Model.Config.DModel}) but '{first.Name}' uses " +
                    $"{first.Model.Name} ({first.Model.Config.Layers} layers, d_model {first.Model.Config.DModel}); hidden states must match layer for layer.", c);
        }
    }
}
