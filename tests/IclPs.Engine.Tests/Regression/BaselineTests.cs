using TorchSharp;
using IclPs.Engine.Native;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Baselines;
using static IclPs.Engine.Tests.Regression.RegressionReference;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Regression;

public class BaselineTests
{
    private const int B = 3, K = 12, D = 4;

    public BaselineTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void RidgeMatchesNormalEquationsOnEveryPrefix()
    {
        var (xs, ys) = RandomPairs(1, B, K, D);
        using var x = ToTensor(xs);
        using var y = ToTensor(ys);
        var predicted = ToDoubles(new RidgeBaseline(0.3).Predict(x, y));
        for (var b = 0; b < B; b++)
            for (var k = 0; k < K; k++)
            {
                var w = Ridge(xs[b][..k], ys[b][..k], D, 0.3);
                Assert.Equal(Dot(w, xs[b][k]), predicted[b * K + k], 1e-10);
            }
    }

    [Fact]
    public void RidgeWithVanishingNoiseRecoversNoiselessTasksOnceKMinusOneReachesD()
    {
        var (xs, ys) = RandomPairs(2, B, K, D, noise: 0);
        using var x = ToTensor(xs);
        using var y = ToTensor(ys);
        var predicted = ToDoubles(new RidgeBaseline(1e-12).Predict(x, y));
        for (var b = 0; b < B; b++)
            for (var k = D; k < K; k++)
                Assert.Equal(ys[b][k], predicted[b * K + k], 1e-6);
    }

    [Fact]
    public void DmmseOnATwoTaskPoolMatchesTheClosedFormPosterior()
    {
        var pool = new[] { new[] { 1.0, -2.0, 0.5, 0.0 }, new[] { -0.5, 1.0, 1.5, 2.0 } };
        var (xs, ys) = RandomPairs(3, B, K, D);
        const double s2 = 0.7;
        using var x = ToTensor(xs);
        using var y = ToTensor(ys);
        using var poolTensor = ToTensor(pool);
        var weights = ToDoubles(new DmmseBaseline(poolTensor, s2).Weights(x, y));
        for (var b = 0; b < B; b++)
            for (var k = 0; k < K; k++)
            {
                // Posterior odds of task 1 over task 0: exp of the log-likelihood difference; p0 = 1 / (1 + odds).
                double ss0 = 0, ss1 = 0;
                for (var j = 0; j < k; j++)
                {
                    ss0 += Math.Pow(ys[b][j] - Dot(pool[0], xs[b][j]), 2);
                    ss1 += Math.Pow(ys[b][j] - Dot(pool[1], xs[b][j]), 2);
                }
                var p0 = 1 / (1 + Math.Exp(-(ss1 - ss0) / (2 * s2)));
                for (var i = 0; i < D; i++)
                    Assert.Equal(p0 * pool[0][i] + (1 - p0) * pool[1][i], weights[(b * K + k) * D + i], 1e-12);
            }
    }

    [Fact]
    public void DmmseStartsAtThePoolMeanAndSurvivesHugeResiduals()
    {
        var pool = new[] { new[] { 1.0, 0, 0, 0 }, new[] { 0, 3.0, 0, 0 }, new[] { 0, 0, -1.0, 5 } };
        var (xs, ys) = RandomPairs(4, B, K, D);
        for (var b = 0; b < B; b++) for (var k = 0; k < K; k++) ys[b][k] *= 1e4;   // every likelihood underflows exp() unless shifted
        using var x = ToTensor(xs);
        using var y = ToTensor(ys);
        using var poolTensor = ToTensor(pool);
        using var w = new DmmseBaseline(poolTensor, 0.25).Weights(x, y);
        var first = ToDoubles(w.select(1, 0));
        for (var b = 0; b < B; b++)
            for (var i = 0; i < D; i++)
                Assert.Equal(pool.Average(t => t[i]), first[b * D + i], 1e-15);
        Assert.False(w.isnan().any().item<bool>());
    }

    [Fact]
    public void DmmseWithOneTaskPoolPredictsThatTaskExactly()
    {
        var task = new[] { 0.3, -1.2, 2.0, 0.7 };
        var (xs, ys) = RandomPairs(5, B, K, D);
        using var x = ToTensor(xs);
        using var y = ToTensor(ys);
        using var pool = ToTensor(new[] { task });
        var predicted = ToDoubles(new DmmseBaseline(pool, 0.25).Predict(x, y));
        for (var b = 0; b < B; b++)
            for (var k = 0; k < K; k++)
                Assert.Equal(Dot(task, xs[b][k]), predicted[b * K + k], 1e-12);
    }

