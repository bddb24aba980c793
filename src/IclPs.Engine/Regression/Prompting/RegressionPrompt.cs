namespace IclPs.Engine.Regression.Prompting;

/// <summary>
/// A numeric in-context prompt: context pairs (x_1, y_1) .. (x_{K-1}, y_{K-1}) and the query x_K, with y_K when known.
/// </summary>
public sealed class RegressionPrompt
{
    private RegressionPrompt(int index, double[][] x, double[] context, double? expected)
    {
        Index = index;
        X = x;
        ContextTargets = context;
        Expected = expected;
    }

    /// <summary>0-based position of the query in its input sequence.</summary>
    public int Index { get; }
    /// <summary>x_1 .. x_K: K rows of D values; the last is the query.</summary>
    public IReadOnlyList<double[]> X { get; }
    /// <summary>y_1 .. y_{K-1}.</summary>
    public IReadOnlyList<double> ContextTargets { get; }
    /// <summary>y_K when known.</summary>
    public double? Expected { get; }
    /// <summary>K, the query included.</summary>
    public int Points => X.Count;
    public int Dimension => X[0].Length;

    /// <summary>
    /// Checks and copies a prompt. <paramref name="y"/> holds y_1 .. y_{K-1}, or y_1 .. y_K where the last is the expected
    /// answer; <paramref name="expected"/> gives y_K separately instead.
    /// </summary>
    public static RegressionPrompt Create(int index, IReadOnlyList<double[]>? x, IReadOnlyList<double>? y, double? expected = null)
    {
        if (x is null || x.Count == 0 || x[0] is null || x[0].Length == 0)
            throw Error(RegressionPromptErrorIds.RaggedInputs, index, "X must hold at least one row (the query x_K) of at least one value.", x);
        var d = x[0].Length;
        for (var k = 1; k < x.Count; k++)
            if (x[k] is null || x[k].Length != d)
                throw Error(RegressionPromptErrorIds.RaggedInputs, index, $"every row of X must have D = {d} values (the first row's); row {k} has {x[k]?.Length ?? 0}.", x[k]);
        y ??= [];
        var points = x.Count;
        if (y.Count == points && expected is not null)
            throw Error(RegressionPromptErrorIds.TargetCount, index, $"Y has K = {points} values, so its last is the expected y_K; Expected must not be given as well.", y);
        if (y.Count != points - 1 && y.Count != points)
            throw Error(RegressionPromptErrorIds.TargetCount, index, $"X has K = {points} rows, so Y needs K-1 = {points - 1} context values (or K with the expected y_K); got {y.Count}.", y);
        var expectedValue = y.Count == points ? y[^1] : expected;
        if (x.Any(r => r.Any(v => !double.IsFinite(v))) || y.Any(v => !double.IsFinite(v)) || expectedValue is { } e && !double.IsFinite(e))
            throw Error(RegressionPromptErrorIds.NotFinite, index, "every value of X, Y and Expected must be a finite number.", x);
        return new RegressionPrompt(index, x.Select(r => (double[])r.Clone()).ToArray(), y.Take(points - 1).ToArray(), expectedValue);
    }

    internal static IclPsException Error(string errorId, int index, string problem, object? target) =>
        new(errorId, IclErrorKind.InvalidArgument, $"Query {index}: {problem}", target);
}
