using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Baselines;
using IclPs.Engine.Regression.Prompting;
using IclPs.Engine.Regression.Runs;
using static IclPs.Engine.Tests.Regression.RegressionReference;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Regression;

public sealed class RegressionPromptTests : IDisposable
{
    // regression-tiny: d_in 5 (D <= 4), context 64 (K <= 32).
    private readonly IclRegressionModel _model;

    public RegressionPromptTests()
    {
        TorchNativeLoader.EnsureLoaded();
        _model = IclRegressionModel.CreateRandom(ModelConfig.RegressionPresets["regression-tiny"], 1, "tiny", "preset:regression-tiny seed:1");
    }

    public void Dispose() => _model.Dispose();

    private static RegressionPrompt Prompt(int index, int seed, int points, int d, bool withExpected)
    {
        var (x, y) = RandomPairs(seed, 1, points, d);
        return RegressionPrompt.Create(index, x[0], withExpected ? y[0] : y[0][..^1]);
    }

    /// <summary>The model's own prediction at x_K for a hand-built token sequence: [0, x, 0-pad] then [y, 0...], width 5.</summary>
    private double DirectPrediction(RegressionPrompt p, double yK)
    {
        var width = _model.Config.InputDim;
        var tokens = new List<double>();
        for (var k = 0; k < p.Points; k++)
        {
            var xToken = new double[width];
            p.X[k].CopyTo(xToken, 1);
            var yToken = new double[width];
            yToken[0] = k < p.Points - 1 ? p.ContextTargets[k] : yK;
            tokens.AddRange(xToken);
            tokens.AddRange(yToken);
        }
        using var input = tensor(tokens.ToArray(), new long[] { 1, 2 * p.Points, width }, ScalarType.Float32);
        using var _ = no_grad();
        return ToDoubles(_model.Network.Predict(input))[2 * p.Points - 2];
    }

    [Fact]
    public void PredictionsAreTheModelsOutputAtTheQueryTokenWhateverYK()
    {
        // Mixed shapes: the runner groups the two K = 6 prompts, then K = 3, then D = 2.
        var prompts = new[] { Prompt(0, 1, 6, 4, true), Prompt(1, 2, 6, 4, false), Prompt(2, 3, 3, 4, true), Prompt(3, 4, 5, 2, false) };
        var results = new RegressionPromptRunner(_model).Run(prompts);
        Assert.Equal([0, 1, 2, 3], results.Select(r => r.Index));
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(DirectPrediction(prompts[i], 0), results[i].Prediction, 1e-5);
            Assert.Equal(DirectPrediction(prompts[i], 123.0), results[i].Prediction, 1e-5);   // causal: y_K is never read
            Assert.Equal((prompts[i].Points, prompts[i].Dimension, "tiny"), (results[i].Points, results[i].Dimension, results[i].Model));
        }
        Assert.Equal(prompts[0].Expected, results[0].Expected);
        Assert.Equal(Math.Pow(results[0].Prediction - prompts[0].Expected!.Value, 2), results[0].SquaredError!.Value, 1e-12);
        Assert.Null(results[1].Expected);
        Assert.Null(results[1].SquaredError);
        Assert.Null(results[1].Ridge);
    }

    [Fact]
    public void BaselineColumnsAreEachBaselinesPredictionOfTheLastPoint()
    {
        using var family = new LinearTaskFamily(dimension: 3, poolSize: 5, taskSeed: 2);
        IRegressionBaseline[] baselines = [new RidgeBaseline(0.25), new LeastSquaresBaseline(), new NearestNeighboursBaseline(), new AveragingBaseline(), DmmseBaseline.For(family)];
        var prompts = RegressionPromptGenerator.Generate(family, points: 7, samples: 3, seed: 11);
        var results = new RegressionPromptRunner(_model, baselines).Run(prompts, seed: 11);
        using var batch = family.Sample(3, 7, 11, ScalarType.Float64);
        Assert.Equal(ToDoubles(batch.Y.select(1, 6)), results.Select(r => r.Expected!.Value));
        double[] Last(IRegressionBaseline b) => ToDoubles(b.Predict(batch.X, batch.Y).select(1, 6));
        Assert.Equal(Last(baselines[0]), results.Select(r => r.Ridge!.Value));
        Assert.Equal(Last(baselines[1]), results.Select(r => r.LeastSquares!.Value));
        Assert.Equal(Last(baselines[2]), results.Select(r => r.NearestNeighbours!.Value));
        Assert.Equal(Last(baselines[3]), results.Select(r => r.Averaging!.Value));
        Assert.Equal(Last(baselines[4]), results.Select(r => r.Dmmse!.Value));
        Assert.All(results, r => Assert.Equal(11L, r.Seed));
        Assert.Equal(ToDoubles(batch.X.select(0, 2).select(0, 4)), prompts[2].X[4]);
    }

    [Theory]
    [InlineData(RegressionPromptErrorIds.RaggedInputs, "Query 7: every row of X must have D = 2")]
    [InlineData(RegressionPromptErrorIds.TargetCount, "Query 7: X has K = 3 rows, so Y needs K-1 = 2")]
    [InlineData(RegressionPromptErrorIds.TargetCount, "Query 7: Y has K = 3 values")]
    [InlineData(RegressionPromptErrorIds.NotFinite, "Query 7: every value")]
    public void BadShapesNameTheQuery(string errorId, string message)
    {
        double[][] x = [[1, 2], [3, 4], [5, 6]];
        var e = Assert.Throws<IclPsException>(() => errorId switch
        {
            RegressionPromptErrorIds.RaggedInputs => RegressionPrompt.Create(7, [[1, 2], [3], [5, 6]], [1, 2]),
            RegressionPromptErrorIds.NotFinite => RegressionPrompt.Create(7, x, [1, double.NaN]),
            _ when message.Contains("Y has") => RegressionPrompt.Create(7, x, [1, 2, 3], expected: 4),
            _ => RegressionPrompt.Create(7, x, [1]),
        });
        Assert.Equal(errorId, e.ErrorId);
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void PromptsTheModelCannotReadNameTheQuery()
    {
        var runner = new RegressionPromptRunner(_model);
        var wide = Prompt(4, 1, 3, 5, false);
        var e = Assert.Throws<IclPsException>(() => runner.Run([Prompt(3, 1, 3, 2, false), wide]));
        Assert.Equal((RegressionPromptErrorIds.WrongDimension, "Query 4: D = 5 needs a read-in of 6 channels"), (e.ErrorId, e.Message[..44]));
        e = Assert.Throws<IclPsException>(() => runner.Run([Prompt(5, 1, 33, 2, false)]));
        Assert.Equal(RegressionPromptErrorIds.TooManyPoints, e.ErrorId);
        Assert.StartsWith("Query 5: K = 33 points take 66 tokens", e.Message);
        using var family = new LinearTaskFamily(dimension: 3, poolSize: 5);
        e = Assert.Throws<IclPsException>(() => new RegressionPromptRunner(_model, [DmmseBaseline.For(family)]).Run([Prompt(6, 1, 3, 2, false)]));
        Assert.Equal(RegressionPromptErrorIds.WrongDimension, e.ErrorId);
    }
}
