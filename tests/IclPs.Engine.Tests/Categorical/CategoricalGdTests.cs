using IclPs.Engine.Native;
using IclPs.Engine.Regression.Categorical;
using TorchSharp;
using static IclPs.Engine.Tests.Categorical.CategoricalReference;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Categorical;

/// <summary>The categorical functional-GD models (docs/science.md §4) against an explicit float64 recursion, and the checks that fail when they are wrong.</summary>
public class CategoricalGdTests
{
    private static readonly CategoricalTaskSettings Settings = new() { ContextPoints = 40, DataSeed = 7 };

    public CategoricalGdTests() => TorchNativeLoader.EnsureLoaded();

    public static TheoryData<string, int, bool> KernelsLayersErasers()
    {
        var data = new TheoryData<string, int, bool>();
        foreach (var kernel in new[] { "softmax", "linear", "rbf" })
            for (var layers = 1; layers <= 4; layers++)
                foreach (var authors in new[] { false, true }) data.Add(kernel, layers, authors);
        return data;
    }

    [Theory]
    [MemberData(nameof(KernelsLayersErasers))]
    public void GdModelMatchesTheExplicitRecursion(string kernel, int layers, bool authorsEraser)
    {
        using var tasks = new CategoricalTasks(Settings);
        using var batch = tasks.Sample(4, seed: 11, ScalarType.Float64);
        using var model = GdModel(layers, kernel, authorsEraser, beta: 0.7);
        var logits = ToRows(model.QueryLogits(batch.X, batch.Labels));
        var (x, labels) = (ToContexts(batch.X), ToLabels(batch.Labels));
        var embedding = ToMatrix(model.Embedding);
        var alpha = ToMatrix(model.Alpha);
        var alphaRows = Enumerable.Range(0, layers).Select(l => Enumerable.Range(0, Settings.EmbeddingDim).Select(k => alpha[l, k]).ToArray()).ToArray();
        for (var b = 0; b < batch.Count; b++)
        {
            var expected = QueryLogits(x[b], labels[b], embedding, alphaRows, 0.7, kernel, authorsEraser);
            for (var c = 0; c < Settings.Categories; c++) Assert.Equal(expected[c], logits[b][c], 1e-10);
        }
    }

    [Fact]
    public void TheTwoErasersAgreeAtOneLayerAndDifferFromTheSecond()
    {
        using var tasks = new CategoricalTasks(Settings);
        using var batch = tasks.Sample(16, seed: 12, ScalarType.Float64);
        double MaxDifference(int layers)
        {
            using var exact = GdModel(layers, "softmax", false, 1.3);
            using var authors = GdModel(layers, "softmax", true, 1.3);
            return (exact.QueryLogits(batch.X, batch.Labels) - authors.QueryLogits(batch.X, batch.Labels)).abs().max().item<double>();
        }
        // The E written by a block's eraser first feeds the GD step of the next block, and only the second block's can
        // subtract another token's E (in the first every E is the mean embedding): the logits differ from three blocks on.
        Assert.True(MaxDifference(1) < 1e-12);
        Assert.True(MaxDifference(2) < 1e-12);
        Assert.True(MaxDifference(3) > 1e-3);
        // The authors' head picks argmax_j x_i.x_j, which for U(-1, 1)^10 inputs is sometimes another, longer x_j.
        var share = CategoricalKernels.OtherTokenShare(batch.X);
        Assert.InRange(share, 0.01, 0.5);
    }

    [Fact]
    public void AlphaZeroGivesLossExactlyLnC()
    {
        using var tasks = new CategoricalTasks(Settings);
        using var batch = tasks.Sample(64, seed: 13, ScalarType.Float64);
        using var model = GdModel(3, "softmax", false, 1.0);
        using (no_grad()) model.Alpha.zero_();
        var loss = model.Loss(batch).item<double>();
        Assert.Equal(Math.Log(25), loss, 15);
        Assert.Equal(Math.Log(25), CategoricalEvaluator.Score(model, batch).Nll, 15);
    }

