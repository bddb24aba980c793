using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Regression;

/// <summary>
/// Independent float64 C# reference for the regression tests: plain arrays, explicit loops, Gaussian elimination.
/// Sequences are double[b][K][D] (x) and double[b][K] (y).
/// </summary>
internal static class RegressionReference
{
    public static (double[][][] X, double[][] Y) RandomPairs(int seed, int batch, int points, int dimension, double noise = 0.5)
    {
        var rng = new Random(seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var x = new double[batch][][];
        var y = new double[batch][];
        for (var b = 0; b < batch; b++)
        {
            var w = Enumerable.Range(0, dimension).Select(_ => Gauss()).ToArray();
            x[b] = Enumerable.Range(0, points).Select(_ => Enumerable.Range(0, dimension).Select(_ => Gauss()).ToArray()).ToArray();
            y[b] = x[b].Select(row => Dot(row, w) + noise * Gauss()).ToArray();
        }
        return (x, y);
    }

    public static Tensor ToTensor(double[][][] x) =>
        tensor(x.SelectMany(s => s.SelectMany(r => r)).ToArray(), new long[] { x.Length, x[0].Length, x[0][0].Length }, ScalarType.Float64);

    public static Tensor ToTensor(double[][] y) =>
        tensor(y.SelectMany(r => r).ToArray(), new long[] { y.Length, y[0].Length }, ScalarType.Float64);

    public static double[] ToDoubles(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().to(ScalarType.Float64, CPU).contiguous().data<double>().ToArray();
    }

    /// <summary>Same shape and bit-identical values.</summary>
    public static bool Identical(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
    }

    public static double Dot(double[] a, double[] b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>Solves A z = r by Gaussian elimination with partial pivoting (A is copied).</summary>
    public static double[] Solve(double[,] a, double[] r)
    {
        var n = r.Length;
        var m = (double[,])a.Clone();
        var z = (double[])r.Clone();
        for (var c = 0; c < n; c++)
        {
            var pivot = c;
            for (var i = c + 1; i < n; i++) if (Math.Abs(m[i, c]) > Math.Abs(m[pivot, c])) pivot = i;
            for (var j = 0; j < n; j++) (m[c, j], m[pivot, j]) = (m[pivot, j], m[c, j]);
            (z[c], z[pivot]) = (z[pivot], z[c]);
            for (var i = c + 1; i < n; i++)
            {
                var f = m[i, c] / m[c, c];
                for (var j = c; j < n; j++) m[i, j] -= f * m[c, j];
                z[i] -= f * z[c];
            }
        }
        for (var i = n - 1; i >= 0; i--)
        {
            var s = z[i];
            for (var j = i + 1; j < n; j++) s -= m[i, j] * z[j];
            z[i] = s / m[i, i];
        }
        return z;
    }

    /// <summary>(X^T X + lambda I)^-1 X^T y over the rows of x.</summary>
    public static double[] Ridge(double[][] x, double[] y, int dimension, double lambda)
    {
        var a = new double[dimension, dimension];
        var r = new double[dimension];
        for (var n = 0; n < x.Length; n++)
            for (var i = 0; i < dimension; i++)
            {
                r[i] += x[n][i] * y[n];
                for (var j = 0; j < dimension; j++) a[i, j] += x[n][i] * x[n][j];
            }
        for (var i = 0; i < dimension; i++) a[i, i] += lambda;
        return Solve(a, r);
    }

    /// <summary>X^+ y for a full-rank X: (X^T X)^-1 X^T y when overdetermined, X^T (X X^T)^-1 y (the minimum-norm solution) otherwise.</summary>
    public static double[] MinimumNorm(double[][] x, double[] y, int dimension)
    {
        if (x.Length >= dimension) return Ridge(x, y, dimension, 0);
        var n = x.Length;
        var g = new double[n, n];
        for (var i = 0; i < n; i++) for (var j = 0; j < n; j++) g[i, j] = Dot(x[i], x[j]);
        var alpha = Solve(g, y);
        var w = new double[dimension];
        for (var i = 0; i < n; i++) for (var j = 0; j < dimension; j++) w[j] += alpha[i] * x[i][j];
        return w;
    }
}
