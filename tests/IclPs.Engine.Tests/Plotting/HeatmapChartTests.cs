using IclPs.Plotting;

namespace IclPs.Engine.Tests.Plotting;

public class HeatmapChartTests
{
    private static double[,] Grid(int rows, int columns, Func<int, int, double> value)
    {
        var grid = new double[rows, columns];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++) grid[r, c] = value(r, c);
        return grid;
    }

    private static IclPsException Fails(HeatmapChart chart) => Assert.Throws<IclPsException>(() => chart.RenderPng(400, 300));

    [Fact]
    public void Renders_a_png_of_the_requested_size_that_is_not_blank()
    {
        var chart = new HeatmapChart
        {
            Title = "Head effect", XLabel = "Head", YLabel = "Layer", ColorBarLabel = "theta",
            Values = Grid(4, 8, (r, c) => r * 8 + c), RowLabels = ["L0", "L1", "L2", "L3"],
        };
        var png = PngFacts.Read(chart.RenderPng(500, 420));
        Assert.Equal((500, 420), (png.Width, png.Height));
        Assert.True(png.GreyVariance() > 100, $"grey variance {png.GreyVariance()}");
    }

    [Fact]
    public void Different_values_give_a_different_image()
    {
        var a = new HeatmapChart { Values = Grid(3, 3, (r, c) => r + c) };
        var b = new HeatmapChart { Values = Grid(3, 3, (r, c) => r * c) };
        Assert.NotEqual(PngFacts.Read(a.RenderPng(300, 300)).Pixels.Pixels, PngFacts.Read(b.RenderPng(300, 300)).Pixels.Pixels);
    }

    [Fact]
    public void Row_zero_is_drawn_on_top()
    {
        // Viridis runs from dark purple (low) to yellow (high): the low row must be the dark band at the top of the plot area.
        var plot = new HeatmapChart { Values = Grid(2, 1, (r, _) => r) }.ToScottPlot();
        var png = PngFacts.Read(plot.GetImageBytes(400, 400, ScottPlot.ImageFormat.Png));
        var area = plot.RenderManager.LastRender.DataRect;
        double Band(double from, double to) => png.MeanGrey(
            (area.Left + 0.3 * area.Width) / png.Width, (area.Top + from * area.Height) / png.Height,
            (area.Left + 0.7 * area.Width) / png.Width, (area.Top + to * area.Height) / png.Height);
        var top = Band(0.1, 0.4);
        var bottom = Band(0.6, 0.9);
        Assert.True(top < 100 && bottom > 150, $"top band grey {top}, bottom band grey {bottom}");
    }

    [Fact]
    public void Missing_cells_are_allowed_but_not_an_empty_map()
    {
        PngFacts.Read(new HeatmapChart { Values = Grid(2, 2, (r, c) => r == c ? double.NaN : 1) }.RenderPng(300, 300));
        Assert.Equal("PlotNoData", Fails(new HeatmapChart { Values = Grid(2, 2, (_, _) => double.NaN) }).ErrorId);
        Assert.Equal("PlotNoData", Fails(new HeatmapChart { Values = new double[0, 3] }).ErrorId);
    }

    [Fact]
    public void Rejects_infinite_cells_and_wrong_label_counts()
    {
        var infinite = Fails(new HeatmapChart { Values = Grid(2, 2, (r, c) => r == 1 && c == 0 ? double.PositiveInfinity : 0), RowLabels = ["a", "b"] });
        Assert.Equal("PlotValueNotFinite", infinite.ErrorId);
        Assert.Contains("(b, 0)", infinite.Message);
        var labels = Fails(new HeatmapChart { Values = Grid(2, 3, (_, _) => 0), ColumnLabels = ["h0", "h1"] });
        Assert.Equal(("PlotLabelCountMismatch", (object?)2), (labels.ErrorId, labels.Target));
    }
}