    public static TheoryData<string, int> KernelsAndLayers()
    {
        var data = new TheoryData<string, int>();
        foreach (var kernel in new[] { "softmax", "linear", "rbf" })
            for (var layers = 1; layers <= 3; layers++) data.Add(kernel, layers);
        return data;
    }

    [Theory]
    [MemberData(nameof(KernelsAndLayers))]
    public void TransformerSetToTheConstructionGivesTheGdLogits(string kernel, int layers)
    {
        using var tasks = new CategoricalTasks(Settings);
        using var batch = tasks.Sample(8, seed: 14, ScalarType.Float64);
        using var gd = GdModel(layers, kernel, authorsEraser: true, beta: 0.8);
        using var tf = CategoricalTransformerModel.FromGd(gd);
        using var expected = gd.QueryLogits(batch.X, batch.Labels);
        using var actual = tf.QueryLogits(batch.X, batch.Labels);
        Assert.True((expected - actual).abs().max().item<double>() < 1e-10 * Math.Max(1, expected.abs().max().item<double>()));
        // Every token, not only the query: the whole residual stream is the construction's.
        using var all = (gd.Forward(batch.X, batch.Labels) - tf.Forward(batch.X, batch.Labels)).abs().max();
        Assert.True(all.item<double>() < 1e-9);
    }

    [Fact]
    public void TheExactEraserHasNoTransformerCounterpartBeyondTwoLayers()
    {
        using var tasks = new CategoricalTasks(Settings);
        using var batch = tasks.Sample(8, seed: 19, ScalarType.Float64);
        foreach (var layers in new[] { 1, 2 })
        {
            using var exact = GdModel(layers, "softmax", authorsEraser: false, 1.0);
            using var tf = CategoricalTransformerModel.FromGd(exact);
            Assert.True((exact.QueryLogits(batch.X, batch.Labels) - tf.QueryLogits(batch.X, batch.Labels)).abs().max().item<double>() < 1e-10);
        }
        using var three = GdModel(3, "softmax", authorsEraser: false, 1.0);
        var e = Assert.Throws<IclPsException>(() => CategoricalTransformerModel.FromGd(three));
        Assert.Equal(CategoricalErrorIds.NotRepresentable, e.ErrorId);
    }

    [Fact]
    public void CrossAttentionEqualsSoftmaxOfWeTimesFTimesWe()
    {
        using var gd = GdModel(2, "softmax", authorsEraser: true, 1.0);
        using var tf = CategoricalTransformerModel.FromGd(gd);
        var generator = new Generator(15);
        using var h = randn(new long[] { 3, 41, Settings.Width }, ScalarType.Float64, generator: generator);
        var z = gd.Tokens;
        using var direct = nn.functional.softmax(z.Function(h).matmul(gd.Embedding), -1).matmul(gd.Embedding.t());     // [b, T, d']
        foreach (var model in new CategoricalAttentionModel[] { gd, tf })
        {
            using var update = model.CrossAttentionUpdate(1, h);
            Assert.True((z.Expectation(update) - direct).abs().max().item<double>() < 1e-12);
            Assert.Equal(0.0, z.X(update).abs().max().item<double>());
            Assert.Equal(0.0, z.Label(update).abs().max().item<double>());
            Assert.Equal(0.0, z.Function(update).abs().max().item<double>());
        }
        // By hand for one token: E = sum_c softmax_c(w_c.f) w_c.
        var f = ToRows(z.Function(h).select(0, 0))[5];
        var we = ToMatrix(gd.Embedding);
        var p = Softmax(Enumerable.Range(0, Settings.Categories).Select(c => Enumerable.Range(0, Settings.EmbeddingDim).Sum(k => f[k] * we[k, c])).ToArray());
        var expected = ToRows(direct.select(0, 0))[5];
        for (var k = 0; k < Settings.EmbeddingDim; k++)
            Assert.Equal(Enumerable.Range(0, Settings.Categories).Sum(c => p[c] * we[k, c]), expected[k], 1e-12);
    }