    [Fact]
    public void DmmseInOneRowChunksMatchesOneChunk()
    {
        var pool = new[] { new[] { 1.0, -2.0, 0.5, 0.0 }, new[] { -0.5, 1.0, 1.5, 2.0 }, new[] { 0.2, 0.1, -1.0, 0.4 } };
        var (xs, ys) = RandomPairs(6, 7, K, D);
        using var x = ToTensor(xs);
        using var y = ToTensor(ys);
        using var poolTensor = ToTensor(pool);
        var whole = ToDoubles(new DmmseBaseline(poolTensor, 0.25).Weights(x, y));
        var chunked = ToDoubles(new DmmseBaseline(poolTensor, 0.25, chunkElements: 1).Weights(x, y));   // one row per chunk
        Assert.Equal(whole.Length, chunked.Length);
        for (var i = 0; i < whole.Length; i++) Assert.Equal(whole[i], chunked[i], 1e-14);
    }

    [Fact]
    public void RowChunksFreeEachChunksTemporariesBeforeTheNextChunk()
    {
        using var scope = NewDisposeScope();
        var liveAtChunkStart = new List<long>();
        using var result = RowChunks.Concat(10, 3, (start, length) =>
        {
            liveAtChunkStart.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            var t = arange(start, start + length, 1, ScalarType.Float64);
            for (var i = 0; i < 5; i++) t = t * 2 + 1;   // ten temporaries per chunk
            return t;
        });
        // Four chunks (3, 3, 3, 1 rows): each starts with only the earlier chunks' results added to what was live before.
        Assert.Equal(new long[] { 0, 1, 2, 3 }, liveAtChunkStart.Select(n => n - liveAtChunkStart[0]));
        Assert.Equal(Enumerable.Range(0, 10).Select(r => r * 32.0 + 31), ToDoubles(result));
    }

    [Fact]
    public void DmmseOfAFamilyIsBuiltFromItsPool()
    {
        using var family = new LinearTaskFamily(D, 0.25, poolSize: 5, taskSeed: 9);
        var dmmse = DmmseBaseline.For(family);
        Assert.Same(family.Pool, dmmse.Pool);
        Assert.Equal(0.25, dmmse.NoiseVariance);
        using var infinite = new LinearTaskFamily(D);
        var e = Assert.Throws<IclPsException>(() => DmmseBaseline.For(infinite));
        Assert.Equal(RegressionErrorIds.InvalidOption, e.ErrorId);
    }

    [Fact]
    public void LeastSquaresIsThePseudoInverseSolutionOnEveryPrefix()
    {
        var (xs, ys) = RandomPairs(6, B, K, D);
        using var x = ToTensor(xs);
        using var y = ToTensor(ys);
        var weights = ToDoubles(new LeastSquaresBaseline().Weights(x, y));
        for (var b = 0; b < B; b++)
            for (var k = 0; k < K; k++)
            {
                var expected = k == 0 ? new double[D] : MinimumNorm(xs[b][..k], ys[b][..k], D);
                for (var i = 0; i < D; i++)
                    Assert.Equal(expected[i], weights[(b * K + k) * D + i], 1e-9);
            }
    }

