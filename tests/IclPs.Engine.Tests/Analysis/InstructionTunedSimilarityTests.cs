using IclPs.Engine.Adapters;
using IclPs.Engine.Analysis;
using IclPs.Engine.Analysis.Statistics;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Prompting;
using IclPs.Engine.Training;
using IclPs.Engine.Tests.Data;
using IclPs.Engine.Tests.Prompting;
using TorchSharp;
using static TorchSharp.torch;

using static IclPs.Engine.Tests.Analysis.ResidualReference;

namespace IclPs.Engine.Tests.Analysis;

/// <summary>The instruction-tuned condition of HiddenSimilarity (one LoRA per query), centred cosines and paired contrasts.</summary>
public class InstructionTunedSimilarityTests
{
    private static readonly IclDatasetSplit Capitals = DatasetLoader.LoadJson(TestData.FunctionVectors("country-capital.json")).Split(0.7, 0.0, seed: 2);
    private static readonly IclDatasetSplit Antonyms = DatasetLoader.LoadJson(TestData.FunctionVectors("antonym.json")).Split(0.7, 0.0, seed: 2);
    private static readonly InstructionTuning Tuning = new() { Steps = 4, LearningRate = 0.05 };

    public InstructionTunedSimilarityTests() => TorchNativeLoader.EnsureLoaded();

    private static double[] Cosines(HiddenSimilarityResult result, string pair, int layer) =>
        result.Inputs.Where(r => r.Pair == pair && r.Layer == layer).OrderBy(r => r.InputIndex).Select(r => r.Cosine).ToArray();

    [Theory]
    [InlineData("gpt2-tiny")]
    [InlineData("llama-tiny")]
    public void ZeroShotsOrZeroUpdatesGiveTheAnchorBitForBit(string preset)
    {
        using var model = TestModels.Tiny(1, preset);
        var queries = Capitals.Test.Items.Take(5).ToArray();
        // "Same" runs the anchor's prompts through the same model: its cosine with the anchor is what identical states give,
        // bit for bit (cos(x, x) computed in float64 need not round to exactly 1).
        var conditions = new[]
        {
            SimilarityCondition.ZeroShot(model), SimilarityCondition.OtherModel(model, "Same"), SimilarityCondition.Icl(model, 0),
            SimilarityCondition.InstructionTuned(model, 0, Tuning, "ItNoShots"), SimilarityCondition.InstructionTuned(model, 3, Tuning with { Steps = 0 }, "ItNoSteps"),
        };
        var result = HiddenSimilarity.Measure(conditions, queries, Capitals.Train.Items, new HiddenSimilarityOptions { BatchSize = 3, Centred = true });
        for (var l = 0; l < model.Config.Layers; l++)
        {
            var identical = Cosines(result, "ZeroShot-Same", l);
            Assert.All(identical, c => Assert.Equal(1.0, c, 1e-12));
            foreach (var pair in new[] { "ZeroShot-Icl0", "ZeroShot-ItNoShots", "ZeroShot-ItNoSteps", "Icl0-ItNoSteps" })
                Assert.Equal(identical, Cosines(result, pair, l));
        }
        Assert.Null(model.Network.Adapter);
    }

