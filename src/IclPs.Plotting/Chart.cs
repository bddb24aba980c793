using IclPs.Engine;
using ScottPlot;

namespace IclPs.Plotting;

/// <summary>
/// A figure described as data (title, axis labels, what to draw), rendered by ScottPlot to PNG. Subclasses say what is
/// drawn; this class checks sizes and writes files so that a failed save never leaves a half-written image behind.
/// </summary>
public abstract class Chart
{
    /// <summary>Smallest width or height in pixels: below it the axes, labels and legend no longer fit.</summary>
    public const int MinPixels = 100;

    /// <summary>Largest width or height in pixels, a guard against a typo allocating gigabytes.</summary>
    public const int MaxPixels = 10_000;

    // ScottPlot takes the font manager's default face, a serif one on Debian's DejaVu set; labels and tick numbers read
    // better in a common sans face where one is installed.
    private static readonly Lazy<string?> SansFamily = new(() =>
    {
        var installed = SkiaSharp.SKFontManager.Default.FontFamilies.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Segoe UI" }.FirstOrDefault(installed.Contains);
    });

    public string? Title { get; init; }
    public string? XLabel { get; init; }
    public string? YLabel { get; init; }

    /// <summary>
    /// The ScottPlot figure this chart draws, for callers who want to restyle it before rendering. Throws an
    /// <see cref="IclPsException"/> when the chart's data cannot be drawn.
    /// </summary>
    public Plot ToScottPlot()
    {
        Validate();
        var plot = new Plot();
        if (SansFamily.Value is { } sans) plot.Font.Set(sans);
        Draw(plot);
        if (!string.IsNullOrEmpty(Title)) plot.Title(Title);
        if (!string.IsNullOrEmpty(XLabel)) plot.XLabel(XLabel);
        if (!string.IsNullOrEmpty(YLabel)) plot.YLabel(YLabel);
        return plot;
    }

    /// <summary>The chart as PNG bytes of exactly <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    public byte[] RenderPng(int width, int height)
    {
        CheckSize(width, height);
        return ToScottPlot().GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>
    /// Renders and writes the PNG to <paramref name="path"/> (replacing an existing file) through a temporary file in the
    /// same folder that is renamed into place, so readers see the old image or the new one, never part of one.
    /// Returns the full path written.
    /// </summary>
    public string SavePng(string path, int width, int height)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(directory))
            throw new IclPsException("OutputDirectoryNotFound", IclErrorKind.ObjectNotFound, $"Folder '{directory}' does not exist; cannot write '{fullPath}'.", fullPath);
        var bytes = RenderPng(width, height);
        StagedWrite.WriteAllBytes(fullPath, bytes);
        return fullPath;
    }

    /// <summary>Throws an <see cref="IclPsException"/> naming the first value that cannot be drawn.</summary>
    protected abstract void Validate();

    /// <summary>Adds the chart's plottables and axis settings to an empty plot; <see cref="Validate"/> has passed.</summary>
    protected abstract void Draw(Plot plot);

    private static void CheckSize(int width, int height)
    {
        foreach (var (name, value) in new[] { ("width", width), ("height", height) })
        {
            if (value is < MinPixels or > MaxPixels)
                throw new IclPsException("PlotSizeOutOfRange", IclErrorKind.InvalidArgument,
                    $"Image {name} {value} px is outside {MinPixels}..{MaxPixels} px.", value);
        }
    }
}
