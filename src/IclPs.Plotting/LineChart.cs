using System.Globalization;
using IclPs.Engine;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace IclPs.Plotting;

/// <summary>
/// Lines with markers for one or more named series (e.g. mean cosine per layer, one series per condition), optional
/// error bars, linear or log axes. Named series get a legend to the right of the plot area. A series that lacks an X
/// value other series have (a point left out) is not joined across it: the line breaks there instead of pretending.
/// </summary>
public sealed class LineChart : Chart
{
    public required IReadOnlyList<LineSeries> Series { get; init; }
    public AxisScale XScale { get; init; } = AxisScale.Linear;

    /// <summary>
    /// Linear or log10 (values spanning decades); on a log axis an error bar's lower end is drawn at no less than a
    /// hundredth of its value, since Y - error can reach 0.
    /// </summary>
    public AxisScale YScale { get; init; } = AxisScale.Linear;

    /// <summary>Ticks the X axis at exactly the X values measured (e.g. the M of a sweep), labelled with them.</summary>
    public bool TicksAtData { get; init; }

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
                if (XScale != AxisScale.Linear && series.X[i] <= 0)
                    throw new IclPsException("PlotLogXNotPositive", IclErrorKind.InvalidData,
                        $"Series '{name}' point {i} has X = {series.X[i]}; a log X axis needs values above 0.", series.X[i]);
                if (YScale != AxisScale.Linear && series.Y[i] <= 0)
                    throw new IclPsException("PlotLogYNotPositive", IclErrorKind.InvalidData,
                        $"Series '{name}' point {i} has Y = {series.Y[i]}; a log Y axis needs values above 0.", series.Y[i]);
            }
        }
    }

    protected override void Draw(Plot plot)
    {
        var allX = Series.SelectMany(s => s.X).Distinct().Order().ToArray();
        foreach (var series in Series)
        {
            var order = Enumerable.Range(0, series.X.Count).OrderBy(i => series.X[i]).ToArray();
            var xs = order.Select(i => Position(XScale, series.X[i])).ToArray();
            var ys = order.Select(i => Position(YScale, series.Y[i])).ToArray();
            Color? color = null;
            // A reference is a guide drawn straight through; measured series break where a point was left out.
            var runs = series.Reference ? [(0, xs.Length)] : Runs(order.Select(i => series.X[i]).ToArray(), allX);
            foreach (var (start, length) in runs)
            {
                var line = plot.Add.Scatter(xs[start..(start + length)], ys[start..(start + length)], color);
                color ??= line.Color;
                line.LineWidth = 2;
                line.MarkerSize = series.Reference ? 0 : 6;
                if (series.Reference) line.LinePattern = LinePattern.Dashed;
                // One legend entry per series, however many runs its line breaks into.
                if (start == 0 && !string.IsNullOrEmpty(series.Name)) line.LegendText = series.Name;
            }
            if (series.YError is { } errors)
            {
                var up = order.Select(i => Position(YScale, series.Y[i] + errors[i]) - Position(YScale, series.Y[i])).ToArray();
                var down = order.Select(i => Position(YScale, series.Y[i]) - Position(YScale, LowerEnd(series.Y[i], errors[i]))).ToArray();
                var bars = new ScottPlot.Plottables.ErrorBar(xs, ys, null, null, up, down) { Color = color!.Value };
                plot.Add.Plottable(bars);
            }
        }
        if (TicksAtData)
        {
            var ticks = new NumericManual();
            foreach (var x in allX) ticks.AddMajor(Position(XScale, x), x.ToString("G6", CultureInfo.InvariantCulture));
            plot.Axes.Bottom.TickGenerator = ticks;
        }
        else if (XScale == AxisScale.Log2)
        {
            plot.Axes.Bottom.TickGenerator = Log2Ticks.Between(Position(XScale, allX[0]), Position(XScale, allX[^1]));
        }
        else if (XScale == AxisScale.Log10)
        {
            plot.Axes.Bottom.TickGenerator = Log10Ticks.Between(Position(XScale, allX[0]), Position(XScale, allX[^1]));
        }
        else if (allX.All(x => x == Math.Round(x)))
        {
            // Layers, shot counts, steps: a tick at 2.5 would name a point that cannot exist.
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        }
        if (YScale != AxisScale.Linear)
        {
            var ys = Series.SelectMany(s => s.Y).Select(y => Position(YScale, y)).ToArray();
            plot.Axes.Left.TickGenerator = YScale == AxisScale.Log2 ? Log2Ticks.Between(ys.Min(), ys.Max()) : Log10Ticks.Between(ys.Min(), ys.Max());
        }
        if (Series.Any(s => !string.IsNullOrEmpty(s.Name))) plot.ShowLegend(Edge.Right);
    }

    /// <summary>
    /// The runs of consecutive points of one series (its sorted X) that no X of <paramref name="allX"/> falls between:
    /// (start, length) pairs covering every point.
    /// </summary>
    public static IEnumerable<(int Start, int Length)> Runs(double[] sortedX, double[] allX)
    {
        var start = 0;
        for (var i = 1; i <= sortedX.Length; i++)
        {
            var broken = i == sortedX.Length || allX.Any(x => x > sortedX[i - 1] && x < sortedX[i]);
            if (!broken) continue;
            yield return (start, i - start);
            start = i;
        }
    }

    private double LowerEnd(double y, double error) => YScale == AxisScale.Linear || y - error > y / 100 ? y - error : y / 100;

    public static double Position(AxisScale scale, double value) => scale switch
    {
        AxisScale.Log2 => Math.Log2(value),
        AxisScale.Log10 => Math.Log10(value),
        _ => value,
    };

    private static void RequireFinite(string series, string what, int index, double value)
    {
        if (!double.IsFinite(value))
            throw new IclPsException("PlotValueNotFinite", IclErrorKind.InvalidData,
                $"Series '{series}' point {index} has {what} = {value}; only finite numbers can be drawn.", value);
    }
}
