using System.Diagnostics;
using IclPs.Engine.Adapters;
using IclPs.Engine.Analysis;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Models.Shipped;
using IclPs.Engine.Prompting;
using IclPs.Engine.TextTasks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Bench;

/// <summary>
/// <c>it-similarity</c>: the instruction-tuned condition of Measure-HiddenSimilarity on the shipped llama-tiny-4l-mix, held-out
/// transduction maps, in the example's prompt format. Timed in the same interleaved rounds: one per-input LoRA (adapter made,
/// attached, tuned for --steps AdamW updates on k demonstrations, detached), one plain no-grad forward of the same k
/// items, and HiddenSimilarity.Measure over --inputs queries with the anchor, k-shot ICL and IT conditions. Then memory:
/// Measure with IT over each of --memory-inputs queries, sampling live tensors and the process's resident set after every
/// adapter, to show both stay flat as inputs grow.
/// </summary>
public static class ItSimilarityBench
{
    private const string ModelName = "llama-tiny-4l-mix";
    private static readonly PromptFormat Format = new() { InputTemplate = "{input}=", TargetDelimiter = "", FewShotDelimiter = "," };

    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "models", "shots", "steps", "inputs", "memory-inputs", "memory-steps", "reps", "warmup"]);
        var shots = options.Int("shots", 4);
        var steps = options.Int("steps", 20);
        var inputs = options.Int("inputs", 30);
        var memoryInputs = options.IntList("memory-inputs", [30, 300]);
        var memorySteps = options.Int("memory-steps", 5);
        var reps = options.Int("reps", 5);
        var warmup = options.Int("warmup", 1, min: 0);
        using var session = BenchSession.Start("it-similarity", options);
        using var model = new ShippedModelCatalog(options.String("models") ?? ShippedModelsFolder()).LoadText(ModelName);
        session.ChooseThreads(model.Config.ParameterCount);

        // Held-out maps of the family the model was trained on (the manifest's defaults: 512 train, 64 held-out, seed 0).
        var family = new TransductionTaskFamily();
        var pool = family.HeldOutTasks[0].Examples;
        var queries = family.HeldOutTasks.SelectMany(t => t.Examples).ToArray();
        if (queries.Length < Math.Max(inputs, memoryInputs.Max()))
            throw new BenchOptionException($"the held-out maps hold {queries.Length} items, fewer than the inputs asked for.");
        var demonstrations = pool.Take(shots).ToArray();
        var tuning = new InstructionTuning { Steps = steps, LearningRate = 0.01 };
        var conditions = new[] { SimilarityCondition.ZeroShot(model), SimilarityCondition.Icl(model, shots), SimilarityCondition.InstructionTuned(model, shots, tuning) };
        var measureOptions = new HiddenSimilarityOptions { Format = Format, Seed = 1, BatchSize = 8 };

        var encoder = new PromptEncoder(model.Tokenizer, model.Config.ContextLength, model.Config.VocabSize);
        var zeroShot = new FewShotPromptBuilder(Format, pool, 0, 0);
        var items = PromptBatch.Create(demonstrations.Select((d, i) => encoder.Encode(zeroShot.Build(d, i))).ToArray(), model.Tokenizer.PadTokenId, model.Network.Device, withContinuations: true);
        var cases = new List<BenchCase>
        {
            new("lora tune", () => TuneOnce(model, tuning, demonstrations)),
            new("plain forward", () => model.Network.Forward(items.InputIds, items.AttentionMask)),
            new($"measure {inputs} inputs", () => HiddenSimilarity.Measure(conditions, queries.Take(inputs).ToArray(), pool, measureOptions)),
        };
        var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
        var (tune, forward, measure) = (timings[0], timings[1], timings[2]);
        foreach (var t in timings)
        {
            session.Add(t.Name, "median", t.Median * 1e3, "ms");
            session.Add(t.Name, "spread", t.Spread * 100, "%");
        }
        session.Add(tune.Name, "updates per second", steps / tune.Median, "1/s");
        session.Add(tune.Name, "over plain forward (medians)", tune.Median / forward.Median, "x");
        session.Add(tune.Name, "over plain forward (paired)", tune.PairedRatio(forward), "x");
        session.Add(tune.Name, "over plain forward (best)", tune.Min / forward.Min, "x");
        session.Add(measure.Name, "per input", measure.Median / inputs * 1e3, "ms");
        session.Add(measure.Name, "over lora tune x inputs (paired)", Statistics.Median(measure.Seconds.Zip(tune.Seconds, (m, t) => m / (t * inputs)).ToList()), "x");

        foreach (var n in memoryInputs) Memory(session, model, conditions[0], shots, memorySteps, queries.Take(n).ToArray(), pool, measureOptions);

        session.Note($"{ModelName}: {model.Config}; held-out transduction maps (pool: map 0's {pool.Count} words), format '{{input}}=' with ',' between shots.");
        session.Note($"lora tune = LoraAdapter.Create (r 4, alpha 8, q_proj and v_proj) + attach + LoraTrainer, {steps} AdamW updates at 0.01 on {shots} demonstrations (all in every update) + detach.");
        session.Note($"plain forward = one no-grad forward of the same {shots} items rendered zero-shot (prompt and answer), batch {shots}.");
        session.Note($"measure = HiddenSimilarity.Measure with anchor, {shots}-shot ICL and IT ({steps} updates per input), batch 8: everything Measure-HiddenSimilarity does per input.");
        session.Note($"memory: Measure with anchor and IT ({memorySteps} updates per input); live tensors and resident set sampled after every input's adapter.");
        return session.Finish();
    }

    private static void TuneOnce(IclModel model, InstructionTuning tuning, IReadOnlyList<IclExample> demonstrations)
    {
        LoraAdapter.Create(model.Network, tuning.SettingsFor(model), seed: 1).AttachTo(model.Network);
        try
        {
            new LoraTrainer(model, demonstrations, Format, new LoraTrainingOptions { Steps = tuning.Steps, LearningRate = tuning.LearningRate, Seed = 1 }).Train();
        }
        finally
        {
            LoraAdapter.Detach(model.Network).Dispose();
        }
    }

    /// <summary>One Measure over <paramref name="queries"/>, sampling after every adapter; rows record how the samples move.</summary>
    private static void Memory(BenchSession session, IclModel model, SimilarityCondition anchor, int shots, int steps, IclExample[] queries,
        IReadOnlyList<IclExample> pool, HiddenSimilarityOptions options)
    {
        using var process = Process.GetCurrentProcess();
        var live = new List<long>();
        var resident = new List<long>();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var watch = Stopwatch.StartNew();
        HiddenSimilarity.Measure([anchor, SimilarityCondition.InstructionTuned(model, shots, new InstructionTuning { Steps = steps, LearningRate = 0.01 })], queries, pool,
            options with
            {
                AdapterTuned = _ =>
                {
                    process.Refresh();
                    live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount - before);
                    resident.Add(process.WorkingSet64);
                },
            });
        var name = $"memory {queries.Length} inputs";
        const double MiB = 1 << 20;
        session.Add(name, "seconds", watch.Elapsed.TotalSeconds, "s");
        session.Add(name, "live tensors after (over before)", DisposeScopeManager.Statistics.ThreadTotalLiveCount - before, "tensors");
        session.Add(name, "live tensors during, max", live.Max(), "tensors");
        session.Add(name, "live tensors during, max - min", live.Max() - live.Min(), "tensors");
        session.Add(name, "resident set after first adapter", resident[0] / MiB, "MiB");
        session.Add(name, "resident set after last adapter", resident[^1] / MiB, "MiB");
        session.Add(name, "resident set during, max", resident.Max() / MiB, "MiB");
        session.Add(name, "managed heap after", GC.GetTotalMemory(forceFullCollection: true) / MiB, "MiB");
    }

    /// <summary>module/models of the enclosing checkout, looked for upwards from the working directory, then from the program.</summary>
    private static string ShippedModelsFolder() =>
        CheckoutRoot.Holding(Path.Combine("module", "models", ModelName)) is { } root
            ? Path.Combine(root, "module", "models")
            : throw new BenchOptionException($"no module/models/{ModelName} above '{Directory.GetCurrentDirectory()}'; pass --models <folder>.");
}
