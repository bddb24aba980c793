using System.Diagnostics;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.TextTasks;
using IclPs.Engine.Tokenization;
using IclPs.Engine.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TextTasks;

/// <summary>
/// gpt2-tiny trained for a few seconds on keyed lookups, then scored on held-out maps by <see cref="SymbolicIclEvaluator"/>
/// (the <c>Invoke-IclPrompt</c> path): 0-shot stays at chance and 8 shots lift accuracy far above it.
/// </summary>
public sealed class KeyedLookupTrainingTests
{
    private readonly ITestOutputHelper _output;

    public KeyedLookupTrainingTests(ITestOutputHelper output)
    {
        TorchNativeLoader.EnsureLoaded();
        _output = output;
    }

    /// <summary>
    /// Measured (2 shared cores, 1 thread): 200 updates of 32 take a few seconds and reach about 0.40 at 8 shots against
    /// chance 0.111, which is what copying the output of a random demonstration gives (8/26 of demonstrations share the
    /// query's key): the model has learned that the answer is one of the outputs in context. Matching the key, which the
    /// 0.975 ceiling needs, takes far longer training; this test pins the pipeline and the honest shape.
    /// </summary>
    [Fact]
    public void A_few_seconds_of_training_lift_held_out_accuracy_far_above_chance_at_8_shots_only()
    {
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            var family = new KeyedLookupTaskFamily();
            var tokenizer = SimpleTokenizer.Bytes();
            using var network = TransformerModel.Create(ModelConfig.Presets["gpt2-tiny"] with { ContextLength = 64 }, CPU, seed: 1);
            var source = new SymbolicTrainingSource(new SymbolicBatchSource(family.TrainTasks, new SymbolicSequenceSampler(), tokenizer, 64, 1, 8, seed: 1));
            var options = new IclTrainingOptions
            {
                Steps = 200, BatchSize = 32, LearningRate = 3e-3, Schedule = LearningRateSchedule.Cosine, WarmupSteps = 20, MaxGradNorm = 1.0, Seed = 7,
            };
            var watch = Stopwatch.StartNew();
            new IclTrainer(network, source, options).Train();
            var model = new IclModel(network, tokenizer, "gpt2-tiny", "test");
            var heldOut = family.HeldOutTasks;
            var zero = SymbolicIclEvaluator.FirstTokenAccuracy(model, heldOut, 0, seed: 0);
            var eight = SymbolicIclEvaluator.FirstTokenAccuracy(model, heldOut, 8, seed: 0);
            _output.WriteLine($"{watch.Elapsed.TotalSeconds:0.0} s; held-out 0-shot {zero:0.000}, 8-shot {eight:0.000} (N = {heldOut.Count * 27}; chance {family.Chance:0.000})");

            // 0-shot answers depend only on the key, so the 64 maps give 192 independent key outputs: SE about 0.023.
            Assert.InRange(zero, family.Chance - 0.07, family.Chance + 0.07);
            Assert.True(eight >= 2.5 * family.Chance, $"8-shot accuracy {eight:0.000} should be far above chance {family.Chance:0.000}");
        }
        finally
        {
            set_num_threads(threads);
        }
    }
}
