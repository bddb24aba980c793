using System.Diagnostics;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Prompting;
using IclPs.Engine.TextTasks;
using IclPs.Engine.Tokenization;
using IclPs.Engine.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TextTasks;

/// <summary>
/// A character-level model trained with <see cref="IclTrainer"/> on affine-map sequences (<see cref="SymbolicTrainingSource"/>),
/// then evaluated on held-out maps through <see cref="IclPromptRunner"/>, the path <c>Invoke-IclPrompt</c> takes.
/// </summary>
public sealed class TextIclTrainingTests
{
    private const int ContextLength = 64, TrainShots = 8;
    private static readonly int[] ShotCounts = [0, 1, 2, 4, 8];
    private readonly ITestOutputHelper _output;

    public TextIclTrainingTests(ITestOutputHelper output)
    {
        TorchNativeLoader.EnsureLoaded();
        _output = output;
    }

    private static SymbolicBatchSource Source(AffineTaskFamily family) =>
        new(family.TrainTasks, new SymbolicSequenceSampler(), SimpleTokenizer.Bytes(), ContextLength, batchSize: 1, TrainShots, seed: 1);

    [Fact]
    public void BatchesAreNextTokenShiftedAndTheLossScoresExactlyTheAnswers()
    {
        var family = new AffineTaskFamily();
        var source = new SymbolicTrainingSource(Source(family));
        using var generator = new Generator(5);
        using var batch = source.Next(0, 6, generator);
        using var again = source.Next(0, 6, new Generator(5));
        using var other = source.Next(0, 6, new Generator(6));
        Assert.Equal(batch.Inputs.data<long>().ToArray(), again.Inputs.data<long>().ToArray());
        Assert.NotEqual(batch.Inputs.data<long>().ToArray(), other.Inputs.data<long>().ToArray());

        // Every sequence has the same length here: BOS + 8 demonstrations "x=y," + "x=y" = 36 tokens, 35 after the shift.
        Assert.Equal(new long[] { 6, 35 }, batch.Inputs.shape);
        Assert.Equal(batch.Inputs[.., 1..].data<long>().ToArray(), batch.Targets[.., ..^1].data<long>().ToArray());
        var tokenizer = SimpleTokenizer.Bytes();
        var targets = batch.Targets.data<long>().ToArray();
        var mask = batch.LossMask.data<float>().ToArray();
        var inputs = batch.Inputs.data<long>().ToArray();
        var equals = tokenizer.Encode("=")[0];
        // Target j is scored exactly when it follows '=' (input j is '='): the answers of the 8 demonstrations and the query.
        for (var i = 0; i < mask.Length; i++) Assert.Equal(inputs[i] == equals ? 1f : 0f, mask[i]);
        Assert.Equal(6 * 9, (int)batch.LossMask.sum().item<float>());
        Assert.All(batch.AttentionMask!.data<long>().ToArray(), m => Assert.Equal(1L, m));

        // The trainer's loss equals cross-entropy computed independently on the unshifted tokens: logits[j-1] against token j.
        using var model = TransformerModel.Create(ModelConfig.Presets["gpt2-tiny"] with { ContextLength = ContextLength }, CPU, seed: 2);
        using var symbolic = SymbolicSequenceSampler.Encode(source.Source.Sampler.Sample(3, TrainShots, 1, 0, family.TrainTasks), tokenizer, ContextLength);
        using var shifted = symbolic.ToTrainingBatch();
        using var noGrad = no_grad();
        var loss = IclTrainer.Loss(model, shifted).item<float>();
        var logProbs = model.Forward(symbolic.InputIds).log_softmax(-1);
        var ids = symbolic.InputIds.data<long>().ToArray();
        var scored = symbolic.LossMask.data<float>().ToArray();
        var (sum, count, t) = (0.0, 0, symbolic.Length);
        for (var r = 0; r < 3; r++)
            for (var j = 1; j < t; j++)
                if (scored[r * t + j] == 1) { sum -= logProbs[r, j - 1, ids[r * t + j]].item<float>(); count++; }
        Assert.Equal(3 * 9, count);
        Assert.Equal(sum / count, loss, 1e-4);
    }