    [Fact]
    public void TunedAdaptersChangeTheStatesAndLeaveTheBaseModelAsItWas()
    {
        using var model = TestModels.Tiny(1, "llama-tiny");
        var weights = model.Network.CheckpointTensors().ToDictionary(p => p.Name, p => Models.Numerics.ToDoubles(p.Tensor));
        var tuned = new List<AdapterTuned>();
        var conditions = new[] { SimilarityCondition.ZeroShot(model), SimilarityCondition.InstructionTuned(model, 3, Tuning) };
        var rows = HiddenSimilarity.Compute(conditions, Capitals.Test.Items.Take(3).ToArray(), Capitals.Train.Items, new HiddenSimilarityOptions { AdapterTuned = tuned.Add });

        Assert.Equal([0, 1, 2], tuned.Select(t => t.InputIndex));
        Assert.All(tuned, t => Assert.Equal(("InstructionTuned", 3, 4), (t.Condition, t.Demonstrations, t.Steps)));
        Assert.All(tuned, t => Assert.True(t.LastLoss < t.FirstLoss, $"loss {t.FirstLoss} -> {t.LastLoss}"));
        Assert.Contains(rows, r => r.MeanCosine < 1 - 1e-6);
        Assert.Null(model.Network.Adapter);
        foreach (var (name, tensor) in model.Network.CheckpointTensors())
            Assert.True(weights[name].SequenceEqual(Models.Numerics.ToDoubles(tensor)), $"base weight {name} changed");
        Assert.All(model.Network.parameters(), p => Assert.True(p.requires_grad));
        Assert.Equal("llama-tiny-1, zero-shot, LoRA r 4, alpha 8, default targets, 4 updates at 0.05 on 3 demonstrations", rows[0].DescriptionB);
    }

    [Fact]
    public void MatchesAnAdapterTunedByHandAndCosinesInFloat64()
    {
        using var model = TestModels.Tiny(2, "gpt2-tiny");
        var queries = Capitals.Test.Items.Take(3).ToArray();
        var format = PromptFormat.QuestionAnswer;
        const int seed = 7;
        var conditions = new[] { SimilarityCondition.ZeroShot(model, "Anchor"), SimilarityCondition.Icl(model, 2, "Icl"), SimilarityCondition.InstructionTuned(model, 2, Tuning, "It") };
        var result = HiddenSimilarity.Measure(conditions, queries, Capitals.Train.Items, new HiddenSimilarityOptions { Format = format, Seed = seed, BatchSize = 2, Centred = true });

        // Reference: each query's prompts alone (no padding); the adapter made, tuned and attached by hand from the documented
        // seed; the Icl prompt's own demonstrations; cosines and the centred mean in plain doubles.
        var builder = new FewShotPromptBuilder(format, Capitals.Train.Items, 2, seed);
        var states = queries.Select((q, i) =>
        {
            var prompt = builder.Build(q, i);
            var anchor = LastTokenResiduals(model, format.FormatInput(q.Input));
            var icl = LastTokenResiduals(model, prompt.Text);
            var adapterSeed = InstructionTuning.AdapterSeed(seed, i);
            LoraAdapter.Create(model.Network, new LoraSettings { Rank = 4, Alpha = 8, TargetModules = ["c_attn"] }, adapterSeed).AttachTo(model.Network);
            new LoraTrainer(model, prompt.Demonstrations, format, new LoraTrainingOptions { Steps = 4, LearningRate = 0.05, Seed = adapterSeed }).Train();
            var it = LastTokenResiduals(model, format.FormatInput(q.Input));
            LoraAdapter.Detach(model.Network).Dispose();
            return new[] { anchor, icl, it };
        }).ToArray();
        var layers = model.Config.Layers;
        var mean = Enumerable.Range(0, layers).Select(l => Enumerable.Range(0, 64).Select(j => states.SelectMany(s => s).Average(c => c[l][j])).ToArray()).ToArray();
        var pairs = new[] { ("Anchor-Icl", 0, 1), ("Anchor-It", 0, 2), ("Icl-It", 1, 2) };
        foreach (var row in result.Inputs)
        {
            var (_, a, b) = pairs.Single(p => p.Item1 == row.Pair);
            var (x, y) = (states[row.InputIndex][a][row.Layer], states[row.InputIndex][b][row.Layer]);
            Assert.Equal(Cosine(x, y), row.Cosine, 1e-5);
            var m = mean[row.Layer];
            Assert.Equal(Cosine(x.Select((v, j) => v - m[j]).ToArray(), y.Select((v, j) => v - m[j]).ToArray()), row.CentredCosine, 1e-4);
            Assert.Equal(queries[row.InputIndex].Input, row.Input);
        }
        Assert.Equal(3 * layers * 3, result.Inputs.Count);
        foreach (var summary in result.Rows)
        {
            var values = result.Inputs.Where(r => r.Layer == summary.Layer && r.Pair == summary.Pair).Select(r => r.CentredCosine).ToArray();
            Assert.Equal(values.Average(), summary.MeanCentredCosine, 1e-12);
            Assert.Equal(Math.Sqrt(values.Sum(v => (v - values.Average()) * (v - values.Average())) / 2), summary.StdCentredCosine, 1e-12);
        }
        // Tuning really moved the states (else the comparison above would be trivial).
        Assert.Contains(result.Inputs, r => r.Pair == "Anchor-It" && r.Cosine < 1 - 1e-4);
    }

