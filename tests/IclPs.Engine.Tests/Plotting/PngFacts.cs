using System.Buffers.Binary;
using SkiaSharp;

namespace IclPs.Engine.Tests.Plotting;

/// <summary>What a test can check about a PNG without trusting the code that wrote it: header fields and decoded pixels.</summary>
internal sealed class PngFacts
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private PngFacts(int width, int height, SKBitmap pixels)
    {
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>From the IHDR chunk, which the PNG spec requires right after the signature.</summary>
    public int Width { get; }
    public int Height { get; }
    public SKBitmap Pixels { get; }

    public static PngFacts Read(byte[] png)
    {
        Assert.True(png.Length > 33, $"{png.Length} bytes cannot hold a PNG header");
        Assert.Equal(Signature, png[..8]);
        Assert.Equal(13, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(8)));
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        var width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16));
        var height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20));
        var pixels = SKBitmap.Decode(png) ?? throw new Xunit.Sdk.XunitException("SkiaSharp could not decode the PNG");
        Assert.Equal((width, height), (pixels.Width, pixels.Height));
        return new PngFacts(width, height, pixels);
    }

    /// <summary>Variance of the grey level over all pixels: 0 for a blank (single-colour) image.</summary>
    public double GreyVariance()
    {
        double sum = 0, sumSquares = 0;
        foreach (var c in Pixels.Pixels)
        {
            var grey = (c.Red + c.Green + c.Blue) / 3.0;
            sum += grey;
            sumSquares += grey * grey;
        }
        var n = (double)Pixels.Pixels.Length;
        return sumSquares / n - (sum / n) * (sum / n);
    }

    /// <summary>Mean grey level in a rectangle given as fractions of the image (0..1), for checking where something was drawn.</summary>
    public double MeanGrey(double left, double top, double right, double bottom)
    {
        double sum = 0;
        var count = 0;
        for (var y = (int)(top * Height); y < (int)(bottom * Height); y++)
        {
            for (var x = (int)(left * Width); x < (int)(right * Width); x++)
            {
                var c = Pixels.GetPixel(x, y);
                sum += (c.Red + c.Green + c.Blue) / 3.0;
                count++;
            }
        }
        return sum / count;
    }
}
