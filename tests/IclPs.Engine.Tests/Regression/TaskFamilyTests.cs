using IclPs.Engine.Native;
using IclPs.Engine.Regression;
using static IclPs.Engine.Tests.Regression.RegressionReference;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Regression;

public class TaskFamilyTests
{
    public TaskFamilyTests() => TorchNativeLoader.EnsureLoaded();

    public static IEnumerable<object[]> Families()
    {
        TorchNativeLoader.EnsureLoaded();
        return new IRegressionTaskFamily[]
        {
            new LinearTaskFamily(), new LinearTaskFamily(poolSize: 4, taskSeed: 3), new SparseLinearTaskFamily(),
            new DecisionTreeTaskFamily(), new ReluNetTaskFamily(),
        }.Select(f => new object[] { f });
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void SameSeedSameBatchOtherSeedOtherBatch(IRegressionTaskFamily family)
    {
        using var a = family.Sample(4, 6, seed: 11);
        using var b = family.Sample(4, 6, seed: 11);
        using var c = family.Sample(4, 6, seed: 12);
        Assert.Equal(new long[] { 4, 6, family.Dimension }, a.X.shape);
        Assert.Equal(new long[] { 4, 6 }, a.Y.shape);
        Assert.Equal(ScalarType.Float32, a.X.dtype);
        Assert.True(Identical(a.X, b.X) && Identical(a.Y, b.Y));
        Assert.False(Identical(a.X, c.X));
        Assert.False(Identical(a.Y, c.Y));
    }

    [Fact]
    public void LinearTargetsAreWDotXPlusNoiseOfTheStatedVariance()
    {
        using var noiseless = new LinearTaskFamily(dimension: 5, noiseVariance: 0);
        using var clean = noiseless.Sample(8, 10, seed: 1, ScalarType.Float64);
        var x = ToDoubles(clean.X);
        var w = ToDoubles(clean.Weights!);
        var y = ToDoubles(clean.Y);
        for (var b = 0; b < 8; b++)
            for (var k = 0; k < 10; k++)
                Assert.Equal(Dot(x.Skip((b * 10 + k) * 5).Take(5).ToArray(), w.Skip(b * 5).Take(5).ToArray()), y[b * 10 + k], 1e-12);
        Assert.Null(clean.TaskIndex);

        // Same seed, so same x and w; the residual is the noise alone: 40,000 draws, variance 0.25 within 3%.
        using var noisy = new LinearTaskFamily(dimension: 5, noiseVariance: 0.25);
        using var n = noisy.Sample(4000, 10, seed: 1, ScalarType.Float64);
        using var residual = n.Y - n.X.matmul(n.Weights!.unsqueeze(-1)).squeeze(-1);
        Assert.Equal(0.25, residual.square().mean().item<double>(), 0.25 * 0.03);
    }

    [Fact]
    public void PoolIsFixedByTheTaskSeedAndSequencesUseItsTasks()
    {
        using var family = new LinearTaskFamily(dimension: 3, poolSize: 5, taskSeed: 42);
        using var again = new LinearTaskFamily(dimension: 3, poolSize: 5, taskSeed: 42);
        using var other = new LinearTaskFamily(dimension: 3, poolSize: 5, taskSeed: 43);
        Assert.Equal(new long[] { 5, 3 }, family.Pool!.shape);
        Assert.True(Identical(family.Pool, again.Pool!));
        Assert.False(Identical(family.Pool, other.Pool!));

        using var batch = family.Sample(200, 4, seed: 7, ScalarType.Float64);
        var index = batch.TaskIndex!.data<long>().ToArray();
        Assert.All(index, i => Assert.InRange(i, 0, 4));
        Assert.Equal(5, index.Distinct().Count());   // 200 uniform draws miss one of 5 tasks with probability < 1e-18
        using var picked = family.Pool.index_select(0, batch.TaskIndex);
        Assert.True(Identical(batch.Weights!, picked));
    }

    [Fact]
    public void FreshTasksShareTheInputsButNotThePool()
    {
        using var family = new LinearTaskFamily(dimension: 3, poolSize: 2, taskSeed: 1);
        using var pretrain = family.Sample(50, 4, seed: 5, ScalarType.Float64);
        using var fresh = family.SampleFresh(50, 4, seed: 5, ScalarType.Float64);
        Assert.True(Identical(pretrain.X, fresh.X));
        Assert.Null(fresh.TaskIndex);
        var poolRows = ToDoubles(family.Pool!).Chunk(3).ToArray();
        foreach (var w in ToDoubles(fresh.Weights!).Chunk(3))
            Assert.DoesNotContain(poolRows, p => p.SequenceEqual(w));
    }

    [Fact]
    public void SkewedCovarianceHasVarianceOneOverI()
    {
        var family = new SparseLinearTaskFamily(dimension: 4, inputs: new RegressionInputOptions { Covariance = InputCovariance.Skewed });
        using var batch = family.Sample(4000, 16, seed: 3, ScalarType.Float64);
        var variance = ToDoubles(batch.X.reshape(-1, 4).square().mean(new long[] { 0 }));
        // 64,000 draws per coordinate: the relative sd of a variance estimate is sqrt(2/64000) = 0.56%; allow 3%.
        for (var i = 0; i < 4; i++) Assert.Equal(1.0 / (i + 1), variance[i], 0.03 / (i + 1));
    }

    [Fact]
    public void OrthogonalQueryIsOrthogonalToTheDemonstrationsAndKeepsItsNorm()
    {
        var options = new RegressionInputOptions { OrthogonalQuery = true };
        using var family = new LinearTaskFamily(dimension: 6, noiseVariance: 0, inputs: options);
        using var plain = new LinearTaskFamily(dimension: 6, noiseVariance: 0);
        using var batch = family.Sample(5, 4, seed: 2, ScalarType.Float64);
        using var reference = plain.Sample(5, 4, seed: 2, ScalarType.Float64);
        var x = ToDoubles(batch.X).Chunk(6).ToArray();
        var original = ToDoubles(reference.X).Chunk(6).ToArray();
        var y = ToDoubles(batch.Y);
        var w = ToDoubles(batch.Weights!).Chunk(6).ToArray();
        for (var b = 0; b < 5; b++)
        {
            var query = x[b * 4 + 3];
            for (var j = 0; j < 3; j++)
            {
                Assert.Equal(original[b * 4 + j], x[b * 4 + j]);                  // demonstrations untouched
                Assert.Equal(0, Dot(query, x[b * 4 + j]), 1e-12);
            }
            Assert.Equal(Math.Sqrt(Dot(original[b * 4 + 3], original[b * 4 + 3])), Math.Sqrt(Dot(query, query)), 1e-12);
            Assert.Equal(Dot(w[b], query), y[b * 4 + 3], 1e-12);                   // the target follows the new query
        }
        var e = Assert.Throws<IclPsException>(() => family.Sample(2, 7, seed: 0));
        Assert.Equal(RegressionErrorIds.TooManyPointsForOrthogonalQuery, e.ErrorId);
        Assert.Equal(7, e.Target);
    }

    [Fact]
    public void SparseTasksHaveExactlySNonzeroWeights()
    {
        var family = new SparseLinearTaskFamily(dimension: 8, sparsity: 3);
        using var batch = family.Sample(100, 5, seed: 4, ScalarType.Float64);
        var w = ToDoubles(batch.Weights!).Chunk(8).ToArray();
        Assert.All(w, row => Assert.Equal(3, row.Count(v => v != 0)));
        Assert.Equal(8, Enumerable.Range(0, 8).Count(i => w.Any(row => row[i] != 0)));   // every coordinate gets chosen somewhere
        using var fit = batch.X.matmul(batch.Weights!.unsqueeze(-1)).squeeze(-1);
        Assert.True(fit.allclose(batch.Y, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void TreeTargetsDependOnlyOnTheSignsOfX()
    {
        var family = new DecisionTreeTaskFamily(dimension: 3, depth: 2);
        using var batch = family.Sample(20, 200, seed: 5, ScalarType.Float64);
        var x = ToDoubles(batch.X).Chunk(3).ToArray();
        var y = ToDoubles(batch.Y);
        for (var b = 0; b < 20; b++)
        {
            var leafOf = new Dictionary<string, double>();
            for (var k = 0; k < 200; k++)
            {
                var signs = string.Concat(x[b * 200 + k].Select(v => v > 0 ? '+' : '-'));
                if (leafOf.TryGetValue(signs, out var seen)) Assert.Equal(seen, y[b * 200 + k]);
                else leafOf[signs] = y[b * 200 + k];
            }
            Assert.InRange(leafOf.Values.Distinct().Count(), 1, 4);   // depth 2: at most 4 leaves reachable
        }
    }

    [Theory]
    [InlineData("tree")]
    [InlineData("relu")]
    public void NonlinearTargetsHaveUnitVariancePerDimension(string kind)
    {
        // Tree leaves are N(0, 1): E[y^2] = 1. ReLU nets: E[y^2] = (2/H) * H * E[a^2] E[ReLU(w.x)^2] = 2 * D/2 = D.
        IRegressionTaskFamily family = kind == "tree" ? new DecisionTreeTaskFamily(dimension: 4) : new ReluNetTaskFamily(dimension: 4, hidden: 100);
        var expected = kind == "tree" ? 1.0 : 4.0;
        using var batch = family.Sample(8000, 4, seed: 6, ScalarType.Float64);
        // Tasks vary per sequence, so about 8,000 effective draws; sd of the mean about 1.5% (tree) / 2.5% (relu); allow 10%.
        Assert.Equal(expected, batch.Y.square().mean().item<double>(), 0.1 * expected);
    }

    [Fact]
    public void BatchesComeInTheRequestedDtype()
    {
        using var family = new LinearTaskFamily(poolSize: 3);
        using var batch = family.Sample(2, 3, seed: 0, ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, batch.X.dtype);
        Assert.Equal(ScalarType.Float64, batch.Y.dtype);
        Assert.Equal(ScalarType.Int64, batch.TaskIndex!.dtype);
        Assert.Equal((2, 3, 8), (batch.BatchSize, batch.Points, batch.Dimension));
    }

    [Fact]
    public void BadOptionsNameTheValue()
    {
        void Check(Action act, object target)
        {
            var e = Assert.Throws<IclPsException>(act);
            Assert.Equal(RegressionErrorIds.InvalidOption, e.ErrorId);
            Assert.Equal(IclErrorKind.InvalidArgument, e.Kind);
            Assert.Equal(target, e.Target);
        }
        Check(() => new LinearTaskFamily(dimension: 0), 0L);
        Check(() => new LinearTaskFamily(noiseVariance: -1), -1.0);
        Check(() => new LinearTaskFamily(poolSize: 0), 0L);
        Check(() => new SparseLinearTaskFamily(dimension: 2, sparsity: 3), 3);
        Check(() => new DecisionTreeTaskFamily(depth: 0), 0L);
        Check(() => new ReluNetTaskFamily(hidden: 0), 0L);
        Check(() => new ReluNetTaskFamily().Sample(0, 3, seed: 1), 0L);
        Check(() => new ReluNetTaskFamily().Sample(3, 0, seed: 1), 0L);
    }
}