    [Fact]
    public void FirstTokenCorrectnessMatchesThePromptRunnerOnTheSamePromptsAndAdapters()
    {
        using var model = TestModels.Tiny(3, "llama-tiny");
        var format = PromptFormat.Arrow;
        const int seed = 5;
        // Every demonstration answers "z", half the queries expect "z" and half "q": an adapter that learned its
        // demonstrations is right on the first half and wrong on the second, so correctness varies across the queries.
        var pool = Capitals.Train.Items.Select(e => e with { Output = "z" }).ToArray();
        var queries = Capitals.Test.Items.Take(4).Select((e, i) => e with { Output = i % 2 == 0 ? "z" : "q" }).ToArray();
        var tuning = new InstructionTuning { Steps = 30, LearningRate = 0.05 };
        var conditions = new[] { SimilarityCondition.ZeroShot(model, "Anchor"), SimilarityCondition.Icl(model, 3, "Icl"), SimilarityCondition.InstructionTuned(model, 3, tuning, "It") };
        var result = HiddenSimilarity.Measure(conditions, queries, pool, new HiddenSimilarityOptions { Format = format, Seed = seed, BatchSize = 2 });
        bool? Correct(string condition, int input) => result.Inputs
            .Where(r => r.InputIndex == input && r.Layer == 0)
            .Select(r => r.ConditionA == condition ? r.FirstTokenCorrectA : r.ConditionB == condition ? r.FirstTokenCorrectB : null)
            .First(c => c is not null);

        // Reference: Invoke-IclPrompt's runner (its own scoring pass) on the same prompts; for It, on the model carrying the
        // adapter made and tuned by hand from the documented seed on the Icl prompt's demonstrations.
        bool[] Runner(int shots, int first = 0, int count = 4) => new IclPromptRunner(model, new IclRunOptions { Format = format, Shots = shots, Seed = seed, MaxNewTokens = 1 })
            .Run(queries, pool).Skip(first).Take(count).Select(r => r.FirstTokenCorrect).ToArray();
        var builder = new FewShotPromptBuilder(format, pool, 3, seed);
        var tuned = queries.Select((q, i) =>
        {
            var adapterSeed = InstructionTuning.AdapterSeed(seed, i);
            LoraAdapter.Create(model.Network, tuning.SettingsFor(model), adapterSeed).AttachTo(model.Network);
            new LoraTrainer(model, builder.Build(q, i).Demonstrations, format, new LoraTrainingOptions { Steps = 30, LearningRate = 0.05, Seed = adapterSeed }).Train();
            var correct = Runner(0, i, 1)[0];
            LoraAdapter.Detach(model.Network).Dispose();
            return correct;
        }).ToArray();
        Assert.Equal(Runner(0), Enumerable.Range(0, 4).Select(i => Correct("Anchor", i)!.Value));
        Assert.Equal(Runner(3), Enumerable.Range(0, 4).Select(i => Correct("Icl", i)!.Value));
        Assert.Equal(tuned, Enumerable.Range(0, 4).Select(i => Correct("It", i)!.Value));
        Assert.Equal([true, false, true, false], tuned);
        // Every layer's row of a query carries the same two answers.
        Assert.All(result.Inputs.GroupBy(r => (r.InputIndex, r.Pair)), g => Assert.Single(g.Select(r => (r.FirstTokenCorrectA, r.FirstTokenCorrectB)).Distinct()));
    }

