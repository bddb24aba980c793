using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Baselines;
using IclPs.Engine.Regression.Evaluation;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.RegressionEvaluation;

public sealed class RegressionEvaluatorTests : IDisposable
{
    private const int D = 4, K = 8;
    private readonly LinearTaskFamily _family = new(D, noiseVariance: 0.25, poolSize: 3, taskSeed: 11);

    public RegressionEvaluatorTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose() => _family.Dispose();

    private IReadOnlyList<IRegressionBaseline> AllBaselines() =>
        [new RidgeBaseline(0.25), DmmseBaseline.For(_family), new LeastSquaresBaseline(), new NearestNeighboursBaseline(), new AveragingBaseline()];

    private static RegressionModel RandomTinyModel(long seed = 3) =>
        (RegressionModel)TransformerModel.Create(ModelConfig.RegressionPresets["regression-tiny"], CPU, seed: seed);

    [Fact]
    public void A_model_that_is_ridge_has_delta_zero_to_ridge_and_the_direct_deltas_to_the_others()
    {
        var options = new RegressionEvaluationOptions { Samples = 300, BatchSize = 128, Seed = 5, Baselines = AllBaselines() };
        var evaluator = new RegressionEvaluator(_family, K, options);
        var result = evaluator.Evaluate([("ridge-as-model", new RidgeBaseline(0.25))]);

        Assert.Equal(2 * K * (1 + options.Baselines.Count), result.Rows.Count);
        Assert.Equal(2, result.Summaries.Count);
        foreach (var summary in result.Summaries)
        {
            Assert.Equal(0.0, summary.DeltaRidge);
            Assert.Equal(summary.RidgeError!.Value, summary.ModelError, 12);
            Assert.Null(summary.DeltaLasso);

            // Independent reference: the whole sample at once, through RegressionMetrics.
            using var batch = evaluator.Draw(summary.TaskSource);
            using var ridge = new RidgeBaseline(0.25).Predict(batch.X, batch.Y);
            using var dmmse = DmmseBaseline.For(_family).Predict(batch.X, batch.Y);
            using var averaging = new AveragingBaseline().Predict(batch.X, batch.Y);
            Assert.Equal(RegressionMetrics.Delta(ridge, dmmse, D), summary.DeltaDmmse!.Value, 12);
            // The baselines' own distance, accumulated over batches like the model's, against the whole sample at once.
            Assert.Equal(RegressionMetrics.Delta(ridge, dmmse, D), summary.DeltaRidgeDmmse!.Value, 12);
            Assert.Equal(RegressionMetrics.Delta(ridge, averaging, D), summary.DeltaAveraging!.Value, 12);
            Assert.Equal(RegressionMetrics.ErrorPerPosition(ridge, batch.Y, D).Average(), summary.ModelError, 12);
            var dmmseRows = result.Rows.Where(r => r.TaskSource == summary.TaskSource && r.Method == "dmmse").OrderBy(r => r.Position).ToList();
            AssertClose(RegressionMetrics.DeltaPerPosition(ridge, dmmse, D), dmmseRows.Select(r => r.Delta!.Value));
            AssertClose(RegressionMetrics.ErrorPerPosition(dmmse, batch.Y, D), dmmseRows.Select(r => r.Error));
        }
        Assert.All(result.Rows.Where(r => r.Method == "ridge"), r => Assert.Equal(0.0, r.Delta));
        Assert.All(result.Rows.Where(r => r.Method == "model"), r => Assert.Null(r.Delta));
    }

    [Fact]
    public void A_model_with_a_zero_read_out_scores_about_one_plus_noise_over_d_everywhere()
    {
        using var model = RandomTinyModel();
        using (no_grad())
        {
            foreach (var (name, p) in model.CheckpointTensors().Where(t => t.Name.StartsWith("read_out.", StringComparison.Ordinal))) p.zero_();
        }
        using var fresh = new LinearTaskFamily(D, noiseVariance: 0.25);
        var result = new RegressionEvaluator(fresh, K, new() { Samples = 4000, BatchSize = 1000, Baselines = [new RidgeBaseline(0.25)] })
            .Evaluate("zero", model);
        // E[y^2] / D = (E|w|^2 + sigma^2) / D = 1 + 0.25/4 for w ~ N(0, I); sampling error of 4000 sequences is about 0.03.
        var expected = 1 + 0.25 / D;
        foreach (var row in result.Rows.Where(r => r.Method == "model")) Assert.InRange(row.Error, expected - 0.1, expected + 0.1);
        // Every baseline predicts 0 for the first point too: the same numbers exactly.
        foreach (var source in new[] { RegressionTaskSource.Pretrain, RegressionTaskSource.Fresh })
        {
            var first = result.Rows.Where(r => r.TaskSource == source && r.Position == 1).ToDictionary(r => r.Method);
            Assert.Equal(first["ridge"].Error, first["model"].Error, 12);
            Assert.Equal(0.0, first["ridge"].Delta!.Value, 12);
        }
        // Without dMMSE there is no distance between the two baselines to report.
        Assert.All(result.Summaries, s => Assert.Null(s.DeltaRidgeDmmse));
    }

