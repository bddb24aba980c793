using IclPs.Engine.Models;
using IclPs.Engine.TaskVectors;
using static TorchSharp.torch;

namespace IclPs.Bench;

/// <summary>
/// <c>ltv-step</c>: one learnable-task-vector update (forward with the injection at every layer, backward to theta through
/// the frozen model, Adam step) against two plain forward passes of the same batch without autograd, in the same interleaved
/// rounds: gpt2-mini with mean activations (batch 32 x 64 tokens) and regression-small with live activations (batch 64,
/// 40 examples + query = 81 tokens).
/// </summary>
public static class LtvStepBench
{
    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "batch", "tokens", "regression-batch", "points", "reps", "warmup"]);
        var batch = options.Int("batch", 32);
        var tokens = options.Int("tokens", 64);
        var regressionBatch = options.Int("regression-batch", 64);
        var points = options.Int("points", 40);
        var reps = options.Int("reps", 7);
        var warmup = options.Int("warmup", 2, min: 0);
        using var session = BenchSession.Start("ltv-step", options);

        var workloads = new[]
        {
            Workload.Create("gpt2-mini", ModelConfig.Presets["gpt2-mini"], HeadActivationSource.Mean, batch, tokens),
            Workload.Create("regression-small", ModelConfig.RegressionPresets["regression-small"], HeadActivationSource.Live, regressionBatch, 2 * points + 1),
        };
        try
        {
            var cases = workloads.SelectMany(w => new[]
            {
                new BenchCase($"{w.Name} ltv step", () => w.Ltv.Step(w.Batch)),
                new BenchCase($"{w.Name} 2 forwards", () =>
                {
                    w.Problem.Predict(w.Batch, null);
                    w.Problem.Predict(w.Batch, null);
                }),
            }).ToList();
            var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
            for (var i = 0; i < workloads.Length; i++)
            {
                var (step, forwards) = (timings[2 * i], timings[2 * i + 1]);
                session.Add(step.Name, "median", step.Median * 1e3, "ms");
                session.Add(step.Name, "spread", step.Spread * 100, "%");
                session.Add(forwards.Name, "median", forwards.Median * 1e3, "ms");
                session.Add(forwards.Name, "spread", forwards.Spread * 100, "%");
                session.Add(step.Name, "over 2 forwards (medians)", step.Median / forwards.Median, "x");
                session.Add(step.Name, "over 2 forwards (paired)", step.PairedRatio(forwards), "x");
                session.Add(step.Name, "over 2 forwards (best)", step.Min / forwards.Min, "x");
                session.Note($"{workloads[i].Name}: {workloads[i].Problem.Network.Config}, random weights seed 0, {workloads[i].Ltv.Options.ActivationSource} activations; batch {workloads[i].Batch.Count} x {workloads[i].Batch.Length} random tokens.");
            }
            session.Note("ltv step = LearnableTaskVector.Step: freeze, forward with v_l added at the last position of every layer, backward to theta, Adam update.");
            session.Note("2 forwards = two plain forward passes of the same batch under no_grad (last-position output), the budget an LTV step should stay near.");
            session.Note("(paired) = median over rounds of step / forwards in the same round; (best) = fastest / fastest.");
            return session.Finish();
        }
        finally
        {
            foreach (var w in workloads) w.Dispose();
        }
    }

    private sealed record Workload(string Name, RandomPromptProblem Problem, LearnableTaskVector Ltv, TaskPromptBatch Batch) : IDisposable
    {
        public static Workload Create(string name, ModelConfig config, HeadActivationSource source, int batch, int tokens)
        {
            var model = TransformerModel.Create(config, CPU, ScalarType.Float32, seed: 0);
            model.Identity = $"preset:{name} seed:0";
            var problem = new RandomPromptProblem(model, tokens);
            // Mean activations over one batch of prompts: setup, not timed.
            var ltv = LearnableTaskVector.Prepare(problem, new LearnableTaskVectorOptions
            {
                ActivationSource = source, MeanPrompts = batch, TrainingKind = TaskPromptKind.Clean, Shots = 1, BatchSize = batch,
            });
            return new Workload(name, problem, ltv, problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Train, 1, batch, batch, seed: 1).Single());
        }

        public void Dispose()
        {
            Batch.Dispose();
            Ltv.Dispose();
            Problem.Network.Dispose();
        }
    }
}
