using IclPs.Engine.Models;
using IclPs.Engine.Training;
using IclPs.Engine.Training.Stacked;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Bench;

/// <summary>
/// <c>stacked-train</c>: G regression models of one shape (the task-diversity sweep's: regression-tiny, D = 4, K = 16,
/// batch 128) trained one update each, serially (G ordinary models, IclTrainer's step each) and stacked (one
/// <see cref="StackedRegressionModel"/> step for all G), in the same interleaved rounds. One update = one AdamW step of
/// every model; model-updates/s = G / time per update.
/// </summary>
public static class StackedTrainBench
{
    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "preset", "sizes", "batch", "dimension", "points", "reps", "warmup"]);
        var presetName = options.String("preset") ?? "regression-tiny";
        if (!ModelConfig.RegressionPresets.TryGetValue(presetName, out var preset))
            throw new BenchOptionException($"option '--preset' must name a regression preset ({string.Join(", ", ModelConfig.RegressionPresets.Keys)}), got '{presetName}'.");
        var sizes = options.IntList("sizes", [1, 4, 8]);
        var batch = options.Int("batch", 128);
        var dimension = options.Int("dimension", 4);
        var points = options.Int("points", 16);
        var reps = options.Int("reps", 10);
        var warmup = options.Int("warmup", 2, min: 0);
        var config = preset with { InputDim = dimension + 1 };
        var tokens = 2 * points;
        using var session = BenchSession.Start("stacked-train", options);

        var cases = new List<BenchCase>();
        var disposables = new List<IDisposable>();
        var generator = new Generator(3);
        foreach (var g in sizes)
        {
            // Each model its own seed and its own (random, fixed) batch; the values do not change the work.
            var models = Enumerable.Range(0, g).Select(i => (RegressionModel)TransformerModel.Create(config, CPU, ScalarType.Float32, seed: i)).ToArray();
            var batches = models.Select(_ => new TrainingBatch(randn([batch, tokens, config.InputDim], generator: generator),
                randn([batch, tokens], generator: generator), ones(batch, tokens))).ToArray();
            var optimizers = models.Select(m => new AdamWOptimizer(m.CheckpointTensors())).ToArray();
            foreach (var m in models) m.train();
            var stackedModel = new StackedRegressionModel(models);
            var stackOptimizer = new AdamWOptimizer(stackedModel.Parameters);
            var inputs = stack(batches.Select(b => b.Inputs).ToArray(), 0);
            var targets = stack(batches.Select(b => b.Targets).ToArray(), 0);
            var mask = stack(batches.Select(b => b.LossMask).ToArray(), 0);
            // Tensors belong to the session's scope; the models and optimizers are disposed at the end.
            disposables.AddRange([.. models, .. optimizers, stackedModel, stackOptimizer]);
            cases.Add(new($"serial G={g}", () =>
            {
                // The session runs under no_grad; a training step needs the graph.
                using var grad = enable_grad();
                for (var i = 0; i < g; i++)
                {
                    models[i].zero_grad();
                    IclTrainer.Loss(models[i], batches[i]).backward();
                    optimizers[i].ClipGradNorm(1.0);
                    optimizers[i].Step(1e-4);
                }
            }));
            cases.Add(new($"stacked G={g}", () =>
            {
                using var grad = enable_grad();
                foreach (var (_, p) in stackedModel.Parameters) p.grad?.zero_();
                stackedModel.Losses(inputs, targets, mask).sum().backward();
                StackedRegressionTrainer.ClipGradNorms(stackedModel, 1.0);
                stackOptimizer.Step(1e-4);
            }));
        }
        var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
        for (var k = 0; k < sizes.Length; k++)
        {
            var (serial, stacked) = (timings[2 * k], timings[2 * k + 1]);
            var g = sizes[k];
            session.Add(serial.Name, "median", serial.Median * 1e3, "ms");
            session.Add(serial.Name, "spread", serial.Spread * 100, "%");
            session.Add(serial.Name, "model_updates_per_s", g / serial.Median, "1/s");
            session.Add(stacked.Name, "median", stacked.Median * 1e3, "ms");
            session.Add(stacked.Name, "spread", stacked.Spread * 100, "%");
            session.Add(stacked.Name, "model_updates_per_s", g / stacked.Median, "1/s");
            session.Add(stacked.Name, "stacked_speedup", serial.PairedRatio(stacked), "x");
        }
        session.Note($"model: {config} ({config.ParameterCount:N0} parameters); each model batch {batch} x {tokens} tokens (D = {dimension}, K = {points}).");
        session.Note("update = zero_grad + MSE loss forward + backward + clip_grad_norm(1) + AdamW, as the trainers run it, without data generation.");
        session.Note("serial G = G ordinary models updated one after another; stacked G = one StackedRegressionModel update of all G.");
        session.Note("model_updates_per_s = G / median time; stacked_speedup = serial time / stacked time, paired per round.");
        var verdicts = sizes.Select((g, k) => $"G={g}: {timings[2 * k].PairedRatio(timings[2 * k + 1]):0.00}x");
        session.Note($"  stacked over serial (paired): {string.Join(", ", verdicts)}");
        var result = session.Finish();
        foreach (var d in disposables) d.Dispose();
        return result;
    }
}
