using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.TaskVectors;
using IclPs.Engine.Tokenization;
using static TorchSharp.torch;

namespace IclPs.Bench;

/// <summary>
/// <c>cie</c>: the function-vector causal-indirect-effect sweep (every head x every prompt) as <see cref="FunctionVector.IndirectEffects"/>
/// runs it (one cached clean pass per batch, one last-column pass per layer carrying all heads) against the naive cost:
/// layers x heads x prompts single-prompt forward passes, each timed in the same run.
/// </summary>
public static class CieBench
{
    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "preset", "prompts", "shots", "batch", "reps", "warmup"]);
        var prompts = options.Int("prompts", 25);
        var shots = options.Int("shots", 10, min: 2);
        var batch = options.Int("batch", 25);
        var reps = options.Int("reps", 3);
        var warmup = options.Int("warmup", 1, min: 0);
        using var session = BenchSession.Start("cie", options);
        using var workload = Gpt2Workload.Create(options, defaultPreset: "gpt2-mini");
        var model = new IclModel(workload.Model, SimpleTokenizer.Bytes(), "bench", "random seed 0");
        // 200 pairs "i" -> "(7i mod 200) + 100": distinct outputs, short byte-level prompts (about 8 tokens per demonstration).
        var data = new IclDataset("sevens", Enumerable.Range(0, 200).Select(i => new IclExample(i.ToString(), (7 * i % 200 + 100).ToString())).ToArray()).Split(0.7, 0.15, seed: 1);
        var problem = new TextTaskVectorProblem(model, data);
        var config = workload.Config;
        using var meanZ = MeanHeadActivations.Compute(problem, problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Train, shots, 10, 10, seed: 1));
        using var single = problem.Prompts(TaskPromptKind.ShuffledLabels, TaskDataSplit.Train, shots, 1, 1, seed: 2).Single();
        var tokens = single.Length;

        var cases = new List<BenchCase>
        {
            new("CIE sweep (batched heads, prefix cache)", () =>
                FunctionVector.IndirectEffects(problem, meanZ, problem.Prompts(TaskPromptKind.ShuffledLabels, TaskDataSplit.Train, shots, prompts, batch, seed: 2))),
            new("one single-prompt forward", () => problem.Predict(single, null)),
        };
        var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
        var (sweep, forward) = (timings[0], timings[1]);
        var naiveCount = config.Layers * config.Heads * prompts;
        foreach (var t in timings)
        {
            session.Add(t.Name, "median", t.Median * 1e3, "ms");
            session.Add(t.Name, "spread", t.Spread * 100, "%");
        }
        session.Add("naive estimate", "forward passes", naiveCount, "");
        session.Add("naive estimate", "median", naiveCount * forward.Median * 1e3, "ms");
        session.Add("speed-up over naive", "medians", naiveCount * forward.Median / sweep.Median, "x");
        session.Add("speed-up over naive", "paired", naiveCount / sweep.PairedRatio(forward), "x");
        session.Add("speed-up over naive", "best", naiveCount * forward.Min / sweep.Min, "x");
        session.Add("sweep", "single-forward equivalents", sweep.Median / forward.Median, "");
        session.Note($"model: {config}, random weights seed 0, byte tokenizer; {prompts} shuffled-label {shots}-shot prompts (single prompt: {tokens} tokens), batches of {batch};");
        session.Note($"naive = L x H x prompts = {config.Layers} x {config.Heads} x {prompts} = {naiveCount} single-prompt forward passes (last-position logits), each timed here.");
        session.Note("The sweep includes building and tokenizing its prompts and the clean cached pass per batch. Paired = naive count / median over rounds of sweep / forward in the same round.");
        return session.Finish();
    }
}
