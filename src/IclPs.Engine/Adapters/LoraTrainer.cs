using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using IclPs.Engine.Storage;
using IclPs.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Adapters;

/// <summary>
/// Tunes the LoRA adapter attached to a text model on instruction data: each (input, output) pair is rendered zero-shot
/// with a <see cref="PromptFormat"/> (the prompt FormatInput(input), then the continuation TargetDelimiter + output) and
/// the loss is the next-token cross-entropy over the continuation's tokens only. AdamW updates A and B alone; the base
/// weights are frozen (no gradient is even computed for them). Every update's batch is drawn from the seed, so the same
/// seed, adapter and data give the same numbers.
/// </summary>
public sealed class LoraTrainer
{
    private readonly List<(int[] Ids, int PromptLength)> _items;

    public LoraTrainer(IclModel model, IReadOnlyList<IclExample> examples, PromptFormat format, LoraTrainingOptions options, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        format.Validate();
        if (model.Network.Adapter is null)
            throw new IclPsException(LoraErrorIds.NoAdapter, IclErrorKind.InvalidOperation, "The model carries no adapter to tune; attach one first.", model.Name);
        if (examples.Count == 0)
            throw new IclPsException("NoTrainingExamples", IclErrorKind.InvalidArgument, "Tuning an adapter needs at least one (input, output) example.", examples);
        (Model, Format, Options) = (model, format, options);
        _items = examples.Select((e, i) => Encode(model, format, e, i, addBos)).ToList();
    }

    /// <summary>
    /// Checks that every example can be tuned on (a non-empty output, within the context window and the vocabulary) with
    /// the errors the trainer would raise, without attaching or tuning anything: callers check each input up front.
    /// </summary>
    public static void CheckExamples(IclModel model, IReadOnlyList<IclExample> examples, PromptFormat format, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(format);
        for (var i = 0; i < examples.Count; i++) Encode(model, format, examples[i], i, addBos);
    }

    public IclModel Model { get; }
    public PromptFormat Format { get; }
    public LoraTrainingOptions Options { get; }

    private static (int[] Ids, int PromptLength) Encode(IclModel model, PromptFormat format, IclExample example, int index, bool addBos)
    {
        var tokenizer = model.Tokenizer;
        var prompt = tokenizer.Encode(format.FormatInput(example.Input), addBos);
        var answer = tokenizer.Encode(format.Continuation(example.Output), false);
        if (answer.Count == 0)
            throw new IclPsException("EmptyExpectedOutput", IclErrorKind.InvalidArgument,
                $"Example {index} ('{example.Input}'): the output '{example.Output}' gives no tokens to learn.", example);
        var ids = prompt.Concat(answer).ToArray();
        if (ids.Length > model.Config.ContextLength)
            throw new IclPsException("PromptTooLong", IclErrorKind.LimitsExceeded,
                $"Example {index} ('{example.Input}') is {ids.Length} tokens with its output, more than the model's context window of {model.Config.ContextLength}.", example);
        if (ids.Any(id => id < 0 || id >= model.Config.VocabSize))
            throw new IclPsException("TokenOutOfVocabulary", IclErrorKind.InvalidArgument,
                $"Example {index}: tokenizer '{tokenizer.Name}' produced an id outside the model's vocabulary of {model.Config.VocabSize}.", example);
        // Only answer tokens are predicted; with no BOS and an empty prompt the first answer token has nothing to follow.
        return (ids, Math.Max(prompt.Count, 1));
    }