    [Fact]
    public void NearestNeighboursAveragesTheThreeClosestEarlierTargets()
    {
        // D = 1: x = 0, 1, 3, 10, 8 with y = 1, 2, 4, 8, 16.
        using var x = tensor(new[] { 0.0, 1, 3, 10, 8 }, new long[] { 1, 5, 1 });
        using var y = tensor(new[] { 1.0, 2, 4, 8, 16 }, new long[] { 1, 5 });
        var predicted = ToDoubles(new NearestNeighboursBaseline().Predict(x, y));
        // No context; one point; two points; three points; of {0,1,3,10} the nearest to 8 are 10, 3, 1.
        Assert.Equal(new[] { 0, 1, 1.5, 7 / 3.0, 14 / 3.0 }, predicted, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void AveragingIsTheMeanOfYTimesX()
    {
        var (xs, ys) = RandomPairs(7, B, K, D);
        using var x = ToTensor(xs);
        using var y = ToTensor(ys);
        var weights = ToDoubles(new AveragingBaseline().Weights(x, y));
        for (var b = 0; b < B; b++)
            for (var k = 0; k < K; k++)
                for (var i = 0; i < D; i++)
                {
                    var expected = k == 0 ? 0 : Enumerable.Range(0, k).Average(j => ys[b][j] * xs[b][j][i]);
                    Assert.Equal(expected, weights[(b * K + k) * D + i], 1e-12);
                }
    }

    [Fact]
    public void LassoOnAnOrthogonalDesignIsSoftThresholding()
    {
        // Hadamard rows: X^T X / n = I, so the minimiser is w_j = S(X_j^T y / n, alpha) per coordinate.
        var h = new[] { new[] { 1.0, 1, 1, 1 }, new[] { 1.0, -1, 1, -1 }, new[] { 1.0, 1, -1, -1 }, new[] { 1.0, -1, -1, 1 } };
        var yRow = new[] { 2.0, -0.4, 1.0, 0.3 };
        using var x = ToTensor(new[] { h.Append(new[] { 0.5, 0.5, 0.5, 0.5 }).ToArray() });
        using var y = ToTensor(new[] { yRow.Append(0.0).ToArray() });
        const double alpha = 0.3;
        var weights = ToDoubles(new LassoBaseline(alpha).Weights(x, y).select(1, 4));
        for (var j = 0; j < D; j++)
        {
            var c = Enumerable.Range(0, 4).Sum(n => h[n][j] * yRow[n]) / 4;
            var expected = Math.Sign(c) * Math.Max(Math.Abs(c) - alpha, 0);
            Assert.Equal(expected, weights[j], 1e-12);
        }
        Assert.Contains(weights, v => v == 0);   // the case exercises the threshold, not only the shrinkage
    }

    [Fact]
    public void LassoSatisfiesTheOptimalityConditionsOnGeneralPrefixes()
    {
        var (xs, ys) = RandomPairs(8, B, K, D);
        const double alpha = 0.2;
        using var x = ToTensor(xs);
        using var y = ToTensor(ys);
        var weights = ToDoubles(new LassoBaseline(alpha).Weights(x, y));
        var zeros = 0;
        for (var b = 0; b < B; b++)
            for (var k = 1; k < K; k++)
            {
                var w = weights.Skip((b * K + k) * D).Take(D).ToArray();
                for (var j = 0; j < D; j++)
                {
                    // Subgradient condition of (1/2n)||y - Xw||^2 + alpha||w||_1: the correlation of column j with the residual.
                    var correlation = Enumerable.Range(0, k).Sum(n => xs[b][n][j] * (ys[b][n] - Dot(xs[b][n], w))) / k;
                    if (w[j] != 0) Assert.Equal(alpha * Math.Sign(w[j]), correlation, 1e-8);
                    else { Assert.InRange(correlation, -alpha - 1e-8, alpha + 1e-8); zeros++; }
                }
            }
        Assert.True(zeros > 0, "alpha should zero some coordinates, or the test misses the thresholded branch.");
    }

    public static IEnumerable<object[]> AllBaselines()
    {
        TorchNativeLoader.EnsureLoaded();
        var pool = tensor(new[] { 1.0, 0, 0, 0, 0, 1, 1, 0 }, new long[] { 2, D });
        // dMMSE predicts with the pool mean before any context, which is 0 only for a pool centred at 0.
        var centred = cat(new[] { pool, -pool }, 0);
        return new IRegressionBaseline[]
        {
            new RidgeBaseline(), new DmmseBaseline(centred), new LeastSquaresBaseline(), new NearestNeighboursBaseline(),
            new AveragingBaseline(), new LassoBaseline(0.1),
        }.Select(b => new object[] { b });
    }

    [Theory]
    [MemberData(nameof(AllBaselines))]
    public void PredictionsUseOnlyEarlierPairsAndStartAtZero(IRegressionBaseline baseline)
    {
        var (xs, ys) = RandomPairs(10, B, K, D);
        using var x = ToTensor(xs);
        using var y = ToTensor(ys);
        var before = ToDoubles(baseline.Predict(x, y));
        const int k = 6;
        // Change y_k and every x after k: predictions 0..k must not move, later ones must.
        for (var b = 0; b < B; b++)
        {
            ys[b][k] += 3;
            for (var j = k + 1; j < K; j++) xs[b][j][0] += 1;
        }
        using var x2 = ToTensor(xs);
        using var y2 = ToTensor(ys);
        var after = ToDoubles(baseline.Predict(x2, y2));
        var laterMoved = false;
        for (var b = 0; b < B; b++)
        {
            Assert.Equal(0, before[b * K], 1e-15);
            for (var j = 0; j <= k; j++) Assert.Equal(before[b * K + j], after[b * K + j], 1e-12);
            for (var j = k + 1; j < K; j++) laterMoved |= Math.Abs(before[b * K + j] - after[b * K + j]) > 1e-9;
        }
        Assert.True(laterMoved, "the changes should reach some later prediction, or the check above proves nothing.");
    }

    [Fact]
    public void MismatchedShapesAreRejected()
    {
        using var x = zeros(2, 5, 3, ScalarType.Float64);
        using var y = zeros(2, 4, ScalarType.Float64);
        var e = Assert.Throws<IclPsException>(() => new RidgeBaseline().Predict(x, y));
        Assert.Equal(RegressionErrorIds.ShapeMismatch, e.ErrorId);
        Assert.Same(x, e.Target);
        using var pool = zeros(3, 4, ScalarType.Float64);
        using var y5 = zeros(2, 5, ScalarType.Float64);
        Assert.Equal(RegressionErrorIds.ShapeMismatch, Assert.Throws<IclPsException>(() => new DmmseBaseline(pool).Predict(x, y5)).ErrorId);
        Assert.Equal(RegressionErrorIds.InvalidOption, Assert.Throws<IclPsException>(() => new RidgeBaseline(0)).ErrorId);
        Assert.Equal(RegressionErrorIds.InvalidOption, Assert.Throws<IclPsException>(() => new NearestNeighboursBaseline(0)).ErrorId);
    }
}
