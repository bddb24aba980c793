using IclPs.Engine.Models;
using IclPs.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Bench;

/// <summary>
/// <c>train-step</c>: one AdamW training step of the Raventós base regression model (8 layers, d 128, 2 heads; D = 8,
/// 16 pairs = 32 tokens, batch 256): loss forward, backward, gradient clipping and the update, as <see cref="IclTrainer"/>
/// performs them, timed against a square matmul in the same interleaved rounds.
/// </summary>
public static class TrainStepBench
{
    private const double TargetShare = 0.3;

    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "preset", "batch", "points", "reps", "warmup", "ref-size"]);
        var presetName = options.String("preset") ?? "regression-base";
        if (!ModelConfig.RegressionPresets.TryGetValue(presetName, out var config))
            throw new BenchOptionException($"option '--preset' must name a regression preset ({string.Join(", ", ModelConfig.RegressionPresets.Keys)}), got '{presetName}'.");
        var batch = options.Int("batch", 256);
        var points = options.Int("points", 16);
        var tokens = 2 * points;
        var reps = options.Int("reps", 5);
        var warmup = options.Int("warmup", 2, min: 0);
        var reference = new SquareMatmul(options.Int("ref-size", 2048), seed: 1);
        using var session = BenchSession.Start("train-step", options);
        using var model = (RegressionModel)TransformerModel.Create(config, CPU, ScalarType.Float32, seed: 0);
        model.train();
        using var optimizer = new AdamWOptimizer(model.CheckpointTensors());
        var generator = new Generator(2);
        // Random tokens of the regression layout's shape; the values do not change the work.
        using var inputs = randn([batch, tokens, config.InputDim], generator: generator);
        using var targets = randn([batch, tokens], generator: generator);
        using var mask = ones(batch, tokens);
        var data = new TrainingBatch(inputs, targets, mask);

        var stepName = $"train step b={batch} t={tokens}";
        var cases = new List<BenchCase>
        {
            reference.Case(),
            new(stepName, () =>
            {
                // The session runs under no_grad; a training step needs the graph.
                using var grad = enable_grad();
                model.zero_grad();
                var loss = IclTrainer.Loss(model, data);
                loss.backward();
                optimizer.ClipGradNorm(1.0);
                optimizer.Step(1e-4);
            }),
        };
        var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
        var referenceRate = reference.Flops / timings[0].Median;
        var forward = ForwardFlops.Gpt2(config, batch, tokens, lastPositionOnly: false);
        var readIn = 2.0 * batch * tokens * config.InputDim * config.DModel;
        var work = 3 * (forward.Total + readIn);
        var step = timings[1];
        var rate = work / step.Median;
        var share = work / reference.Flops / step.PairedRatio(timings[0]);
        session.Add(timings[0].Name, "median", timings[0].Median * 1e3, "ms");
        session.Add(timings[0].Name, "achieved", referenceRate / 1e9, "GFLOP/s");
        session.Add(stepName, "median", step.Median * 1e3, "ms");
        session.Add(stepName, "spread", step.Spread * 100, "%");
        session.Add(stepName, "work", work / 1e9, "GFLOP");
        session.Add(stepName, "achieved", rate / 1e9, "GFLOP/s");
        session.Add(stepName, "of matmul", rate / referenceRate * 100, "%");
        session.Add(stepName, "of matmul, paired", share * 100, "%");
        session.Note($"model: {config} ({config.ParameterCount / 1e6:0.##}M parameters); batch {batch} x {tokens} tokens (D = {config.InputDim - 1}, {points} pairs).");
        session.Note("step = zero_grad + MSE loss forward + backward + clip_grad_norm(1) + AdamW update (IclTrainer's step without data generation).");
        session.Note("FLOPs = 3 x forward (backward ~ 2 x forward), forward = 2*b*t*L*(4d^2 + 2*d*m) + 4*b*t^2*d*L + 2*b*t*d*(d_in + 1)");
        session.Note($"  = 3 x {(forward.Total + readIn) / 1e9:0.###} GFLOP (linear {forward.Linear / 1e9:0.###}, attention {forward.Attention / 1e9:0.###}, read-in/out {(readIn + forward.LmHead) / 1e9:0.###}).");
        session.Note($"'of matmul' = achieved FLOP/s / FLOP/s of the {reference.Size}^2 matmul in the same {reps} interleaved rounds; 'paired' from per-round ratios.");
        session.Note($"  {stepName}: {share:P0} of matmul (paired) -> {(share >= TargetShare ? "meets" : "below")} target >= {TargetShare:P0}");
        return session.Finish();
    }
}
