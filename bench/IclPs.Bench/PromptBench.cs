using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Models.Shipped;
using IclPs.Engine.Prompting;
using IclPs.Engine.TextTasks;

namespace IclPs.Bench;

/// <summary>
/// <c>prompt</c>: what Invoke-IclPrompt spends per query on a text model. The cmdlet's engine work, query by query as
/// pipeline input arrives (prompt building, encoding, batching, the Score pass and greedy generation), on the shipped
/// text-icl-tiny with the layout it was trained on: --queries queries of one held-out keyed-lookup map, --shots
/// demonstrations each from that map's examples, batches of --batch (the cmdlet's default 8), and -MaxNewTokens of
/// --new-tokens: 1, as the model is meant to be prompted, and the cmdlet's default 16, where generation dominates. Reported in queries per second, with a digest of the results so runs of two builds can be checked
/// to compute the same numbers, and the time that building and encoding the prompts alone takes ("encode only") as a share
/// of each call.
/// </summary>
public static class PromptBench
{
    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "queries", "shots", "batch", "new-tokens", "draws", "reps", "warmup", "models"]);
        var queries = options.Int("queries", 512);
        var shots = options.Int("shots", 4, min: 0);
        var batch = options.Int("batch", 8);
        var newTokens = options.IntList("new-tokens", [1, 16]);
        var draws = options.Int("draws", 1);
        var reps = options.Int("reps", 5);
        var warmup = options.Int("warmup", 1, min: 0);
        using var session = BenchSession.Start("prompt", options);
        using var model = new ShippedModelCatalog(options.String("models") ?? ShippedModelsFolder()).LoadText("text-icl-tiny");
        session.ChooseThreads(model.Config.ParameterCount);

        // The model's own family (iclps-model.json: KeyedLookup, 512 training and 64 held-out maps, task seed 0).
        var task = new KeyedLookupTaskFamily().HeldOutTasks[0];
        var pool = task.Examples;
        var stream = Enumerable.Range(0, queries).Select(i => pool[i % pool.Count]).ToArray();
        var format = new PromptFormat { InputTemplate = "{input}=", TargetDelimiter = "", FewShotDelimiter = "," };

        List<IclPromptResult> Invoke(IclRunOptions runOptions)
        {
            var run = new DemonstrationDrawRun(model, runOptions, draws, pool, CancellationToken.None);
            var results = new List<IclPromptResult>(queries * draws);
            foreach (var query in stream) run.Add(run.Encode(query), (batch, _) => results.AddRange(batch));
            run.Flush((batch, _) => results.AddRange(batch));
            return results;
        }

        var cases = new List<BenchCase>();
        foreach (var tokens in newTokens)
        {
            var runOptions = new IclRunOptions { Format = format, Shots = shots, BatchSize = batch, MaxNewTokens = tokens };
            var name = $"b={batch} new={tokens}";
            // Not timed: what the call computes, so runs of two builds can be seen to compute the same numbers.
            var check = Invoke(runOptions);
            if (check.Count != queries * draws) throw new InvalidOperationException($"{check.Count} results for {queries * draws} prompts.");
            session.Note($"{name} results: first-token correct {check.Count(r => r.FirstTokenCorrect)}, exact match {check.Count(r => r.ExactMatch)}, " +
                         $"sum of ExpectedLogProb {check.Sum(r => r.ExpectedLogProb):R}, Predicted digest {Fnv(string.Join('\n', check.Select(r => r.Predicted)))}.");
            cases.Add(new BenchCase(name, () => Invoke(runOptions)));
        }
        // The part of a call that building and encoding the prompts takes: each query's prompts, once per draw, not queued.
        var encoding = new DemonstrationDrawRun(model, new IclRunOptions { Format = format, Shots = shots, BatchSize = batch }, draws, pool, CancellationToken.None);
        cases.Add(new BenchCase("encode only", () =>
        {
            foreach (var query in stream) encoding.Encode(query);
        }));
        var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
        var encode = timings[^1];
        foreach (var t in timings)
        {
            session.Add(t.Name, "median", t.Median * 1e3, "ms");
            session.Add(t.Name, "spread", t.Spread * 100, "%");
            session.Add(t.Name, "queries/s", queries * draws / t.Median, "q/s");
            if (t != encode) session.Add(t.Name, "encoding share (paired)", encode.PairedRatio(t) * 100, "%");
        }
        session.Note($"model: {model.Name} ({model.Config}, {model.Config.ParameterCount:N0} parameters) from {model.Source}.");
        session.Note($"one call = {queries} queries x {draws} draw(s) of the held-out map {task.Name}, {shots}-shot, batch {batch}, " +
                     "template '{input}=', target delimiter '', few-shot delimiter ',', up to 'new' new tokens (the model is prompted for one; it never writes the delimiter).");
        return session.Finish();
    }

    /// <summary>FNV-1a over the UTF-16 code units: a stable digest (string.GetHashCode is randomized per process).</summary>
    private static string Fnv(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text) hash = (hash ^ c) * 1099511628211UL;
        return hash.ToString("x16");
    }

    /// <summary>module/models of the enclosing checkout, looked for upwards from the working directory, then from the program.</summary>
    private static string ShippedModelsFolder() =>
        CheckoutRoot.Holding(Path.Combine("module", "models", "text-icl-tiny")) is { } root
            ? Path.Combine(root, "module", "models")
            : throw new BenchOptionException($"no module/models/text-icl-tiny above '{Directory.GetCurrentDirectory()}'; pass --models <folder>.");
}
