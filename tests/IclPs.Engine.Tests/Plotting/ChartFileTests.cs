using IclPs.Engine.Tests.Data;
using IclPs.Plotting;

namespace IclPs.Engine.Tests.Plotting;

public class ChartFileTests
{
    private static LineChart Chart(double slope) => new() { Title = "t", Series = [new LineSeries("s", [0.0, 1, 2], [0.0, slope, 2 * slope])] };

    [Fact]
    public void SavePng_replaces_the_file_and_leaves_no_temporary_file()
    {
        using var dir = new TempFolder();
        var path = dir.File("plot.png", "old contents");
        Assert.Equal(path, Chart(1).SavePng(path, 320, 240));
        var png = PngFacts.Read(File.ReadAllBytes(path));
        Assert.Equal((320, 240), (png.Width, png.Height));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Undrawable_data_leaves_the_existing_file_untouched()
    {
        using var dir = new TempFolder();
        var path = dir.File("plot.png");
        Chart(1).SavePng(path, 320, 240);
        var before = File.ReadAllBytes(path);
        Assert.Throws<IclPsException>(() => Chart(double.NaN).SavePng(path, 320, 240));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Missing_folder_is_reported_and_not_created()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "missing", "plot.png");
        var e = Assert.Throws<IclPsException>(() => Chart(1).SavePng(path, 320, 240));
        Assert.Equal(("OutputDirectoryNotFound", (object?)path), (e.ErrorId, e.Target));
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public void A_folder_in_the_way_is_a_write_error()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "taken.png");
        Directory.CreateDirectory(path);
        var e = Assert.Throws<IclPsException>(() => Chart(1).SavePng(path, 320, 240));
        Assert.Equal("PlotWriteFailed", e.ErrorId);
        Assert.Equal([path], Directory.GetFileSystemEntries(dir.Path));
    }
}
