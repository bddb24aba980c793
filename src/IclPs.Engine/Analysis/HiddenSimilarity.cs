using System.Diagnostics;
using IclPs.Engine.Adapters;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using IclPs.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Analysis;

/// <summary>
/// Per layer and per pair of conditions, the mean and standard deviation over queries of the cosine similarity between
/// the last-token <c>blocks.{l}.hook_resid_post</c> vectors (Duan et al., ICL vs instruction tuning). Queries are processed
/// in batches; only running statistics and one cosine per query, layer and pair are kept (the states themselves only for
/// the centred cosine), and an instruction-tuned condition's adapter is disposed once its query has run, so memory does
/// not grow with the number of queries beyond those cosines.
/// </summary>
public static class HiddenSimilarity
{
    /// <summary>The summary rows of <see cref="Measure"/>.</summary>
    public static IReadOnlyList<HiddenSimilarityRow> Compute(
        IReadOnlyList<SimilarityCondition> conditions,
        IEnumerable<IclExample> queries,
        IReadOnlyList<IclExample> demonstrationPool,
        HiddenSimilarityOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Measure(conditions, queries, demonstrationPool, options, cancellationToken).Rows;

    /// <summary>
    /// Runs every query under every condition and compares the last-token states of each pair of conditions, layer by
    /// layer: one summary row per layer and pair (pairs in the order of the conditions), and one row per query, layer and
    /// pair. Query i's demonstrations depend only on (seed, i, shots, pool), so conditions with the same shots see the same
    /// ones, and an instruction-tuned condition's adapter learns exactly the demonstrations the Icl prompt with its shots shows.
    /// </summary>
    public static HiddenSimilarityResult Measure(
        IReadOnlyList<SimilarityCondition> conditions,
        IEnumerable<IclExample> queries,
        IReadOnlyList<IclExample> demonstrationPool,
        HiddenSimilarityOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        return Measure(conditions, queries.Select(q => new SimilarityQuery(q)), demonstrationPool, options, cancellationToken);
    }

    /// <summary>
    /// <see cref="Measure(IReadOnlyList{SimilarityCondition}, IEnumerable{IclExample}, IReadOnlyList{IclExample}, HiddenSimilarityOptions?, CancellationToken)"/>
    /// for queries that may bring their own demonstration pools (<see cref="SimilarityQuery"/>): queries of several tasks in
    /// one measurement, one summary and one centring over them all.
    /// </summary>
    public static HiddenSimilarityResult Measure(
        IReadOnlyList<SimilarityCondition> conditions,
        IEnumerable<SimilarityQuery> queries,
        IReadOnlyList<IclExample> demonstrationPool,
        HiddenSimilarityOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(demonstrationPool);
        options ??= new HiddenSimilarityOptions();
        ValidateConditions(conditions, options);
        var layers = conditions[0].Model.Config.Layers;
        var prompts = new SimilarityPrompts(conditions, demonstrationPool, options);
        var encoders = conditions.Select(c => new PromptEncoder(c.Model.Tokenizer, c.Model.Config.ContextLength, c.Model.Config.VocabSize, options.AddBos, options.TruncateLongPrompts)).ToArray();
        var pairs = (from a in Enumerable.Range(0, conditions.Count) from b in Enumerable.Range(a + 1, conditions.Count - a - 1) select (a, b)).ToArray();
        var stats = new RunningStatistics[layers, pairs.Length];
        for (var l = 0; l < layers; l++)
            for (var p = 0; p < pairs.Length; p++) stats[l, p] = new RunningStatistics();
        var inputs = new List<string>();
        var indices = new List<int>();               // per kept query: its index (an input whose adapter failed leaves a gap)
        var cosines = new List<double[]>();          // per query: [layer * pairs + pair]
        var correct = new List<bool?[]>();           // per query: [condition]
        var kept = options.Centred ? new List<double[][]>() : null;   // per query: [condition][layer * d_model + j]

        int? total = queries switch { IReadOnlyCollection<SimilarityQuery> c => c.Count, ICollection<SimilarityQuery> c => c.Count, _ => null };
        var done = 0;
        foreach (var chunk in queries.Chunk(options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var firstIndex = done;
            done += chunk.Length;
            using (var scope = NewDisposeScope())
            {
                var (states, answers, failed) = BatchStates(chunk, firstIndex, conditions, prompts, encoders, options, cancellationToken);
                var pairCosines = pairs.Select(p => RowCosines(states[p.a], states[p.b]).data<double>().ToArray()).ToArray();   // [pair][layer * batch + i]
                var values = kept is null ? null : states.Select(s => s.permute(1, 0, 2).contiguous().data<double>().ToArray()).ToArray();   // [condition][(i * layers + l) * d + j]
                var width = layers * (long)conditions[0].Model.Config.DModel;
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (failed[i]) continue;
                    var row = new double[layers * pairs.Length];
                    for (var l = 0; l < layers; l++)
                    {
                        for (var p = 0; p < pairs.Length; p++)
                        {
                            var cosine = pairCosines[p][l * chunk.Length + i];
                            row[l * pairs.Length + p] = cosine;
                            stats[l, p].Add(cosine);
                        }
                    }
                    cosines.Add(row);
                    correct.Add(answers.Select(a => a[i]).ToArray());
                    inputs.Add(chunk[i].Example.Input);
                    indices.Add(firstIndex + i);
                    kept?.Add(values!.Select(v => v.AsSpan((int)(i * width), (int)width).ToArray()).ToArray());
                }
            }
            options.Progress?.Invoke(new IclRunProgress(done, total));
        }

        var centred = kept is null || kept.Count == 0 ? null : CentredCosines(kept, pairs, layers, conditions[0].Model.Config.DModel);
        var rows = new List<HiddenSimilarityRow>(layers * pairs.Length);
        var perInput = new List<HiddenSimilarityInputRow>(inputs.Count * layers * pairs.Length);
        for (var l = 0; l < layers; l++)
        {
            for (var p = 0; p < pairs.Length; p++)
            {
                var (a, b) = (conditions[pairs[p].a], conditions[pairs[p].b]);
                var pair = PairName(a.Name, b.Name);
                var centredStats = new RunningStatistics();
                for (var i = 0; i < inputs.Count; i++)
                {
                    var centredCosine = centred?[i][l * pairs.Length + p] ?? double.NaN;
                    if (centred is not null) centredStats.Add(centredCosine);
                    perInput.Add(new HiddenSimilarityInputRow(l, HookNames.ResidPost(l), indices[i], inputs[i], a.Name, b.Name, pair, cosines[i][l * pairs.Length + p], centredCosine,
                        correct[i][pairs[p].a], correct[i][pairs[p].b]));
                }
                var s = stats[l, p];
                rows.Add(new HiddenSimilarityRow(l, HookNames.ResidPost(l), a.Name, b.Name, pair, s.Mean, s.StandardDeviation, s.Count,
                    centred is null ? double.NaN : centredStats.Mean, centred is null ? double.NaN : centredStats.StandardDeviation, a.Description, b.Description));
            }
        }
        return new HiddenSimilarityResult(rows, perInput);
    }

    /// <summary>How rows name a pair of conditions: "A-B", e.g. Icl-InstructionTuned.</summary>
    public static string PairName(string conditionA, string conditionB) => $"{conditionA}-{conditionB}";

    /// <summary>Cosine similarity of matching rows along the last axis, in float64 (NaN where a vector is zero).</summary>
    public static Tensor RowCosines(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var x = a.to(ScalarType.Float64);
        var y = b.to(ScalarType.Float64);
        return ((x * y).sum(-1) / (x.norm(-1) * y.norm(-1))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Cosines of the states minus each layer's mean state over every query and condition, per query as [layer * pairs + pair],
    /// in plain doubles.
    /// </summary>
    private static double[][] CentredCosines(List<double[][]> states, (int a, int b)[] pairs, int layers, int dModel)
    {
        var conditions = states[0].Length;
        var mean = new double[layers * dModel];
        foreach (var query in states)
            foreach (var condition in query)
                for (var j = 0; j < mean.Length; j++) mean[j] += condition[j];
        for (var j = 0; j < mean.Length; j++) mean[j] /= states.Count * conditions;
        return states.Select(query =>
        {
            var row = new double[layers * pairs.Length];
            for (var l = 0; l < layers; l++)
            {
                for (var p = 0; p < pairs.Length; p++)
                {
                    double dot = 0, xx = 0, yy = 0;
                    for (var j = l * dModel; j < (l + 1) * dModel; j++)
                    {
                        var x = query[pairs[p].a][j] - mean[j];
                        var y = query[pairs[p].b][j] - mean[j];
                        (dot, xx, yy) = (dot + x * y, xx + x * x, yy + y * y);
                    }
                    row[l * pairs.Length + p] = dot / Math.Sqrt(xx * yy);
                }
            }
            return row;
        }).ToArray();
    }

    /// <summary>
    /// Each condition's last-token states of the batch, [layers, batch, d_model] on the CPU in float64, and per condition and
    /// query whether the greedy next token after the prompt is the first token of the query's expected output (null when the
    /// query has no expected output): task accuracy read off the same forward pass, so it costs nothing extra. Failed marks the
    /// queries whose adapter diverged when <see cref="HiddenSimilarityOptions.AdapterFailed"/> takes such failures (their
    /// states are zeros, to be skipped).
    /// </summary>
    private static (Tensor[] States, bool?[][] Correct, bool[] Failed) BatchStates(
        SimilarityQuery[] chunk, int firstIndex, IReadOnlyList<SimilarityCondition> conditions, SimilarityPrompts prompts,
        PromptEncoder[] encoders, HiddenSimilarityOptions options, CancellationToken cancellationToken)
    {
        var states = new Tensor[conditions.Count];
        var correct = new bool?[conditions.Count][];
        var failed = new bool[chunk.Length];
        for (var c = 0; c < conditions.Count; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var model = conditions[c].Model;
            var encoded = chunk.Select((q, i) => encoders[c].Encode(prompts.Prompt(c, q, firstIndex + i), reserveContinuation: false)).ToArray();
            var batch = PromptBatch.Create(encoded, model.Tokenizer.PadTokenId, model.Network.Device, withContinuations: false);
            // Without an expected output the continuation is the target delimiter alone, which is not the task's answer.
            bool?[] Correct(long[] predicted) =>
                encoded.Select((e, i) => string.IsNullOrEmpty(chunk[i].Example.Output) || e.ContinuationIds.Length == 0 ? (bool?)null : predicted[i] == e.ContinuationIds[0]).ToArray();
            if (conditions[c].Tuning is not null)
            {
                var perInput = new (Tensor States, long Predicted)[chunk.Length];
                for (var i = 0; i < chunk.Length; i++)
                {
                    var index = firstIndex + i;
                    try
                    {
                        perInput[i] = TunedStates(conditions[c], prompts.TuningDemonstrations(c, chunk[i], index)!, index, i, batch, options, cancellationToken);
                    }
                    catch (TrainingDivergedException e) when (options.AdapterFailed is not null)
                    {
                        options.AdapterFailed(new AdapterFailed(conditions[c].Name, index, chunk[i].Example.Input, e));
                        failed[i] = true;
                        perInput[i] = (zeros(model.Config.Layers, model.Config.DModel, ScalarType.Float64), -1);
                    }
                }
                states[c] = stack(perInput.Select(t => t.States).ToArray(), 1);
                correct[c] = Correct(perInput.Select(t => t.Predicted).ToArray());
                continue;
            }
            // Left padding puts every prompt's last token in the last column, which is what PositionFilter.Last keeps
            // and where a task vector is injected.
            using var noGrad = no_grad();
            var vector = conditions[c].TaskVector;
            using var hooks = (vector is null ? new HookSet() : vector.CreateHooks(model.Network, -1).ReportTo(options.Interventions))
                .Capture("blocks.*.hook_resid_post", PositionFilter.Last);
            var logits = model.Network.Forward(batch.InputIds, batch.AttentionMask, hooks, lastPositionOnly: true);
            states[c] = LayerStates(hooks, model.Config.Layers);
            correct[c] = Correct(Greedy(logits, model));
        }
        return (states, correct, failed);
    }

    /// <summary>
    /// Input <paramref name="index"/>'s instruction-tuned states: a fresh adapter (seeded from the run's seed and the index)
    /// attached to the base model, tuned on <paramref name="demonstrations"/>, then the batch's zero-shot prompts run through
    /// it; the states of batch row <paramref name="row"/> (the input's own), [layers, d_model], and its greedy next token. The
    /// whole batch runs so the input's prompt is padded exactly as in the zero-shot condition: an adapter that changes
    /// nothing (no updates, or no demonstrations to learn from) then gives bit-identical states. The adapter, its optimizer
    /// and every activation are disposed before the next input.
    /// </summary>
    private static (Tensor States, long Predicted) TunedStates(SimilarityCondition condition, IReadOnlyList<IclExample> demonstrations, int index, int row,
        PromptBatch batch, HiddenSimilarityOptions options, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var (model, tuning) = (condition.Model, condition.Tuning!);
        var seed = InstructionTuning.AdapterSeed(options.Seed, index);
        var adapter = LoraAdapter.Create(model.Network, tuning.SettingsFor(model), seed);
        try
        {
            adapter.AttachTo(model.Network);
        }
        catch
        {
            adapter.Dispose();
            throw;
        }
        try
        {
            var watch = Stopwatch.StartNew();
            IReadOnlyList<double> losses = [];
            if (demonstrations.Count > 0 && tuning.Steps > 0)
            {
                var trainer = new LoraTrainer(model, demonstrations, options.Format, tuning.TrainingOptions(seed), options.AddBos);
                losses = trainer.Train(cancellationToken: cancellationToken).Losses;
                cancellationToken.ThrowIfCancellationRequested();
            }
            options.AdapterTuned?.Invoke(new AdapterTuned(condition.Name, index, demonstrations.Count, losses.Count,
                losses.Count > 0 ? losses[0] : double.NaN, losses.Count > 0 ? losses[^1] : double.NaN, watch.Elapsed));
            using var noGrad = no_grad();
            using var hooks = new HookSet().Capture("blocks.*.hook_resid_post", PositionFilter.Last);
            var logits = model.Network.Forward(batch.InputIds, batch.AttentionMask, hooks, lastPositionOnly: true);
            return (LayerStates(hooks, model.Config.Layers)[.., row].clone().MoveToOuterDisposeScope(), Greedy(logits, model)[row]);
        }
        finally
        {
            LoraAdapter.Detach(model.Network).Dispose();
        }
    }

    /// <summary>
    /// The greedy next token of each row of last-position logits [b, vocab], among the ids the tokenizer can decode (a preset
    /// model's vocabulary may be larger than its tokenizer's), as Invoke-IclPrompt predicts it.
    /// </summary>
    private static long[] Greedy(Tensor logits, IclModel model) =>
        logits.narrow(-1, 0, Math.Min(model.Tokenizer.VocabSize, model.Config.VocabSize)).argmax(-1).cpu().data<long>().ToArray();

    private static Tensor LayerStates(HookSet hooks, int layers) =>
        stack(Enumerable.Range(0, layers).Select(l => hooks.Captured[HookNames.ResidPost(l)]).ToArray()).to(ScalarType.Float64).cpu();

    /// <summary>
    /// What <see cref="Measure(IReadOnlyList{SimilarityCondition}, IEnumerable{SimilarityQuery}, IReadOnlyList{IclExample}, HiddenSimilarityOptions?, CancellationToken)"/>
    /// checks before it runs anything, for callers that want to fail before they gather queries.
    /// </summary>
    public static void ValidateConditions(IReadOnlyList<SimilarityCondition> conditions, HiddenSimilarityOptions options)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(options);
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
            if (c.Tuning is not null) ValidateTuning(c, options);
            if (c.Model.Config.Layers != first.Model.Config.Layers || c.Model.Config.DModel != first.Model.Config.DModel)
                throw new IclPsException("IncompatibleModels", IclErrorKind.InvalidArgument,
                    $"Condition '{c.Name}' uses {c.Model.Name} ({c.Model.Config.Layers} layers, d_model {c.Model.Config.DModel}) but '{first.Name}' uses " +
                    $"{first.Model.Name} ({first.Model.Config.Layers} layers, d_model {first.Model.Config.DModel}); hidden states must match layer for layer.", c);
        }
    }

    private static void ValidateTuning(SimilarityCondition c, HiddenSimilarityOptions options)
    {
        // A truncated Icl prompt drops leading demonstrations the adapter would still learn.
        if (options.TruncateLongPrompts)
            throw new IclPsException("TruncationWithTuning", IclErrorKind.InvalidArgument,
                $"Condition '{c.Name}' tunes each input's adapter on exactly the demonstrations its Icl prompt shows, and truncating long prompts " +
                "would drop some from the prompt only; measure without truncation (fewer shots or a model with a longer context).", c);
        if (c.TaskVector is not null)
            throw new IclPsException("InvalidCondition", IclErrorKind.InvalidArgument, $"Condition '{c.Name}' is instruction-tuned and cannot also inject a task vector.", c);
        if (c.Model.Network.Adapter is not null)
            throw new IclPsException(LoraErrorIds.AdapterAlreadyAttached, IclErrorKind.InvalidOperation,
                $"Condition '{c.Name}': model {c.Model.Name} already carries a LoRA adapter kept separate, and each input's adapter is attached to the base " +
                "model; load the model without its adapter (or merge it first).", c.Model.Name);
        c.Tuning!.Validate(c.Model);
        _ = LoraAdapter.Targeted(c.Model.Network, c.Tuning.SettingsFor(c.Model));
    }
}