    [Fact]
    public void QueriesCarryingTheRunsPoolGiveTheSharedPoolsNumbersBitForBit()
    {
        using var model = TestModels.Tiny(1, "llama-tiny");
        var queries = Capitals.Test.Items.Take(4).ToArray();
        var conditions = new[] { SimilarityCondition.ZeroShot(model), SimilarityCondition.Icl(model, 2), SimilarityCondition.InstructionTuned(model, 2, Tuning) };
        var options = new HiddenSimilarityOptions { BatchSize = 3, Seed = 5, Centred = true, ShuffleLabels = true };
        var shared = HiddenSimilarity.Measure(conditions, queries, Capitals.Train.Items, options);
        // The run's pool is another task's: every prompt and adapter must come from the queries' own pools.
        var own = HiddenSimilarity.Measure(conditions, queries.Select(q => new SimilarityQuery(q, Capitals.Train.Items)), Antonyms.Train.Items, options);
        Assert.Equal(shared.Inputs.Select(r => (r.Cosine, r.CentredCosine, r.FirstTokenCorrectA, r.FirstTokenCorrectB)),
            own.Inputs.Select(r => (r.Cosine, r.CentredCosine, r.FirstTokenCorrectA, r.FirstTokenCorrectB)));
    }

    [Fact]
    public void EachQueryDrawsItsPromptAndItsAdapterFromItsOwnPool()
    {
        using var model = TestModels.Tiny(1, "gpt2-tiny");
        var conditions = new[]
        {
            SimilarityCondition.Icl(model, 3), SimilarityCondition.InstructionTuned(model, 3, Tuning),
            SimilarityCondition.InstructionTuned(model, 3, Tuning with { DemonstrationPool = Antonyms.Train.Items }, "ItOther"),
        };
        var prompts = new SimilarityPrompts(conditions, Antonyms.Train.Items, new HiddenSimilarityOptions { Seed = 3 });
        var capital = new SimilarityQuery(Capitals.Test.Items[0], Capitals.Train.Items);
        var antonymPool = Antonyms.Train.Items.Take(6).ToArray();
        var crossed = capital with { AdapterDemonstrations = antonymPool };
        for (var i = 0; i < 5; i++)
        {
            var shown = prompts.Prompt(0, capital, i).Demonstrations;
            Assert.Equal(3, shown.Count);
            Assert.All(shown, d => Assert.Contains(d, Capitals.Train.Items));
            // The adapter learns what the prompt shows, unless its pool is set for the condition or for the query.
            Assert.Equal(shown, prompts.TuningDemonstrations(1, capital, i));
            Assert.All(prompts.TuningDemonstrations(2, capital, i)!, d => Assert.Contains(d, Antonyms.Train.Items));
            Assert.All(prompts.TuningDemonstrations(1, crossed, i)!, d => Assert.Contains(d, antonymPool));
            Assert.All(prompts.TuningDemonstrations(2, crossed, i)!, d => Assert.Contains(d, antonymPool));
            Assert.Equal(shown, prompts.Prompt(0, crossed, i).Demonstrations);
        }
        Assert.Null(prompts.TuningDemonstrations(0, capital, 0));
        // A query without a pool of its own draws from the run's.
        Assert.All(prompts.Prompt(0, new SimilarityQuery(Capitals.Test.Items[0]), 0).Demonstrations, d => Assert.Contains(d, Antonyms.Train.Items));
    }