    [Fact]
    public void GeneratedLabelsFollowSoftmaxOfTheDataEmbedding()
    {
        using var tasks = new CategoricalTasks(Settings);
        using var draw = tasks.Draw(1024, seed: 16);
        // p recomputed from the drawn f and W_e^data.
        using var p = nn.functional.softmax(draw.F.matmul(tasks.DataEmbedding), -1);
        Assert.True((p - draw.Probabilities).abs().max().item<double>() < 1e-12);
        // Chi-square of the rank of each point's label among its own probabilities: conditional on x, not only the marginal.
        var ranks = RankChiSquare(draw.Probabilities, draw.Labels);
        Assert.True(ranks < 51.18, $"chi-square {ranks:0.0} over 24 dof (0.1% critical value 51.18)");
        // Marginal category counts against the summed probabilities.
        var counts = Counts(draw.Labels.reshape(-1), Settings.Categories);
        var expected = ToDoubles(draw.Probabilities.reshape(-1, Settings.Categories).sum(0));
        var marginal = counts.Zip(expected, (o, e) => (o - e) * (o - e) / e).Sum();
        Assert.True(marginal < 51.18, $"chi-square {marginal:0.0}");
        // Control: the same labels against the neighbouring context's probabilities fail the rank test.
        using var shifted = draw.Probabilities.roll(1, 0);
        Assert.True(RankChiSquare(shifted, draw.Labels) > 500);
    }

    [Fact]
    public void WidthRuleHoldsExactlyAndCategoriesAreDistinct()
    {
        using var tasks = new CategoricalTasks(Settings);
        using var draw = tasks.Draw(300, seed: 17);
        var k = Settings.Clusters;
        using var between = (draw.Centres.unsqueeze(2) - draw.Centres.unsqueeze(1)).square().sum(-1);                  // [b, k, k]
        using var rbf = (-between / draw.SquaredWidths.unsqueeze(2)).exp() - eye(k, dtype: ScalarType.Float64) * 10;     // self excluded
        var nearest = ToDoubles(rbf.amax(new long[] { 2 }));
        Assert.All(nearest, v => Assert.Equal(0.1, v, 1e-12));
        var categories = ToDoubles(draw.Categories.to(ScalarType.Float64));
        for (var b = 0; b < 300; b++) Assert.Equal(k, categories.Skip(b * k).Take(k).Distinct().Count());
        // f = lambda sum_j rbf_j w_{c_j}, recomputed for one point.
        var x = ToContexts(draw.X)[3][7];
        var mu = ToContexts(draw.Centres)[3];
        var widths = ToRows(draw.SquaredWidths)[3];
        var we = ToMatrix(tasks.DataEmbedding);
        var f = ToContexts(draw.F)[3][7];
        for (var e = 0; e < Settings.EmbeddingDim; e++)
        {
            var value = 10 * Enumerable.Range(0, k).Sum(j => Math.Exp(-SquaredDistance(x, mu[j]) / widths[j]) * we[e, (int)categories[3 * k + j]]);
            Assert.Equal(value, f[e], 1e-10);
        }
        Assert.True(ToDoubles(draw.X).All(v => v >= -1 && v <= 1));
    }

    [Fact]
    public void SetsAreFixedNestedAndDisjoint()
    {
        using var tasks = new CategoricalTasks(Settings);
        using var small = tasks.Sample(CategoricalDataSplit.Train, 300, ScalarType.Float64);
        using var large = tasks.Sample(CategoricalDataSplit.Train, 600, ScalarType.Float64);
        using var validation = tasks.Sample(CategoricalDataSplit.Validation, 300, ScalarType.Float64);
        Assert.True(small.X.eq(large.X.narrow(0, 0, 300)).all().item<bool>());
        Assert.True(small.Labels.eq(large.Labels.narrow(0, 0, 300)).all().item<bool>());
        Assert.True((small.X - validation.X).abs().max().item<double>() > 0.1);
        using var again = new CategoricalTasks(Settings);
        using var repeat = again.Sample(CategoricalDataSplit.Train, 300, ScalarType.Float64);
        Assert.True(small.X.eq(repeat.X).all().item<bool>());
        Assert.NotEqual(tasks.SplitSeed(CategoricalDataSplit.Train), tasks.SplitSeed(CategoricalDataSplit.Evaluation));
    }

