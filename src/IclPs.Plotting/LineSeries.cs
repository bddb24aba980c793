namespace IclPs.Plotting;

/// <summary>
/// One named line: points (X[i], Y[i]) joined in increasing X, with an optional symmetric error bar Y[i] ± YError[i]
/// (for example a standard deviation). An empty name leaves the series out of the legend.
/// </summary>
public sealed record LineSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? YError = null);
