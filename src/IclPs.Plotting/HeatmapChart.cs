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

    /// <summary>
    /// Colours signed values (weights, effects) on a diverging map centred at 0: white at 0, blue below, red above, the
    /// range symmetric about 0 so equal magnitudes get equal strength. Default: a sequential map over the values' range.
    /// </summary>
    public bool Diverging { get; init; }

    /// <summary>Writes each cell's value in it, formatted with this .NET format string (e.g. "0.00"); null writes none.</summary>
    public string? CellFormat { get; init; }

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
        if (CellFormat is not null)
        {
            try
            {
                _ = 1.5.ToString(CellFormat, System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (FormatException e)
            {
                throw new IclPsException("PlotInvalidFormat", IclErrorKind.InvalidArgument, $"'{CellFormat}' is not a .NET number format: {e.Message}", CellFormat, e);
            }
        }
    }

    protected override void Draw(Plot plot)
    {
        var heatmap = plot.Add.Heatmap(Values);
        heatmap.Colormap = Diverging ? new ScottPlot.Colormaps.Balance() : new ScottPlot.Colormaps.Viridis();
        var (low, high) = ValueRange();
        heatmap.ManualRange = new ScottPlot.Range(low, high);
        heatmap.NaNCellColor = Colors.Transparent;
        // ScottPlot's default layout: unit cells centred on (c, Rows - 1 - r), row 0 on top. (Setting an explicit
        // rectangle instead divides by columns - 1 and draws nothing for a single column.)
        var colorBar = plot.Add.ColorBar(heatmap, Edge.Right);
        if (!string.IsNullOrEmpty(ColorBarLabel)) colorBar.Label = ColorBarLabel;

        plot.Axes.Bottom.TickGenerator = CategoryTicks(Columns, c => c, c => Label(ColumnLabels, c));
        plot.Axes.Left.TickGenerator = CategoryTicks(Rows, r => Rows - 1 - r, r => Label(RowLabels, r));
        plot.Axes.SetLimits(-0.5, Columns - 0.5, -0.5, Rows - 0.5);
        plot.Grid.IsVisible = false;
        if (CellFormat is not null) Annotate(plot, heatmap.Colormap, low, high);
    }

    /// <summary>
    /// The colour scale's ends: the values' range, or with <see cref="Diverging"/> the range symmetric about 0 that holds
    /// every value (a constant matrix gets a unit range, so it still has a colour).
    /// </summary>
    public (double Low, double High) ValueRange()
    {
        var present = Values.Cast<double>().Where(v => !double.IsNaN(v)).ToArray();
        var (low, high) = (present.Min(), present.Max());
        if (Diverging)
        {
            var extent = Math.Max(Math.Abs(low), Math.Abs(high));
            return extent == 0 ? (-1, 1) : (-extent, extent);
        }
        return low == high ? (low - 0.5, high + 0.5) : (low, high);
    }

    // Dark text on light cells and light text on dark ones, judged by the cell colour's luminance.
    private void Annotate(Plot plot, IColormap colormap, double low, double high)
    {
        for (var r = 0; r < Rows; r++)
        {
            for (var c = 0; c < Columns; c++)
            {
                var value = Values[r, c];
                if (double.IsNaN(value)) continue;
                var fill = colormap.GetColor((value - low) / (high - low));
                var luminance = 0.2126 * fill.Red + 0.7152 * fill.Green + 0.0722 * fill.Blue;
                var text = plot.Add.Text(value.ToString(CellFormat, System.Globalization.CultureInfo.InvariantCulture), c, Rows - 1 - r);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = luminance > 140 ? Colors.Black : Colors.White;
                text.LabelFontSize = 12;
            }
        }
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