    /// <summary>
    /// Measured (2 shared cores, 1 thread): 600 updates of batch 32 take about 15 s and give, on the 18 held-out maps
    /// (N = 18 maps x 11 queries x 3 demonstration seeds = 594 per point), the curve in the test output. The model does
    /// NOT infer the affine rule at this budget: its accuracy tracks the elimination bound (the query's answer is one of
    /// the p-k outputs not shown) and is the same on training maps, so what this test pins is the pipeline and the honest
    /// shape: chance at 0 shots, a rise with shots, far above chance at 8. Longer training (4000 x 64 with weight decay)
    /// memorises training maps instead and held-out accuracy falls; rule inference needs far more training than a test allows.
    /// </summary>
    [Fact]
    public void TrainedModelLearnsInContextOnHeldOutMapsThroughThePromptRunner()
    {
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            var family = new AffineTaskFamily();
            var tokenizer = SimpleTokenizer.Bytes();
            using var network = TransformerModel.Create(ModelConfig.Presets["gpt2-tiny"] with { ContextLength = ContextLength }, CPU, seed: 1);
            var options = new IclTrainingOptions
            {
                Steps = 600, BatchSize = 32, LearningRate = 3e-3, Schedule = LearningRateSchedule.Cosine, WarmupSteps = 20, MaxGradNorm = 1.0, Seed = 7,
            };
            var watch = Stopwatch.StartNew();
            var result = new IclTrainer(network, new SymbolicTrainingSource(Source(family)), options).Train();
            var trainTime = watch.Elapsed;
            var model = new IclModel(network, tokenizer, "gpt2-tiny", "test");
            var curve = ShotCounts.ToDictionary(k => k, k => Accuracy(model, family.HeldOutTasks, k));
            var n = family.HeldOutTasks.Count * family.Modulus * Seeds;
            _output.WriteLine($"trained {options.Steps} x {options.BatchSize} in {trainTime.TotalSeconds:0.0} s, final loss {result.Losses[^1]:0.000} (ln 11 = {Math.Log(11):0.000}); total {watch.Elapsed.TotalSeconds:0.0} s");
            foreach (var (k, acc) in curve)
                _output.WriteLine($"held-out {k}-shot first-token accuracy {acc:0.000} (N = {n}; elimination bound {1.0 / (family.Modulus - k):0.000})");

            var chance = 1.0 / family.Modulus;
            Assert.InRange(curve[0], chance - 0.05, chance + 0.05);
            Assert.True(curve[8] >= 0.2, $"8-shot accuracy {curve[8]:0.000} should be far above chance {chance:0.000}");
            for (var i = 1; i < ShotCounts.Length; i++)
                Assert.True(curve[ShotCounts[i]] >= curve[ShotCounts[i - 1]] - 0.04,
                    $"accuracy should not fall with shots: {ShotCounts[i - 1]} -> {ShotCounts[i]} shots gave {curve[ShotCounts[i - 1]]:0.000} -> {curve[ShotCounts[i]]:0.000}");
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private const int Seeds = 3;

    /// <summary>First-token accuracy over every query of every task, each task's own pairs as the pool, as Invoke-IclPrompt does.</summary>
    private static double Accuracy(IclModel model, IReadOnlyList<SymbolicTask> tasks, int shots)
    {
        var (right, total) = (0, 0);
        for (var seed = 0; seed < Seeds; seed++)
            foreach (var task in tasks)
            {
                var runner = new IclPromptRunner(model, new IclRunOptions { Format = SymbolicSequenceSampler.DefaultFormat, Shots = shots, Seed = seed, BatchSize = 64, MaxNewTokens = 0 });
                foreach (var r in runner.Run(task.Examples, task.Examples)) { total++; if (r.FirstTokenCorrect) right++; }
            }
        return (double)right / total;
    }
}
