using IclPs.Engine;
using ScottPlot;

namespace IclPs.Plotting;

/// <summary>
/// A matrix as coloured cells with a colour bar, e.g. layers (rows) x heads (columns) of a per-head effect. Row 0 is
/// drawn at the top, as matrices are written. NaN marks a missing cell and is left uncoloured.
/// </summary>
public sealed class HeatmapChart : Chart
{
    // More tick labels than this on one axis overlap at usual sizes; beyond it every n-th row or column is labelled.
    private const int MaxLabelsPerAxis = 25;

    /// <summary>[rows, columns].</summary>
    public required double[,] Values { get; init; }

    /// <summary>One per row, top to bottom; row indices when null.</summary>
    public IReadOnlyList<string>? RowLabels { get; init; }

    /// <summary>One per column, left to right; column indices when null.</summary>
    public IReadOnlyList<string>? ColumnLabels { get; init; }

    /// <summary>Text beside the colour bar, e.g. the value's name.</summary>
    public string? ColorBarLabel { get; init; }

    private int Rows => Values.GetLength(0);
    private int Columns => Values.GetLength(1);

    protected override void Validate()
    {
        if (Rows == 0 || Columns == 0)
            throw new IclPsException("PlotNoData", IclErrorKind.InvalidArgument, $"A heat map needs at least one cell; the matrix is {Rows} x {Columns}.", null);
        RequireLabelCount(RowLabels, Rows, "row");
        RequireLabelCount(ColumnLabels, Columns, "column");
        var any = false;
        for (var r = 0; r < Rows; r++)
        {
            for (var c = 0; c < Columns; c++)
            {
                var value = Values[r, c];
                if (double.IsInfinity(value))
                    throw new IclPsException("PlotValueNotFinite", IclErrorKind.InvalidData,
                        $"Cell ({Label(RowLabels, r)}, {Label(ColumnLabels, c)}) is {value}; only finite numbers (or NaN for a missing cell) can be drawn.", value);
                any |= !double.IsNaN(value);
            }
        }
        if (!any)
            throw new IclPsException("PlotNoData", IclErrorKind.InvalidArgument, "Every cell of the heat map is missing (NaN).", null);
    }

    protected override void Draw(Plot plot)
    {
        var heatmap = plot.Add.Heatmap(Values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.NaNCellColor = Colors.Transparent;
        // ScottPlot's default layout: unit cells centred on (c, Rows - 1 - r), row 0 on top. (Setting an explicit
        // rectangle instead divides by columns - 1 and draws nothing for a single column.)
        var colorBar = plot.Add.ColorBar(heatmap, Edge.Right);
        if (!string.IsNullOrEmpty(ColorBarLabel)) colorBar.Label = ColorBarLabel;

        plot.Axes.Bottom.TickGenerator = CategoryTicks(Columns, c => c, c => Label(ColumnLabels, c));
        plot.Axes.Left.TickGenerator = CategoryTicks(Rows, r => Rows - 1 - r, r => Label(RowLabels, r));
        plot.Axes.SetLimits(-0.5, Columns - 0.5, -0.5, Rows - 0.5);
        plot.Grid.IsVisible = false;
    }

    private static ScottPlot.TickGenerators.NumericManual CategoryTicks(int count, Func<int, double> position, Func<int, string> label)
    {
        var step = (int)Math.Ceiling(count / (double)MaxLabelsPerAxis);
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var i = 0; i < count; i += step) ticks.AddMajor(position(i), label(i));
        return ticks;
    }

    private static string Label(IReadOnlyList<string>? labels, int index) => labels?[index] ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void RequireLabelCount(IReadOnlyList<string>? labels, int count, string what)
    {
        if (labels is not null && labels.Count != count)
            throw new IclPsException("PlotLabelCountMismatch", IclErrorKind.InvalidArgument,
                $"{labels.Count} {what} labels given for {count} {what}s.", labels.Count);
    }
}
