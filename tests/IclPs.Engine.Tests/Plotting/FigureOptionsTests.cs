using IclPs.Plotting;
using ScottPlot;
using ScottPlot.Plottables;

namespace IclPs.Engine.Tests.Plotting;

/// <summary>Log axes, ticks at the data, reference lines, broken lines, grouped bars, diverging and annotated heat maps.</summary>
public class FigureOptionsTests
{
    private static Plot Rendered(Chart chart, int width = 500, int height = 400)
    {
        var plot = chart.ToScottPlot();
        plot.GetImageBytes(width, height, ImageFormat.Png);
        return plot;
    }

    [Fact]
    public void Log10_y_axis_places_values_at_their_logarithm_and_labels_each_decade()
    {
        double[] x = [1, 2, 3], y = [0.01, 1, 100];
        var plot = Rendered(new LineChart { YScale = AxisScale.Log10, Series = [new LineSeries("", x, y)] });
        var line = Assert.Single(plot.GetPlottables<Scatter>());
        Assert.Equal(new[] { -2.0, 0, 2 }, line.Data.GetScatterPoints().Select(p => p.Y).ToArray());
        var labels = plot.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor).ToDictionary(t => t.Position, t => t.Label);
        Assert.Equal("0.01", labels[-2]);
        Assert.Equal("1", labels[0]);
        Assert.Equal("100", labels[2]);
        Assert.Equal("PlotLogYNotPositive", Assert.Throws<IclPsException>(() =>
            new LineChart { YScale = AxisScale.Log10, Series = [new LineSeries("", x, [1, 0, 2])] }.RenderPng(300, 300)).ErrorId);
    }

    [Fact]
    public void Log_error_bars_span_y_plus_and_minus_the_error_with_the_lower_end_floored()
    {
        var plot = Rendered(new LineChart { YScale = AxisScale.Log10, Series = [new LineSeries("", [1, 2], [10, 10], [5, 20])] });
        var bars = Assert.Single(plot.GetPlottables<ErrorBar>());
        Assert.Equal(Math.Log10(15) - 1, bars.YErrorPositive![0], 12);
        Assert.Equal(1 - Math.Log10(5), bars.YErrorNegative![0], 12);
        Assert.Equal(2.0, bars.YErrorNegative![1], 12);   // 10 - 20 < 0: drawn down to 10 / 100
    }

    [Fact]
    public void Ticks_at_data_name_exactly_the_measured_x_values()
    {
        double[] m = [32, 128, 512, 2048];
        var plot = Rendered(new LineChart { XScale = AxisScale.Log2, TicksAtData = true, Series = [new LineSeries("", m, [1, 2, 3, 4])] });
        var ticks = plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).ToArray();
        Assert.Equal(new[] { 5.0, 7, 9, 11 }, ticks.Select(t => t.Position).ToArray());
        Assert.Equal(new[] { "32", "128", "512", "2048" }, ticks.Select(t => t.Label).ToArray());
    }

    [Fact]
    public void A_reference_series_is_a_dashed_line_without_markers_and_keeps_one_legend_entry()
    {
        var plot = Rendered(new LineChart
        {
            Series = [new LineSeries("model", [1, 2, 3], [1, 2, 3]), new LineSeries("M = inf", [1, 3], [2, 2], Reference: true)],
        });
        var lines = plot.GetPlottables<Scatter>().ToArray();
        Assert.Equal(2, lines.Length);                        // the reference spans the measured point it lacks
        Assert.Equal(6, lines[0].MarkerSize);
        Assert.Equal(0, lines[1].MarkerSize);
        Assert.Equal(LinePattern.Dashed, lines[1].LinePattern);
        Assert.Equal(new[] { "model", "M = inf" }, plot.GetPlottables().SelectMany(p => p.LegendItems).Select(i => i.LabelText).ToArray());
    }

    [Fact]
    public void A_measured_series_is_not_joined_across_a_point_it_lacks()
    {
        double[] all = [0, 1, 2, 3, 4];
        var plot = Rendered(new LineChart
        {
            Series = [new LineSeries("full", all, all), new LineSeries("clipped", [0, 1, 3, 4], [1, 1, 1, 1])],
        });
        var clipped = plot.GetPlottables<Scatter>().Skip(1).ToArray();
        Assert.Equal(3, plot.GetPlottables<Scatter>().Count());   // "full" in one run, "clipped" in two
        Assert.Equal(new[] { (0, 2), (2, 2) }, LineChart.Runs([0, 1, 3, 4], all).ToArray());
        Assert.Equal(new[] { (0, 3) }, LineChart.Runs([0, 2, 4], [0, 2, 4]).ToArray());
        Assert.Equal(2, clipped.Length);
        Assert.Single(plot.GetPlottables().SelectMany(p => p.LegendItems), i => i.LabelText == "clipped");
        Assert.Equal(new[] { 0.0, 1 }, clipped[0].Data.GetScatterPoints().Select(p => p.X).ToArray());
        Assert.Equal(new[] { 3.0, 4 }, clipped[1].Data.GetScatterPoints().Select(p => p.X).ToArray());
    }

    [Fact]
    public void Grouped_bars_sit_side_by_side_in_each_category_with_their_error_bars()
    {
        var chart = new BarChart
        {
            Categories = ["Icl", "Ltv", "TaskVector"],
            Groups = [new BarGroup("zero-shot", [0.9, 0.4, double.NaN], [0.01, 0.03, 0]), new BarGroup("shuffled", [0.9, 0.3, 0.2], [0.02, 0.03, 0.04])],
        };
        var plot = Rendered(chart);
        var groups = plot.GetPlottables<BarPlot>().ToArray();
        Assert.Equal(2, groups.Length);
        Assert.Equal(2, groups[0].Bars.Count);                      // the missing bar is left out
        var ltvShuffled = groups[1].Bars[1];
        Assert.Equal((0.3, 0.03), (ltvShuffled.Value, ltvShuffled.Error));
        Assert.Equal(1 - 0.2, chart.BarPosition(1, 0), 12);
        Assert.Equal(1 + 0.2, ltvShuffled.Position, 12);
        Assert.NotEqual(groups[0].Bars[0].FillColor, groups[1].Bars[0].FillColor);
        var labels = plot.Axes.Bottom.TickGenerator.Ticks.Select(t => t.Label).ToArray();
        Assert.Equal(new[] { "Icl", "Ltv", "TaskVector" }, labels);
        Assert.True(PngFacts.Read(chart.RenderPng(400, 300)).GreyVariance() > 100);
    }

    [Fact]
    public void A_diverging_heat_map_is_centred_at_zero_and_white_there()
    {
        var chart = new HeatmapChart { Values = new double[,] { { -1, 0.5 }, { 0, 3 } }, Diverging = true };
        Assert.Equal((-3.0, 3.0), chart.ValueRange());
        var plot = Rendered(chart);
        var heatmap = Assert.Single(plot.GetPlottables<Heatmap>());
        var centre = heatmap.Colormap.GetColor(0.5);
        Assert.True(centre.Red > 220 && centre.Green > 220 && centre.Blue > 220, $"colour at 0: {centre}");
        var low = heatmap.Colormap.GetColor(0.0);
        var high = heatmap.Colormap.GetColor(1.0);
        Assert.True(low.Blue > low.Red && high.Red > high.Blue, $"low {low}, high {high}");
        Assert.Equal((0.0, 3.0), new HeatmapChart { Values = new double[,] { { 0, 3 } } }.ValueRange());
    }

    [Fact]
    public void Annotated_cells_carry_their_formatted_values_in_a_contrasting_colour()
    {
        var chart = new HeatmapChart { Values = new double[,] { { -2, double.NaN }, { 0, 2 } }, Diverging = true, CellFormat = "0.00" };
        var texts = Rendered(chart).GetPlottables<Text>().ToArray();
        Assert.Equal(new[] { "-2.00", "0.00", "2.00" }, texts.Select(t => t.LabelText).ToArray());
        Assert.Equal((0.0, 1.0), (texts[0].Location.X, texts[0].Location.Y));     // row 0 on top
        Assert.Equal(Colors.Black, texts[1].LabelFontColor);                          // on white
        Assert.Equal(Colors.White, texts[0].LabelFontColor);                          // on dark blue
        Assert.Equal("PlotInvalidFormat", Assert.Throws<IclPsException>(() =>
            new HeatmapChart { Values = new double[,] { { 1 } }, CellFormat = "X" }.RenderPng(300, 300)).ErrorId);
    }
}