    [Theory]
    [InlineData("softmax")]
    [InlineData("linear")]
    [InlineData("rbf")]
    public void AlphaAndBetaGradientsMatchCentralDifferences(string kernel)
    {
        using var tasks = new CategoricalTasks(Settings);
        using var batch = tasks.Sample(16, seed: 18, ScalarType.Float64);
        using var model = GdModel(2, kernel, authorsEraser: false, beta: 0.9);
        model.zero_grad();
        model.Loss(batch).backward();
        var alphaGrad = ToDoubles(model.Alpha.grad!);
        var betaGrad = model.Beta.grad!.item<double>();
        double Loss()
        {
            using var noGrad = no_grad();
            return model.Loss(batch).item<double>();
        }
        double Central(Tensor p, long index)
        {
            const double h = 1e-6;
            var flat = p.view(-1);
            double At(double delta)
            {
                using (no_grad()) flat[index] = flat[index] + delta;
                var value = Loss();
                using (no_grad()) flat[index] = flat[index] - delta;
                return value;
            }
            return (At(h) - At(-h)) / (2 * h);
        }
        for (var i = 0; i < alphaGrad.Length; i++) Assert.Equal(Central(model.Alpha, i), alphaGrad[i], 1e-6);
        Assert.Equal(Central(model.Beta, 0), betaGrad, 1e-6);
        Assert.True(Math.Abs(betaGrad) > 1e-6);
    }

    [Fact]
    public void TheBayesCeilingIsAboveATrainedGdModelOnTheSameContexts()
    {
        var settings = Settings with { DataSeed = 3 };
        using var tasks = new CategoricalTasks(settings);
        using var model = CategoricalAttentionModel.Create(CategoricalModelConfig.For(CategoricalModelKind.Gd, 1, CategoricalKernel.Softmax, null, settings), seed: 1);
        var result = new CategoricalTrainer(tasks, model, new CategoricalTrainingOptions
        {
            Steps = 120, BatchSize = 128, LearningRate = 0.02, TrainContexts = 1024, ValidationContexts = 256, EvaluateEvery = 40,
        }).Train();
        using var evaluation = tasks.Sample(CategoricalDataSplit.Evaluation, 2048);
        var gd = CategoricalEvaluator.Score(model, evaluation);
        var bayes = CategoricalEvaluator.Bayes(evaluation);
        Assert.True(gd.Accuracy > 2.0 / 25, $"the GD model learned something: {gd.Accuracy:0.000}");
        Assert.True(bayes.Accuracy > gd.Accuracy, $"Bayes {bayes.Accuracy:0.000} vs GD {gd.Accuracy:0.000}");
        Assert.True(bayes.Nll < gd.Nll, $"Bayes NLL {bayes.Nll:0.000} vs GD {gd.Nll:0.000}");
        Assert.InRange(CategoricalEvaluator.BayesExpectedAccuracy(evaluation), bayes.Accuracy - 0.05, bayes.Accuracy + 0.05);
        Assert.Equal(120, result.FinalStep);
    }

    [Fact]
    public void BadSettingsNameTheValue()
    {
        IclPsException Fails(Action a) => Assert.Throws<IclPsException>(a);
        var e = Fails(() => (Settings with { ContextPoints = 3 }).Validate());
        Assert.Equal(CategoricalErrorIds.TooFewContextPoints, e.ErrorId);
        Assert.Equal(3, e.Target);
        e = Fails(() => (Settings with { Clusters = 30 }).Validate());
        Assert.Equal(CategoricalErrorIds.TooManyClusters, e.ErrorId);
        e = Fails(() => CategoricalModelConfig.For(CategoricalModelKind.Gd, 0, CategoricalKernel.Softmax, null, Settings).Validate());
        Assert.Equal(CategoricalErrorIds.InvalidLayers, e.ErrorId);
        Assert.Equal(0, e.Target);
        e = Fails(() => CategoricalChoices.Kernel("cosine"));
        Assert.Equal(CategoricalErrorIds.UnknownKernel, e.ErrorId);
        Assert.Equal("cosine", e.Target);
        e = Fails(() => CategoricalChoices.Kernel("1"));
        Assert.Equal(CategoricalErrorIds.UnknownKernel, e.ErrorId);
        e = Fails(() => CategoricalModelConfig.For(CategoricalModelKind.Transformer, 2, CategoricalKernel.Softmax, CategoricalEraser.Exact, Settings).Validate());
        Assert.Equal(CategoricalErrorIds.UnknownEraser, e.ErrorId);
    }

