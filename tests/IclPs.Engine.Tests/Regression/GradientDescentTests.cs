using IclPs.Engine.Native;
using IclPs.Engine.Regression.GradientDescent;
using static IclPs.Engine.Tests.Regression.RegressionReference;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Regression;

public class GradientDescentTests
{
    private const int B = 4, N = 6, D = 3;

    public GradientDescentTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void PlainStepMatchesAnExplicitLoop()
    {
        var (xs, ys) = RandomPairs(31, B, N + 1, D);
        var w0 = new[] { 0.5, -1.0, 0.25 };
        const double eta = 0.7;
        using var x = ToTensor(xs).narrow(1, 0, N);
        using var y = ToTensor(ys).narrow(1, 0, N);
        using var w0Tensor = tensor(w0);
        var w1 = ToDoubles(GradientDescentStep.Step(x, y, w0Tensor, eta));
        for (var b = 0; b < B; b++)
            for (var i = 0; i < D; i++)
            {
                var gradient = Enumerable.Range(0, N).Sum(j => (Dot(w0, xs[b][j]) - ys[b][j]) * xs[b][j][i]) / N;
                Assert.Equal(w0[i] - eta * gradient, w1[b * D + i], 1e-12);
            }
    }

    [Fact]
    public void ConstructionHasTheStatedWeights()
    {
        using var w0 = tensor(new[] { 2.0, -3.0, 4.0 });
        using var layer = GdLinearSelfAttention.OneGdStep(w0, 0.6, N);
        var kq = new double[] { 1, 0, 0, 0, /**/ 0, 1, 0, 0, /**/ 0, 0, 1, 0, /**/ 0, 0, 0, 0 };
        Assert.Equal(kq, ToDoubles(layer.KeyWeight));
        Assert.Equal(kq, ToDoubles(layer.QueryWeight));
        Assert.Equal(new double[] { 0, 0, 0, 0, /**/ 0, 0, 0, 0, /**/ 0, 0, 0, 0, /**/ 2, -3, 4, -1 }, ToDoubles(layer.ValueWeight));
        var p = new double[16];
        p[15] = 0.6 / N;
        Assert.Equal(p, ToDoubles(layer.Projection));
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-12)]
    [InlineData(ScalarType.Float32, 1e-5)]
    public void AttentionLayerPredictsLikeOneGradientStep(ScalarType dtype, double tolerance)
    {
        var (xs, ys) = RandomPairs(32, B, N + 1, D);
        using var all = ToTensor(xs).to(dtype);
        using var x = all.narrow(1, 0, N);
        using var xq = all.select(1, N);
        using var y = ToTensor(ys).narrow(1, 0, N).to(dtype);
        using var w0 = tensor(new[] { 0.3, 0.1, -0.8 }).to(dtype);
        using var layer = GdLinearSelfAttention.OneGdStep(w0, 1.3, N);
        var attention = ToDoubles(layer.PredictQuery(x, y, xq));
        var gd = ToDoubles(GradientDescentStep.Predict(x, y, xq, w0, 1.3));
        for (var b = 0; b < B; b++) Assert.Equal(gd[b], attention[b], tolerance * Math.Max(1, Math.Abs(gd[b])));
    }

    [Fact]
    public void FromZeroThePredictionIsEtaOverNSumOfYXDotXq()
    {
        var (xs, ys) = RandomPairs(33, B, N + 1, D);
        using var all = ToTensor(xs);
        using var w0 = zeros(D, ScalarType.Float64);
        using var layer = GdLinearSelfAttention.OneGdStep(w0, 0.9, N);
        var predicted = ToDoubles(layer.PredictQuery(all.narrow(1, 0, N), ToTensor(ys).narrow(1, 0, N), all.select(1, N)));
        for (var b = 0; b < B; b++)
            Assert.Equal(0.9 / N * Enumerable.Range(0, N).Sum(j => ys[b][j] * Dot(xs[b][j], xs[b][N])), predicted[b], 1e-12);
    }

    [Fact]
    public void ForwardMovesEveryTokenByTheLinearAttentionSum()
    {
        // Random tokens (query target slot not -w0.xq) against e_i + P W_V sum_{j<N} e_j (e_j^T W_K^T W_Q e_i), term by term.
        var rng = new Random(34);
        var e = Enumerable.Range(0, N + 2).Select(_ => Enumerable.Range(0, D + 1).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
        using var w0 = tensor(new[] { 0.4, -0.2, 1.1 });
        using var layer = GdLinearSelfAttention.OneGdStep(w0, 0.5, N);
        var wk = ToDoubles(layer.KeyWeight).Chunk(D + 1).ToArray();
        var wq = ToDoubles(layer.QueryWeight).Chunk(D + 1).ToArray();
        var wv = ToDoubles(layer.ValueWeight).Chunk(D + 1).ToArray();
        var p = ToDoubles(layer.Projection).Chunk(D + 1).ToArray();
        double[] Apply(double[][] m, double[] v) => m.Select(row => Dot(row, v)).ToArray();
        var output = ToDoubles(layer.Forward(ToTensor(new[] { e }))).Chunk(D + 1).ToArray();
        for (var i = 0; i < e.Length; i++)
        {
            var sum = new double[D + 1];
            for (var j = 0; j < N; j++)
            {
                var score = Dot(Apply(wk, e[j]), Apply(wq, e[i]));
                var value = Apply(wv, e[j]);
                for (var c = 0; c <= D; c++) sum[c] += score * value[c];
            }
            var expected = e[i].Zip(Apply(p, sum), (a, u) => a + u).ToArray();
            for (var c = 0; c <= D; c++) Assert.Equal(expected[c], output[i][c], 1e-12);
        }
    }

    [Fact]
    public void OneTunedStepReachesVonOswaldsReferenceLoss()
    {
        // d = N = 10, x ~ U(-0.5, 0.5), w ~ N(0, I), noiseless. From w0 = 0 the prediction is eta * a with
        // a = (1/N) sum y_i x_i.x_q, so the best eta is E[a y]/E[a^2]; the paper reports 0.5*MSE of about 0.20 (zero: 0.41).
        const int d = 10, n = 10, sequences = 20000;
        var rng = new Random(35);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var xs = new double[sequences][][];
        var ys = new double[sequences][];
        for (var s = 0; s < sequences; s++)
        {
            var w = Enumerable.Range(0, d).Select(_ => Gauss()).ToArray();
            xs[s] = Enumerable.Range(0, n + 1).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray()).ToArray();
            ys[s] = xs[s].Select(row => Dot(row, w)).ToArray();
        }
        using var all = ToTensor(xs);
        using var y = ToTensor(ys);
        using var w0 = zeros(d, ScalarType.Float64);
        using var unit = GdLinearSelfAttention.OneGdStep(w0, 1.0, n);
        var a = ToDoubles(unit.PredictQuery(all.narrow(1, 0, n), y.narrow(1, 0, n), all.select(1, n)));
        var target = ys.Select(r => r[n]).ToArray();
        var eta = a.Zip(target, (u, t) => u * t).Sum() / a.Sum(u => u * u);
        var halfMse = 0.5 * a.Zip(target, (u, t) => (eta * u - t) * (eta * u - t)).Average();
        var halfMseZero = 0.5 * target.Average(t => t * t);
        Assert.Equal(0.41, halfMseZero, 0.02);   // exact value d/24 = 0.417
        Assert.Equal(0.20, halfMse, 0.02);
    }
}