    [Fact]
    public void CentringSpansEveryQueryOfEveryTaskInOneMeasurement()
    {
        using var model = TestModels.Tiny(2, "gpt2-tiny");
        var queries = Capitals.Test.Items.Take(2).Select(q => new SimilarityQuery(q, Capitals.Train.Items))
            .Concat(Antonyms.Test.Items.Take(2).Select(q => new SimilarityQuery(q, Antonyms.Train.Items))).ToArray();
        var conditions = new[] { SimilarityCondition.ZeroShot(model, "Anchor"), SimilarityCondition.Icl(model, 2, "Icl") };
        var options = new HiddenSimilarityOptions { Seed = 4, BatchSize = 3, Centred = true };
        var result = HiddenSimilarity.Measure(conditions, queries, [], options);

        // Reference: every query's last-token states, one prompt at a time, centred on the mean over all queries and both conditions.
        var prompts = new SimilarityPrompts(conditions, [], options);
        var states = Enumerable.Range(0, queries.Length)
            .Select(i => new[] { LastTokenResiduals(model, prompts.Prompt(0, queries[i], i).Text), LastTokenResiduals(model, prompts.Prompt(1, queries[i], i).Text) })
            .ToArray();
        for (var l = 0; l < model.Config.Layers; l++)
        {
            var d = states[0][0][l].Length;
            var mean = new double[d];
            foreach (var q in states) foreach (var c in q) for (var j = 0; j < d; j++) mean[j] += c[l][j] / (2.0 * queries.Length);
            for (var i = 0; i < queries.Length; i++)
            {
                var row = result.Inputs.Single(r => r.Layer == l && r.InputIndex == i);
                var centred = Cosine(states[i][0][l].Select((v, j) => v - mean[j]).ToArray(), states[i][1][l].Select((v, j) => v - mean[j]).ToArray());
                // float32 forward passes, single prompts against a left-padded batch: agreement to 1e-4.
                Assert.Equal(centred, row.CentredCosine, 1e-4);
            }
        }
    }

    [Fact]
    public void TheSameSeedGivesTheSameNumbersAndAnotherPoolOthers()
    {
        using var model = TestModels.Tiny(1);
        var queries = Capitals.Test.Items.Take(3).ToArray();
        IReadOnlyList<HiddenSimilarityInputRow> Run(int seed, InstructionTuning tuning) => HiddenSimilarity.Measure(
            [SimilarityCondition.ZeroShot(model), SimilarityCondition.Icl(model, 2, "Icl"), SimilarityCondition.InstructionTuned(model, 2, tuning)],
            queries, Capitals.Train.Items, new HiddenSimilarityOptions { Seed = seed }).Inputs;
        var a = Run(1, Tuning);
        Assert.Equal(a, Run(1, Tuning));
        Assert.NotEqual(a.Where(r => r.Pair == "ZeroShot-InstructionTuned").Select(r => r.Cosine), Run(2, Tuning).Where(r => r.Pair == "ZeroShot-InstructionTuned").Select(r => r.Cosine));
        // The same pool given explicitly changes nothing; another map's demonstrations change only the tuned condition's pairs.
        Assert.Equal(a, Run(1, Tuning with { DemonstrationPool = Capitals.Train.Items }));
        var other = Run(1, Tuning with { DemonstrationPool = Antonyms.Train.Items, DemonstrationPoolName = "antonyms" });
        Assert.Equal(a.Where(r => r.Pair == "ZeroShot-Icl"), other.Where(r => r.Pair == "ZeroShot-Icl"));
        Assert.NotEqual(a.Where(r => r.Pair == "Icl-InstructionTuned").Select(r => r.Cosine), other.Where(r => r.Pair == "Icl-InstructionTuned").Select(r => r.Cosine));
    }