    private static CategoricalGdModel GdModel(int layers, string kernel, bool authorsEraser, double beta)
    {
        var config = CategoricalModelConfig.For(CategoricalModelKind.Gd, layers, CategoricalChoices.Kernel(kernel),
            authorsEraser ? CategoricalEraser.Authors : CategoricalEraser.Exact, Settings);
        var model = new CategoricalGdModel(config, seed: 5 + layers, ScalarType.Float64);
        using (no_grad()) model.Beta.fill_(beta);
        return model;
    }

    private static double RankChiSquare(Tensor probabilities, Tensor labels)
    {
        // Plain arrays: for every point, the rank of its label among its own probabilities (0 = most probable).
        var c = (int)probabilities.size(-1);
        var p = ToDoubles(probabilities.reshape(-1, c));
        var y = labels.reshape(-1).to(ScalarType.Int64).contiguous().data<long>().ToArray();
        var observed = new double[c];
        var expected = new double[c];
        for (var i = 0; i < y.Length; i++)
        {
            var row = p.AsSpan(i * c, c).ToArray();
            var order = Enumerable.Range(0, c).OrderByDescending(k => row[k]).ToArray();
            for (var r = 0; r < c; r++) expected[r] += row[order[r]];
            observed[Array.IndexOf(order, (int)y[i])]++;
        }
        // Ranks whose expected count is small are pooled into the last bin (chi-square needs expected counts of about 5).
        var pooled = new List<(double O, double E)>();
        var (o, e) = (0.0, 0.0);
        for (var r = 0; r < c; r++)
        {
            (o, e) = (o + observed[r], e + expected[r]);
            if (e >= 5 && r < c - 1) { pooled.Add((o, e)); (o, e) = (0, 0); }
        }
        if (e > 0) pooled.Add((o, e));
        return pooled.Sum(b => (b.O - b.E) * (b.O - b.E) / b.E);
    }

    private static double[] Counts(Tensor values, int bins)
    {
        var counts = new double[bins];
        foreach (var v in values.to(ScalarType.Int64).contiguous().data<long>().ToArray()) counts[v]++;
        return counts;
    }

    internal static double[] ToDoubles(Tensor t) => t.detach().to(ScalarType.Float64, CPU).contiguous().data<double>().ToArray();

    private static double[][] ToRows(Tensor t)
    {
        var values = ToDoubles(t);
        var width = (int)t.shape[^1];
        return Enumerable.Range(0, values.Length / width).Select(r => values.Skip(r * width).Take(width).ToArray()).ToArray();
    }

    private static double[][][] ToContexts(Tensor t)
    {
        var rows = ToRows(t);
        var per = (int)t.shape[1];
        return Enumerable.Range(0, (int)t.shape[0]).Select(b => rows.Skip(b * per).Take(per).ToArray()).ToArray();
    }

    private static long[][] ToLabels(Tensor labels)
    {
        var values = labels.to(ScalarType.Int64).contiguous().data<long>().ToArray();
        var per = (int)labels.shape[1];
        return Enumerable.Range(0, (int)labels.shape[0]).Select(b => values.Skip(b * per).Take(per).ToArray()).ToArray();
    }

    private static double[,] ToMatrix(Tensor t)
    {
        var rows = ToRows(t);
        var m = new double[rows.Length, rows[0].Length];
        for (var i = 0; i < rows.Length; i++)
            for (var j = 0; j < rows[0].Length; j++) m[i, j] = rows[i][j];
        return m;
    }
}
