namespace IclPs.Plotting;

/// <summary>
/// One named line: points (X[i], Y[i]) joined in increasing X, with an optional symmetric error bar Y[i] ± YError[i]
/// (for example a standard deviation). An empty name leaves the series out of the legend. A <paramref name="Reference"/>
/// series (a baseline, the M = inf model) is drawn as a dashed line without markers, so it reads as a guide, not as data.
/// </summary>
public sealed record LineSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? YError = null, bool Reference = false);
