using IclPs.Plotting;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace IclPs.Engine.Tests.Plotting;

public class LineChartTests
{
    private static readonly double[] Layers = [0, 1, 2, 3, 4, 5];

    private static LineChart TwoSeries(double offset = 0) => new()
    {
        Title = "Similarity per layer",
        XLabel = "Layer",
        YLabel = "Mean cosine",
        Series =
        [
            new LineSeries("Icl", Layers, Layers.Select(l => 0.9 - 0.05 * l + offset).ToArray(), Layers.Select(_ => 0.03).ToArray()),
            new LineSeries("OtherModel", Layers, Layers.Select(l => 0.5 + 0.04 * l).ToArray()),
        ],
    };

    /// <summary>The X axis ticks as drawn: a manual tick generator keeps only the ticks inside the rendered range.</summary>
    private static Tick[] RenderedXTicks(LineChart chart)
    {
        var plot = chart.ToScottPlot();
        plot.GetImageBytes(400, 300, ScottPlot.ImageFormat.Png);
        return plot.Axes.Bottom.TickGenerator.Ticks;
    }

    private static IclPsException Fails(LineChart chart) => Assert.Throws<IclPsException>(() => chart.RenderPng(400, 300));

    [Fact]
    public void Renders_a_png_of_the_requested_size_that_is_not_blank()
    {
        var png = PngFacts.Read(TwoSeries().RenderPng(640, 360));
        Assert.Equal((640, 360), (png.Width, png.Height));
        Assert.True(png.GreyVariance() > 100, $"grey variance {png.GreyVariance()}");
    }

    [Fact]
    public void Different_data_gives_a_different_image_and_the_same_data_the_same_image()
    {
        var a = PngFacts.Read(TwoSeries().RenderPng(400, 300)).Pixels.Pixels;
        var again = PngFacts.Read(TwoSeries().RenderPng(400, 300)).Pixels.Pixels;
        var shifted = PngFacts.Read(TwoSeries(offset: 0.2).RenderPng(400, 300)).Pixels.Pixels;
        Assert.Equal(a, again);
        Assert.NotEqual(a, shifted);
    }

    [Fact]
    public void Error_bars_are_drawn()
    {
        var with = TwoSeries();
        var without = new LineChart { Title = with.Title, XLabel = with.XLabel, YLabel = with.YLabel, Series = with.Series.Select(s => s with { YError = null }).ToArray() };
        Assert.NotEqual(PngFacts.Read(with.RenderPng(400, 300)).Pixels.Pixels, PngFacts.Read(without.RenderPng(400, 300)).Pixels.Pixels);
    }

    [Fact]
    public void Named_series_get_a_legend_in_its_own_panel()
    {
        // The legend sits right of the plot area, so naming a series narrows the plot area; unnamed series leave it wide.
        double PlotAreaWidth(string name)
        {
            var plot = new LineChart { Series = [new LineSeries(name, Layers, Layers)] }.ToScottPlot();
            plot.GetImageBytes(400, 300, ScottPlot.ImageFormat.Png);
            return plot.RenderManager.LastRender.DataRect.Width;
        }
        Assert.True(PlotAreaWidth("a long series name") < PlotAreaWidth("") - 50);
    }

    [Fact]
    public void Log2_axis_ticks_every_power_of_two_labelled_with_its_value()
    {
        var m = Enumerable.Range(0, 11).Select(k => Math.Pow(2, k)).ToArray();
        var chart = new LineChart { XScale = AxisScale.Log2, Series = [new LineSeries("", m, m.Select(x => 1 / x).ToArray())] };
        var ticks = RenderedXTicks(chart);
        var labelled = ticks.ToDictionary(t => t.Position, t => t.Label);
        for (var k = 0; k <= 10; k++) Assert.Equal(((int)Math.Pow(2, k)).ToString(), labelled[k]);
        Assert.Equal("0.5", Log2Ticks.Label(-1));
        Assert.Equal("65536", Log2Ticks.Label(16));
        Assert.Equal("2^20", Log2Ticks.Label(20));
    }

    [Fact]
    public void Log2_axis_thins_labels_over_a_wide_range()
    {
        var m = Enumerable.Range(0, 31).Select(k => Math.Pow(2, k)).ToArray();
        var chart = new LineChart { XScale = AxisScale.Log2, Series = [new LineSeries("", m, m)] };
        var ticks = RenderedXTicks(chart).Where(t => t.IsMajor).ToArray();
        Assert.InRange(ticks.Length, 8, 14);
        Assert.All(ticks, t => Assert.Equal(0, t.Position % 3));
    }

    [Fact]
    public void Integer_x_values_get_integer_ticks()
    {
        var generator = Assert.IsType<NumericAutomatic>(TwoSeries().ToScottPlot().Axes.Bottom.TickGenerator);
        Assert.True(generator.IntegerTicksOnly);
    }

    [Fact]
    public void Log2_axis_rejects_values_at_or_below_zero()
    {
        var e = Fails(new LineChart { XScale = AxisScale.Log2, Series = [new LineSeries("s", [0.0, 1], [1.0, 2])] });
        Assert.Equal("PlotLogXNotPositive", e.ErrorId);
        Assert.Equal(0.0, e.Target);
    }

    [Fact]
    public void Rejects_series_that_cannot_be_drawn()
    {
        Assert.Equal("PlotNoData", Fails(new LineChart { Series = [] }).ErrorId);
        Assert.Equal("PlotNoData", Fails(new LineChart { Series = [new LineSeries("empty", [], [])] }).ErrorId);
        var mismatch = Fails(new LineChart { Series = [new LineSeries("short", [1.0, 2], [1.0])] });
        Assert.Equal(("PlotSeriesLengthMismatch", (object?)"short"), (mismatch.ErrorId, mismatch.Target));
        Assert.Equal("PlotSeriesLengthMismatch", Fails(new LineChart { Series = [new LineSeries("s", [1.0], [1.0], [1.0, 2])] }).ErrorId);
        var nan = Fails(new LineChart { Series = [new LineSeries("s", [1.0, 2], [1.0, double.NaN])] });
        Assert.Equal("PlotValueNotFinite", nan.ErrorId);
        Assert.Contains("point 1", nan.Message);
        Assert.Equal("PlotErrorBarNegative", Fails(new LineChart { Series = [new LineSeries("s", [1.0], [1.0], [-0.1])] }).ErrorId);
    }

    [Theory]
    [InlineData(99, 300)]
    [InlineData(400, 10_001)]
    public void Rejects_sizes_out_of_range(int width, int height)
    {
        var e = Assert.Throws<IclPsException>(() => TwoSeries().RenderPng(width, height));
        Assert.Equal("PlotSizeOutOfRange", e.ErrorId);
    }
}