    /// <summary>
    /// Runs <see cref="LoraTrainingOptions.Steps"/> updates (from the newest checkpoint's when resuming), reporting each to
    /// <paramref name="onStep"/> and checkpointing as the options say. Cancellation stops before the next update, writes a
    /// checkpoint when there is a folder, and returns with <see cref="LoraTrainingResult.Cancelled"/>; the adapter keeps the
    /// updates done. A non-finite or too-large loss or gradient throws <see cref="TrainingDivergedException"/> before the
    /// weights are touched.
    /// </summary>
    public LoraTrainingResult Train(Action<LoraTrainingStep>? onStep = null, CancellationToken cancellationToken = default)
    {
        var network = Model.Network;
        var adapter = network.Adapter ?? throw new IclPsException(LoraErrorIds.NoAdapter, IclErrorKind.InvalidOperation, "The adapter was removed before tuning.", Model.Name);
        var parameters = adapter.Layers.SelectMany(l => new[] { (l.ModulePath + ".lora_A", l.A), (l.ModulePath + ".lora_B", l.B) }).ToList();
        var baseParameters = network.parameters().Where(p => p.requires_grad).ToList();
        var losses = new List<double>();
        var watch = Stopwatch.StartNew();
        var cancelled = false;
        var folder = Options.CheckpointFolder is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(Options.CheckpointFolder));
        // One writer per checkpoint folder, as for training runs.
        using var folderLock = folder is null ? null : WriterLock.AcquireFolder(folder, "adapter tuning");
        if (folder is not null) TempFiles.RemoveStale(folder);
        using var optimizer = new AdamWOptimizer(parameters, weightDecay: Options.WeightDecay);
        var defining = DefiningFields(adapter);
        var first = Start(folder, adapter, optimizer, defining);
        var completed = first;
        foreach (var p in baseParameters) p.requires_grad_(false);
        foreach (var (_, p) in parameters) p.requires_grad_(true);
        try
        {
            for (var step = first; step < Options.Steps; step++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    cancelled = true;
                    break;
                }
                var loss = Update(step, optimizer);
                completed = step + 1;
                losses.Add(loss);
                onStep?.Invoke(new LoraTrainingStep(completed, loss, watch.Elapsed));
                if (folder is not null && ((Options.CheckpointEvery > 0 && completed % Options.CheckpointEvery == 0) || completed == Options.Steps))
                    Checkpoint(folder, completed, adapter, optimizer, defining);
            }
            if (cancelled && folder is not null && completed > first) Checkpoint(folder, completed, adapter, optimizer, defining);
        }
        finally
        {
            foreach (var (_, p) in parameters)
            {
                p.requires_grad_(false);
                p.grad?.Dispose();
                p.grad = null;
            }
            foreach (var p in baseParameters) p.requires_grad_(true);
        }
        return new LoraTrainingResult(first, completed, losses, cancelled, watch.Elapsed);
    }

    /// <summary>The newest checkpoint's update count when resuming, else 0; checkpoints found without Resume are an error.</summary>
    private int Start(string? folder, LoraAdapter adapter, AdamWOptimizer optimizer, IReadOnlyList<KeyValuePair<string, string>> defining)
    {
        var existing = folder is null ? [] : TrainingCheckpoint.List(folder);
        if (existing.Count == 0) return 0;
        if (!Options.Resume)
            throw new IclPsException(TrainingErrorIds.CheckpointsExist, IclErrorKind.InvalidOperation,
                $"Checkpoint folder '{folder}' already holds adapter checkpoints (newest '{existing[^1].Path}'); resume from it or choose an empty folder.", folder);
        using var noGrad = no_grad();
        return LoraCheckpoint.Load(existing[^1].Path, adapter, optimizer, defining);
    }

    private void Checkpoint(string folder, int step, LoraAdapter adapter, AdamWOptimizer optimizer, IReadOnlyList<KeyValuePair<string, string>> defining)
    {
        LoraCheckpoint.Save(folder, step, adapter, Model.Network, optimizer, defining);
        TrainingCheckpoint.Prune(folder, Options.KeepCheckpoints);
    }

    /// <summary>
    /// What a resumed run must share with the one that wrote the checkpoint: the adapter's shape and scaling, the update
    /// rule, the batch seed, the base model, and the tokenized examples themselves (a SHA-256 of their ids).
    /// </summary>
    private IReadOnlyList<KeyValuePair<string, string>> DefiningFields(LoraAdapter adapter)
    {
        static string Text(double d) => d.ToString("R", CultureInfo.InvariantCulture);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (ids, promptLength) in _items)
        {
            hash.AppendData(BitConverter.GetBytes(promptLength));
            hash.AppendData(BitConverter.GetBytes(ids.Length));
            foreach (var id in ids) hash.AppendData(BitConverter.GetBytes(id));
        }
        var s = adapter.Settings;
        return
        [
            new("rank", s.Rank.ToString(CultureInfo.InvariantCulture)),
            new("lora_alpha", Text(s.Alpha)),
            new("use_rslora", s.UseRsLora ? "true" : "false"),
            new("target_modules", string.Join(",", adapter.Layers.Select(l => l.ModulePath))),
            new("batch_size", Options.BatchSize.ToString(CultureInfo.InvariantCulture)),
            new("learning_rate", Text(Options.LearningRate)),
            new("weight_decay", Text(Options.WeightDecay)),
            new("max_grad_norm", Options.MaxGradNorm is double g ? Text(g) : "none"),
            new("seed", Options.Seed.ToString(CultureInfo.InvariantCulture)),
            new("base_model", Model.Network.Config.ToHfJson()),
            new("examples_sha256", Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant()),
        ];
    }

    private double Update(int step, AdamWOptimizer optimizer)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        using var batch = Batch(step);
        var loss = IclTrainer.Loss(Model.Network, batch);
        var value = loss.to(ScalarType.Float64).item<double>();
        if (!double.IsFinite(value) || value > Options.MaxLoss)
            throw new TrainingDivergedException(step, "the adapter's training loss", value, null);
        foreach (var p in Model.Network.Adapter!.Parameters()) p.grad?.zero_();
        loss.backward();
        var norm = optimizer.ClipGradNorm(Options.MaxGradNorm);
        if (!double.IsFinite(norm))
            throw new TrainingDivergedException(step, "the adapter's gradient norm", norm, null);
        optimizer.Step(Options.LearningRate);
        return value;
    }

    /// <summary>The examples of update <paramref name="step"/>, left-padded: targets are the next ids, scored on the answer only.</summary>
    internal TrainingBatch Batch(int step)
    {
        var order = Enumerable.Range(0, _items.Count).ToArray();
        var count = Math.Min(Options.BatchSize, order.Length);
        new SeededRandom(Options.Seed, step).ShuffleFront(order, count);
        var chosen = order.Take(count).Select(i => _items[i]).ToList();
        var width = chosen.Max(c => c.Ids.Length);
        var (ids, targets, scored, real) = (new long[count * width], new long[count * width], new float[count * width], new long[count * width]);
        for (var b = 0; b < count; b++)
        {
            var (item, promptLength) = chosen[b];
            var pad = width - item.Length;
            for (var i = 0; i < width; i++)
            {
                var at = b * width + i;
                var j = i - pad;
                ids[at] = j >= 0 ? item[j] : Model.Tokenizer.PadTokenId;
                real[at] = j >= 0 ? 1 : 0;
                // Position j predicts token j + 1, which is an answer token from promptLength on.
                var next = j + 1;
                if (j >= 0 && next < item.Length && next >= promptLength)
                {
                    targets[at] = item[next];
                    scored[at] = 1;
                }
            }
        }
        return new TrainingBatch(tensor(ids, [count, width]), tensor(targets, [count, width]), tensor(scored, [count, width]), tensor(real, [count, width]));
    }
}
