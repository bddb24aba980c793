using IclPs.Engine.Analysis;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Prompting;
using IclPs.Engine.Tests.Data;
using IclPs.Engine.Tests.Prompting;
using static TorchSharp.torch;

using static IclPs.Engine.Tests.Analysis.ResidualReference;

namespace IclPs.Engine.Tests.Analysis;

public class HiddenSimilarityTests
{
    private static readonly IclDatasetSplit Capitals = DatasetLoader.LoadJson(TestData.FunctionVectors("country-capital.json")).Split(0.7, 0.0, seed: 2);

    public HiddenSimilarityTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void RowCosinesOfKnownVectors()
    {
        using var a = tensor(new float[] { 1, 0, 3, 4, 1, 2 }, new long[] { 3, 2 });
        using var b = tensor(new float[] { 1, 1, 4, 3, -2, -4 }, new long[] { 3, 2 });
        using var cos = HiddenSimilarity.RowCosines(a, b);
        Assert.Equal(ScalarType.Float64, cos.dtype);
        var values = cos.data<double>().ToArray();
        Assert.Equal(1 / Math.Sqrt(2), values[0], 1e-12);
        Assert.Equal(24.0 / 25.0, values[1], 1e-12);
        Assert.Equal(-1.0, values[2], 1e-12);
    }

    [Fact]
    public void IdenticalConditionsHaveCosineOneAndNoSpread()
    {
        using var model = TestModels.Tiny(1);
        var conditions = new[] { SimilarityCondition.ZeroShot(model), SimilarityCondition.OtherModel(model, "Same") };
        var rows = HiddenSimilarity.Compute(conditions, Capitals.Test.Items.Take(10).ToArray(), Capitals.Train.Items, new HiddenSimilarityOptions { BatchSize = 4 });

        Assert.Equal(model.Config.Layers, rows.Count);
        Assert.Equal(Enumerable.Range(0, model.Config.Layers), rows.Select(r => r.Layer));
        Assert.All(rows, r =>
        {
            Assert.Equal(("ZeroShot", "Same", 10L), (r.ConditionA, r.ConditionB, r.N));
            Assert.Equal(1.0, r.MeanCosine, 1e-9);
            Assert.InRange(r.StdCosine, 0, 1e-9);
            Assert.Equal(HookNames.ResidPost(r.Layer), r.Hook);
        });
    }

    [Fact]
    public void MatchesAnIndependentPerQueryComputation()
    {
        using var baseModel = TestModels.Tiny(1);
        using var tuned = TestModels.Tiny(2);
        var queries = Capitals.Test.Items.Take(7).ToArray();
        var format = PromptFormat.QuestionAnswer;
        var conditions = new[] { SimilarityCondition.ZeroShot(baseModel, "Anchor"), SimilarityCondition.Icl(baseModel, 3), SimilarityCondition.OtherModel(tuned, "IT") };
        var progress = new List<IclRunProgress>();
        var rows = HiddenSimilarity.Compute(conditions, queries, Capitals.Train.Items, new HiddenSimilarityOptions { Format = format, Seed = 5, BatchSize = 3, Progress = progress.Add });
        Assert.Equal(new[] { 3, 6, 7 }, progress.Select(p => p.Completed));

        // Reference: each prompt alone (no padding), cosines in plain doubles, two-pass mean and sd.
        var layers = baseModel.Config.Layers;
        var builder = new FewShotPromptBuilder(format, Capitals.Train.Items, 3, 5);
        var vectors = new double[3][][][];   // [condition][query][layer][d]
        for (var c = 0; c < 3; c++)
        {
            vectors[c] = queries.Select((q, i) =>
            {
                var text = conditions[c].Shots == 0 ? format.FormatInput(q.Input) : builder.Build(q, i).Text;
                return LastTokenResiduals(conditions[c].Model, text);
            }).ToArray();
        }
        var pairs = new[] { (0, 1), (0, 2), (1, 2) };
        Assert.Equal(layers * pairs.Length, rows.Count);
        foreach (var row in rows)
        {
            var (a, b) = pairs[Array.FindIndex(pairs, p => conditions[p.Item1].Name == row.ConditionA && conditions[p.Item2].Name == row.ConditionB)];
            var cosines = Enumerable.Range(0, queries.Length).Select(i => Cosine(vectors[a][i][row.Layer], vectors[b][i][row.Layer])).ToArray();
            var mean = cosines.Average();
            var sd = Math.Sqrt(cosines.Sum(x => (x - mean) * (x - mean)) / (cosines.Length - 1));
            Assert.Equal(7, row.N);
            Assert.Equal(mean, row.MeanCosine, 1e-5);
            Assert.Equal(sd, row.StdCosine, 1e-5);
            Assert.Equal(conditions[a].Description, row.DescriptionA);
        }
        // Different models and prompts really differ, so the comparison above is not 1 == 1.
        Assert.Contains(rows, r => r.MeanCosine < 0.99);
    }

    [Fact]
    public void BadConditionsAreRejected()
    {
        using var tiny = TestModels.Tiny(1);
        using var mini = TestModels.Tiny(1, "gpt2-mini");
        var queries = Capitals.Test.Items.Take(2).ToArray();
        string Error(params SimilarityCondition[] conditions) =>
            Assert.Throws<IclPsException>(() => HiddenSimilarity.Compute(conditions, queries, Capitals.Train.Items)).ErrorId;

        Assert.Equal("NotEnoughConditions", Error(SimilarityCondition.ZeroShot(tiny)));
        Assert.Equal("DuplicateConditionName", Error(SimilarityCondition.ZeroShot(tiny), SimilarityCondition.OtherModel(tiny, "zeroshot")));
        Assert.Equal("IncompatibleModels", Error(SimilarityCondition.ZeroShot(tiny), SimilarityCondition.OtherModel(mini, "Mini")));
        Assert.Equal("NotEnoughExamples", Assert.Throws<IclPsException>(() =>
            HiddenSimilarity.Compute(new[] { SimilarityCondition.ZeroShot(tiny), SimilarityCondition.Icl(tiny, 5) }, queries, Capitals.Train.Items.Take(3).ToArray())).ErrorId);
    }
}