    [Fact]
    public void AdaptersAndActivationsAreFreedAfterEveryQuery()
    {
        using var model = TestModels.Tiny(1, "llama-tiny");
        var conditions = new[] { SimilarityCondition.ZeroShot(model), SimilarityCondition.InstructionTuned(model, 2, Tuning with { Steps = 2 }) };
        HiddenSimilarity.Compute(conditions, Capitals.Test.Items.Take(1).ToArray(), Capitals.Train.Items);   // lazily made buffers
        long Live(int queries)
        {
            var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            var liveDuring = new List<long>();
            HiddenSimilarity.Measure(conditions, Capitals.Test.Items.Take(queries).ToArray(), Capitals.Train.Items,
                new HiddenSimilarityOptions { BatchSize = 2, AdapterTuned = _ => liveDuring.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount) });
            // Within a run the count at each adapter's end may differ only by the batch's own tensors, never grow with queries.
            Assert.InRange(liveDuring.Max() - liveDuring.Min(), 0, 40);
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }
        Assert.Equal(0, Live(2));
        Assert.Equal(0, Live(6));
    }

    [Fact]
    public void RefusesAModelThatAlreadyCarriesAnAdapterAndTargetsItLacks()
    {
        using var model = TestModels.Tiny(1);
        var queries = Capitals.Test.Items.Take(1).ToArray();
        string Error(InstructionTuning tuning) => Assert.Throws<IclPsException>(() => HiddenSimilarity.Compute(
            [SimilarityCondition.ZeroShot(model), SimilarityCondition.InstructionTuned(model, 1, tuning)], queries, Capitals.Train.Items)).ErrorId;
        Assert.Equal(LoraErrorIds.NoTargetedModules, Error(Tuning with { TargetModules = ["q_proj"] }));
        Assert.Equal(LoraErrorIds.InvalidAdapterSettings, Error(Tuning with { Rank = 0 }));
        LoraAdapter.Create(model.Network, new LoraSettings { Rank = 2, Alpha = 2, TargetModules = ["c_attn"] }, 1).AttachTo(model.Network);
        Assert.Equal(LoraErrorIds.AdapterAlreadyAttached, Error(Tuning));
    }

    [Fact]
    public void RefusesToTruncatePromptsWhoseDemonstrationsAnAdapterLearns()
    {
        using var model = TestModels.Tiny(1);
        var e = Assert.Throws<IclPsException>(() => HiddenSimilarity.Compute([SimilarityCondition.ZeroShot(model), SimilarityCondition.InstructionTuned(model, 2, Tuning)],
            Capitals.Test.Items.Take(1).ToArray(), Capitals.Train.Items, new HiddenSimilarityOptions { TruncateLongPrompts = true }));
        Assert.Equal("TruncationWithTuning", e.ErrorId);
        HiddenSimilarity.ValidateConditions([SimilarityCondition.ZeroShot(model), SimilarityCondition.Icl(model, 2)], new HiddenSimilarityOptions { TruncateLongPrompts = true });
    }

    [Fact]
    public void AnAdapterThatDivergesLeavesItsQueryOutWithAHandlerAndEndsTheRunWithout()
    {
        using var model = TestModels.Tiny(1, "llama-tiny");
        var queries = Capitals.Test.Items.Take(3).ToArray();
        // A loss limit below any loss makes every adapter diverge at its first update.
        var conditions = new[] { SimilarityCondition.ZeroShot(model), SimilarityCondition.InstructionTuned(model, 3, Tuning with { MaxLoss = 1e-3 }) };
        Assert.Throws<TrainingDivergedException>(() => HiddenSimilarity.Measure(conditions, queries, Capitals.Train.Items));
        Assert.Null(model.Network.Adapter);

        var failed = new List<AdapterFailed>();
        var result = HiddenSimilarity.Measure(conditions, queries, Capitals.Train.Items, new HiddenSimilarityOptions { BatchSize = 2, Centred = true, AdapterFailed = failed.Add });
        Assert.Equal([0, 1, 2], failed.Select(f => f.InputIndex));
        Assert.Equal(queries.Select(q => q.Input), failed.Select(f => f.Input));
        Assert.All(failed, f => Assert.IsType<TrainingDivergedException>(f.Error));
        Assert.Empty(result.Inputs);
        Assert.All(result.Rows, r => Assert.Equal(0L, r.N));
        Assert.Null(model.Network.Adapter);
    }

    [Fact]
    public void AQueryWithoutAnExpectedOutputHasNoFirstTokenCorrectnessAndNoQueriesNoCentredCosine()
    {
        using var model = TestModels.Tiny(1);
        var conditions = new[] { SimilarityCondition.ZeroShot(model), SimilarityCondition.Icl(model, 2) };
        var result = HiddenSimilarity.Measure(conditions, [new IclExample("France", ""), Capitals.Test.Items[0]], Capitals.Train.Items);
        Assert.All(result.Inputs.Where(r => r.InputIndex == 0), r => Assert.Equal(((bool?)null, (bool?)null), (r.FirstTokenCorrectA, r.FirstTokenCorrectB)));
        Assert.All(result.Inputs.Where(r => r.InputIndex == 1), r => Assert.NotNull(r.FirstTokenCorrectA));

        var empty = HiddenSimilarity.Measure(conditions, Array.Empty<IclExample>(), Capitals.Train.Items, new HiddenSimilarityOptions { Centred = true });
        Assert.Empty(empty.Inputs);
        Assert.All(empty.Rows, r => Assert.True(double.IsNaN(r.MeanCentredCosine)));
    }

    [Fact]
    public void ContrastIsWilcoxonPerLayerWithHolmAcrossLayers()
    {
        // Layer 0: differences {1, 2, 3, -4, 5} (W+ = 11, n = 5, exact one-sided p = 7/32); layer 1: one zero difference
        // dropped and the rest positive (W+ = 10, n = 4, p = 1/16).
        double[] reference = [0.5, 0.4, 0.3, 0.9, 0.1];
        double[][] differences = [[1, 2, 3, -4, 5], [0, 1, 2, 3, 4]];
        var rows = new List<HiddenSimilarityInputRow>();
        for (var l = 0; l < 2; l++)
        {
            for (var i = 0; i < 5; i++)
            {
                rows.Add(new(l, HookNames.ResidPost(l), i, $"q{i}", "ZeroShot", "Icl", "ZeroShot-Icl", reference[i], double.NaN));
                rows.Add(new(l, HookNames.ResidPost(l), i, $"q{i}", "Icl", "It", "Icl-It", reference[i] + differences[l][i] / 10, double.NaN));
            }
        }
        var tests = HiddenSimilarityContrast.Test(rows, "Icl-It", "ZeroShot-Icl");
        Assert.Equal(2, tests.Count);
        var (first, second) = (tests[0], tests[1]);
        Assert.Equal(("Icl-It vs ZeroShot-Icl", 0, 5, 5, 0), (first.Contrast, first.Layer, first.Inputs, first.N, first.Zeros));
        Assert.Equal(11, first.WPlus);
        Assert.Equal(7.0 / 32, first.PValue, 1e-12);
        Assert.True(first.Exact);
        Assert.Equal(0.2, first.MedianDifference, 1e-12);
        Assert.Equal(0.14, first.MeanDifference, 1e-12);
        Assert.Equal((4, 1, 10.0), (second.N, second.Zeros, second.WPlus));
        Assert.Equal(1.0 / 16, second.PValue, 1e-12);
        // Holm over two layers: the smaller p doubled, the larger kept (and never below the first).
        Assert.Equal(2.0 / 16, second.PHolm, 1e-12);
        Assert.Equal(7.0 / 32, first.PHolm, 1e-12);
        Assert.Equal(Alternative.Greater, first.Alternative);
        // Less: P(W+ <= 11) = 1 - P(W+ >= 12) = 1 - (7 - 2) / 32, two of the 32 sign patterns giving exactly 11.
        Assert.Equal(27.0 / 32, HiddenSimilarityContrast.Test(rows, "Icl-It", "ZeroShot-Icl", Alternative.Less)[0].PValue, 1e-12);

        Assert.Equal("UnknownPair", Assert.Throws<IclPsException>(() => HiddenSimilarityContrast.Test(rows, "Icl-IT", "ZeroShot-Icl")).ErrorId);
        Assert.Equal("InvalidContrast", Assert.Throws<IclPsException>(() => HiddenSimilarityContrast.Test(rows, "Icl-It", "Icl-It")).ErrorId);
        Assert.Equal("NoMeasure", Assert.Throws<IclPsException>(() => HiddenSimilarityContrast.Test(rows, "Icl-It", "ZeroShot-Icl", measure: HiddenSimilarityContrast.CentredCosine)).ErrorId);
        // Rows of two measurements appended together repeat every index.
        Assert.Equal("DuplicateInputs", Assert.Throws<IclPsException>(() => HiddenSimilarityContrast.Test([.. rows, .. rows], "Icl-It", "ZeroShot-Icl")).ErrorId);
    }
}
