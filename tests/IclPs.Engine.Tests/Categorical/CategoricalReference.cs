namespace IclPs.Engine.Tests.Categorical;

/// <summary>
/// Independent float64 reference of the functional-GD recursion (docs/science.md §4) as explicit loops, no attention:
/// for every layer l and point i (context and query),
/// f_i += sum_{j &lt; N} k(x_i, x_j) alpha_l ⊙ (w_{e,y_j} - E_j) with the previous E, then E_i is cleared (exactly, or by the
/// authors' head: E_i - E_j*, j* = argmax_j x_i.x_j over the context) and E_i += sum_c softmax_c(W_e^T f_i) w_{e,c}.
/// Returns the query's logits W_e^T f_L(x_q).
/// </summary>
internal static class CategoricalReference
{
    public static double[] QueryLogits(double[][] x, long[] labels, double[,] embedding, double[][] alpha, double beta, string kernel, bool authorsEraser)
    {
        var t = x.Length;
        var n = t - 1;
        var d = x[0].Length;
        var e = embedding.GetLength(0);
        var categories = embedding.GetLength(1);
        var width = d + 3 * e;
        var f = new double[t][];
        var expected = new double[t][];
        for (var i = 0; i < t; i++)
        {
            f[i] = new double[e];
            expected[i] = new double[e];
            for (var k = 0; k < e; k++)
                for (var c = 0; c < categories; c++) expected[i][k] += embedding[k, c] / categories;
        }
        foreach (var a in alpha)
        {
            var newF = f.Select(r => (double[])r.Clone()).ToArray();
            for (var i = 0; i < t; i++)
            {
                var weights = new double[n];
                for (var j = 0; j < n; j++)
                {
                    weights[j] = kernel switch
                    {
                        "softmax" => beta * Dot(x[i], x[j]) / Math.Sqrt(width),
                        "linear" => beta * Dot(x[i], x[j]) / n,
                        "rbf" => Math.Exp(-SquaredDistance(x[i], x[j]) / (2 * beta * beta)) / n,
                        _ => throw new ArgumentException(kernel),
                    };
                }
                if (kernel == "softmax")
                {
                    var max = weights.Max();
                    var sum = weights.Sum(s => Math.Exp(s - max));
                    for (var j = 0; j < n; j++) weights[j] = Math.Exp(weights[j] - max) / sum;
                }
                for (var j = 0; j < n; j++)
                    for (var k = 0; k < e; k++)
                        newF[i][k] += weights[j] * a[k] * (embedding[k, labels[j]] - expected[j][k]);
            }
            var newE = new double[t][];
            for (var i = 0; i < t; i++)
            {
                newE[i] = new double[e];
                if (authorsEraser)
                {
                    var picked = Enumerable.Range(0, n).MaxBy(j => Dot(x[i], x[j]));
                    for (var k = 0; k < e; k++) newE[i][k] = expected[i][k] - expected[picked][k];
                }
                var p = Softmax(Enumerable.Range(0, categories).Select(c => Enumerable.Range(0, e).Sum(k => newF[i][k] * embedding[k, c])).ToArray());
                for (var k = 0; k < e; k++)
                    for (var c = 0; c < categories; c++) newE[i][k] += p[c] * embedding[k, c];
            }
            (f, expected) = (newF, newE);
        }
        return Enumerable.Range(0, categories).Select(c => Enumerable.Range(0, e).Sum(k => f[n][k] * embedding[k, c])).ToArray();
    }

    public static double[] Softmax(double[] logits)
    {
        var max = logits.Max();
        var exp = logits.Select(v => Math.Exp(v - max)).ToArray();
        var sum = exp.Sum();
        return exp.Select(v => v / sum).ToArray();
    }

    public static double Dot(double[] a, double[] b) => a.Zip(b, (u, v) => u * v).Sum();

    public static double SquaredDistance(double[] a, double[] b) => a.Zip(b, (u, v) => (u - v) * (u - v)).Sum();
}
