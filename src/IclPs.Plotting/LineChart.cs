using IclPs.Engine;
using ScottPlot;

namespace IclPs.Plotting;

/// <summary>
/// Lines with markers for one or more named series (e.g. mean cosine per layer, one series per condition), optional
/// error bars, and a linear or log2 X axis. Named series get a legend to the right of the plot area.
/// </summary>
public sealed class LineChart : Chart
{
    public required IReadOnlyList<LineSeries> Series { get; init; }
    public AxisScale XScale { get; init; } = AxisScale.Linear;

    protected override void Validate()
    {
        if (Series.Count == 0)
            throw new IclPsException("PlotNoData", IclErrorKind.InvalidArgument, "A line chart needs at least one series.", null);
        foreach (var series in Series)
        {
            var name = series.Name;
            if (series.X.Count == 0)
                throw new IclPsException("PlotNoData", IclErrorKind.InvalidArgument, $"Series '{name}' has no points.", name);
            if (series.Y.Count != series.X.Count || (series.YError is { } e && e.Count != series.X.Count))
                throw new IclPsException("PlotSeriesLengthMismatch", IclErrorKind.InvalidData,
                    $"Series '{name}' has {series.X.Count} X, {series.Y.Count} Y{(series.YError is null ? "" : $" and {series.YError.Count} error")} values; they must match.", name);
            for (var i = 0; i < series.X.Count; i++)
            {
                RequireFinite(name, "X", i, series.X[i]);
                RequireFinite(name, "Y", i, series.Y[i]);
                if (series.YError is { } errors)
                {
                    RequireFinite(name, "error", i, errors[i]);
                    if (errors[i] < 0)
                        throw new IclPsException("PlotErrorBarNegative", IclErrorKind.InvalidData,
                            $"Series '{name}' point {i} has error bar {errors[i]}; error bars are half-widths and cannot be negative.", errors[i]);
                }
                if (XScale == AxisScale.Log2 && series.X[i] <= 0)
                    throw new IclPsException("PlotLogXNotPositive", IclErrorKind.InvalidData,
                        $"Series '{name}' point {i} has X = {series.X[i]}; a log2 X axis needs values above 0.", series.X[i]);
            }
        }
    }

    protected override void Draw(Plot plot)
    {
        foreach (var series in Series)
        {
            var order = Enumerable.Range(0, series.X.Count).OrderBy(i => series.X[i]).ToArray();
            var xs = order.Select(i => Position(series.X[i])).ToArray();
            var ys = order.Select(i => series.Y[i]).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.MarkerSize = 6;
            line.LineWidth = 2;
            if (!string.IsNullOrEmpty(series.Name)) line.LegendText = series.Name;
            if (series.YError is { } errors)
            {
                var bars = plot.Add.ErrorBar(xs, ys, order.Select(i => errors[i]).ToArray());
                bars.Color = line.Color;
            }
        }
        if (XScale == AxisScale.Log2)
        {
            var positions = Series.SelectMany(s => s.X).Select(Position).ToArray();
            plot.Axes.Bottom.TickGenerator = Log2Ticks.Between(positions.Min(), positions.Max());
        }
        else if (Series.All(s => s.X.All(x => x == Math.Round(x))))
        {
            // Layers, shot counts, steps: a tick at 2.5 would name a point that cannot exist.
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        }
        if (Series.Any(s => !string.IsNullOrEmpty(s.Name))) plot.ShowLegend(Edge.Right);
    }

    private double Position(double x) => XScale == AxisScale.Log2 ? Math.Log2(x) : x;

    private static void RequireFinite(string series, string what, int index, double value)
    {
        if (!double.IsFinite(value))
            throw new IclPsException("PlotValueNotFinite", IclErrorKind.InvalidData,
                $"Series '{series}' point {index} has {what} = {value}; only finite numbers can be drawn.", value);
    }
}
