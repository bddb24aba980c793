using IclPs.Engine;
using ScottPlot;

namespace IclPs.Plotting;

/// <summary>One group of a grouped bar chart: a value per category (NaN where it has none) and optional error half-widths.</summary>
public sealed record BarGroup(string Name, IReadOnlyList<double> Values, IReadOnlyList<double>? Errors = null);

/// <summary>
/// Grouped bars: one cluster per category (e.g. a method) with one bar per group (e.g. a setting) side by side, each with an
/// optional error bar (e.g. a standard error), from a zero baseline. Named groups get a legend to the right.
/// </summary>
public sealed class BarChart : Chart
{
    // Share of each category's slot the bars of its cluster fill; the rest separates clusters.
    private const double ClusterWidth = 0.8;

    public required IReadOnlyList<string> Categories { get; init; }
    public required IReadOnlyList<BarGroup> Groups { get; init; }

    protected override void Validate()
    {
        if (Categories.Count == 0 || Groups.Count == 0)
            throw new IclPsException("PlotNoData", IclErrorKind.InvalidArgument, "A bar chart needs at least one category and one group.", null);
        foreach (var group in Groups)
        {
            if (group.Values.Count != Categories.Count || (group.Errors is { } e && e.Count != Categories.Count))
                throw new IclPsException("PlotSeriesLengthMismatch", IclErrorKind.InvalidData,
                    $"Group '{group.Name}' has {group.Values.Count} values{(group.Errors is null ? "" : $" and {group.Errors.Count} errors")} for {Categories.Count} categories.", group.Name);
            for (var c = 0; c < Categories.Count; c++)
            {
                if (double.IsInfinity(group.Values[c]))
                    throw new IclPsException("PlotValueNotFinite", IclErrorKind.InvalidData,
                        $"Group '{group.Name}' has {group.Values[c]} at '{Categories[c]}'; only finite numbers (or NaN for a missing bar) can be drawn.", group.Values[c]);
                if (group.Errors is { } errors && (!double.IsFinite(errors[c]) || errors[c] < 0) && !double.IsNaN(group.Values[c]))
                    throw new IclPsException("PlotErrorBarNegative", IclErrorKind.InvalidData,
                        $"Group '{group.Name}' has error bar {errors[c]} at '{Categories[c]}'; error bars are finite half-widths, 0 or more.", errors[c]);
            }
        }
    }

    protected override void Draw(Plot plot)
    {
        var width = ClusterWidth / Groups.Count;
        for (var g = 0; g < Groups.Count; g++)
        {
            var group = Groups[g];
            var color = plot.Add.Palette.GetColor(g);
            var bars = Enumerable.Range(0, Categories.Count)
                .Where(c => !double.IsNaN(group.Values[c]))
                .Select(c => new Bar
                {
                    Position = BarPosition(c, g),
                    Value = group.Values[c],
                    Error = group.Errors?[c] ?? 0,
                    Size = width * 0.95,
                    FillColor = color,
                })
                .ToArray();
            var plottable = plot.Add.Bars(bars);
            if (!string.IsNullOrEmpty(group.Name)) plottable.LegendText = group.Name;
        }
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var c = 0; c < Categories.Count; c++) ticks.AddMajor(c, Categories[c]);
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Margins(bottom: 0);
        if (Groups.Any(g => !string.IsNullOrEmpty(g.Name))) plot.ShowLegend(Edge.Right);
    }

    /// <summary>The centre of group <paramref name="group"/>'s bar in category <paramref name="category"/>'s cluster.</summary>
    public double BarPosition(int category, int group) => category - ClusterWidth / 2 + ClusterWidth / Groups.Count * (group + 0.5);
}
