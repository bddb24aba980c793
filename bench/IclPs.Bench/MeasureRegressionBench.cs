using IclPs.Engine.Models;
using IclPs.Engine.Models.Shipped;
using IclPs.Engine.Regression.Baselines;
using IclPs.Engine.Regression.Evaluation;
using IclPs.Engine.Regression.Runs;

namespace IclPs.Bench;

/// <summary>
/// <c>measure-regression</c>: what Measure-IclRegression spends per sequence. <see cref="RegressionEvaluator.Evaluate(string, RegressionModel, CancellationToken)"/>
/// on the shipped linear-d8 (module/models; a random model of the same preset with <c>--random</c>) draws --samples sequences
/// per task source (pretrain and fresh, as the cmdlet does), runs the model in batches of --batches, and scores them; timed
/// with no baseline and with Ridge, the cmdlet's cheapest default companion. Reported in sequences per second.
/// </summary>
public static class MeasureRegressionBench
{
    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "batches", "samples", "reps", "warmup", "models", "random"]);
        var batches = options.IntList("batches", [64, 256]);
        var samples = options.Int("samples", 1024);
        var reps = options.Int("reps", 5);
        var warmup = options.Int("warmup", 1, min: 0);
        var random = options.Bool("random", false);
        using var session = BenchSession.Start("measure-regression", options);
        using var model = random
            ? IclRegressionModel.CreateRandom(ModelConfig.RegressionPresets["regression-small"] with { InputDim = 9 }, 0, "regression-small-random", "preset:regression-small seed:0",
                new RegressionTaskSettings { Dimension = 8, Points = 16 })
            : new ShippedModelCatalog(options.String("models") ?? ShippedModelsFolder()).LoadRegression("linear-d8");
        session.ChooseThreads(model.Config.ParameterCount);
        var task = model.Task ?? throw new BenchOptionException($"model {model.Name} has no recorded tasks.");
        using var family = task.CreateFamily();
        var sources = new[] { RegressionTaskSource.Pretrain, RegressionTaskSource.Fresh };
        var sequences = samples * sources.Length;

        var cases = new List<BenchCase>();
        foreach (var batch in batches)
        {
            foreach (var withRidge in new[] { false, true })
            {
                var evaluator = new RegressionEvaluator(family, task.Points, new RegressionEvaluationOptions
                {
                    Samples = samples, BatchSize = batch, Seed = 0, Sources = sources,
                    Baselines = withRidge ? [new RidgeBaseline(task.NoiseVariance)] : [],
                });
                cases.Add(new BenchCase($"b={batch}{(withRidge ? " +ridge" : "")}", () => evaluator.Evaluate(model.Name, model.Network)));
            }
        }
        var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
        foreach (var t in timings)
        {
            session.Add(t.Name, "median", t.Median * 1e3, "ms");
            session.Add(t.Name, "spread", t.Spread * 100, "%");
            session.Add(t.Name, "sequences/s", sequences / t.Median, "seq/s");
        }
        session.Note($"model: {model.Name} ({model.Config}, {model.Config.ParameterCount:N0} parameters) from {model.Source}; tasks {task}.");
        session.Note($"one evaluation = {samples} sequences x {sources.Length} task sources ({string.Join(", ", sources)}) of {task.Points} pairs ({2 * task.Points} tokens): " +
            "draw, forward in batches of b, per-position errors; '+ridge' adds the Ridge baseline's predictions and Deltas.");
        return session.Finish();
    }

    /// <summary>module/models of the enclosing checkout, looked for upwards from the working directory, then from the program.</summary>
    private static string ShippedModelsFolder() =>
        CheckoutRoot.Holding(Path.Combine("module", "models", "linear-d8")) is { } root
            ? Path.Combine(root, "module", "models")
            : throw new BenchOptionException($"no module/models/linear-d8 above '{Directory.GetCurrentDirectory()}'; pass --models <folder> or --random true.");
}