    [Fact]
    public void Batch_size_does_not_change_the_results()
    {
        using var model = RandomTinyModel();
        RegressionEvaluationResult Run(int batchSize) =>
            new RegressionEvaluator(_family, K, new() { Samples = 60, BatchSize = batchSize, Seed = 9, Baselines = AllBaselines() }).Evaluate("m", model);
        var (whole, pieces) = (Run(60), Run(7));
        Assert.Equal(whole.Rows.Count, pieces.Rows.Count);
        foreach (var (a, b) in whole.Rows.Zip(pieces.Rows))
        {
            Assert.Equal((a.Model, a.TaskSource, a.Position, a.Method), (b.Model, b.TaskSource, b.Position, b.Method));
            Assert.Equal(a.Error, b.Error, 1e-6 * Math.Max(1, a.Error));
            Assert.Equal(a.Delta ?? 0, b.Delta ?? 0, 1e-6 * Math.Max(1, a.Delta ?? 0));
        }
    }

    [Fact]
    public void The_same_seed_reproduces_and_another_seed_draws_other_sequences()
    {
        using var model = RandomTinyModel();
        double[] Errors(long seed) => new RegressionEvaluator(_family, K, new() { Samples = 40, Seed = seed, Baselines = [new RidgeBaseline(0.25)] })
            .Evaluate("m", model).Rows.Select(r => r.Error).ToArray();
        Assert.Equal(Errors(1), Errors(1));
        Assert.NotEqual(Errors(1), Errors(2));
    }

    [Fact]
    public void Pretrain_sequences_use_pool_tasks_and_fresh_ones_do_not()
    {
        var evaluator = new RegressionEvaluator(_family, K, new() { Samples = 50 });
        using var pretrain = evaluator.Draw(RegressionTaskSource.Pretrain);
        using var fresh = evaluator.Draw(RegressionTaskSource.Fresh);
        using var pool = _family.Pool!.unsqueeze(0);                                   // [1, M, D]
        // Distance of each sequence's task to its nearest pool task.
        double Nearest(RegressionBatch b) => (b.Weights!.unsqueeze(1) - pool).square().sum(-1).min(1).values.max().item<double>();
        Assert.Equal(0.0, Nearest(pretrain), 12);
        Assert.True(Nearest(fresh) > 0.1);
        Assert.NotNull(pretrain.TaskIndex);
        Assert.Null(fresh.TaskIndex);
    }

    [Fact]
    public void Summary_deltas_are_the_means_of_the_per_position_deltas()
    {
        using var model = RandomTinyModel();
        var result = new RegressionEvaluator(_family, K, new() { Samples = 30, Baselines = AllBaselines() }).Evaluate("m", model);
        foreach (var s in result.Summaries)
        {
            double MeanDelta(string method) => result.Rows.Where(r => r.TaskSource == s.TaskSource && r.Method == method).Average(r => r.Delta!.Value);
            Assert.Equal(MeanDelta("ridge"), s.DeltaRidge!.Value, 12);
            Assert.Equal(MeanDelta("dmmse"), s.DeltaDmmse!.Value, 12);
            Assert.Equal(MeanDelta("least-squares"), s.DeltaLeastSquares!.Value, 12);
            Assert.Equal(MeanDelta("3-nn"), s.DeltaNearestNeighbours!.Value, 12);
            Assert.Equal(result.Rows.Where(r => r.TaskSource == s.TaskSource && r.Method == "model").Average(r => r.Error), s.ModelError, 12);
            Assert.Equal((30, D, K), (s.Samples, s.Dimension, s.Points));
        }
    }

    [Fact]
    public void Bad_options_and_a_too_narrow_model_name_the_problem()
    {
        var e = Assert.Throws<IclPsException>(() => new RegressionEvaluator(_family, K, new() { Samples = 0 }));
        Assert.Equal(RegressionErrorIds.InvalidOption, e.ErrorId);
        e = Assert.Throws<IclPsException>(() => new RegressionEvaluator(_family, K, new() { Sources = ["true"] }));
        Assert.Equal("true", e.Target);
        using var model = RandomTinyModel();                                           // d_in 5: D <= 4 only
        using var wide = new LinearTaskFamily(dimension: 6);
        e = Assert.Throws<IclPsException>(() => new RegressionEvaluator(wide, K, new() { Samples = 2 }).Evaluate("m", model));
        Assert.Equal("RegressionModelTooSmall", e.ErrorId);
    }

    private static void AssertClose(IReadOnlyList<double> expected, IEnumerable<double> actual)
    {
        var got = actual.ToArray();
        Assert.Equal(expected.Count, got.Length);
        for (var i = 0; i < got.Length; i++) Assert.Equal(expected[i], got[i], 12);
    }
}
