using System.Globalization;
using ScottPlot.TickGenerators;

namespace IclPs.Plotting;

/// <summary>
/// Ticks for an axis whose positions are log10 of the values: a labelled major tick at every power of ten and unlabelled
/// minor ticks at 2..9 times it, so a reader can place values between decades.
/// </summary>
public static class Log10Ticks
{
    /// <summary>Ticks covering log10 positions from <paramref name="minExponent"/> to <paramref name="maxExponent"/>.</summary>
    public static NumericManual Between(double minExponent, double maxExponent)
    {
        var low = (int)Math.Floor(minExponent);
        var high = (int)Math.Ceiling(maxExponent);
        // A span under one decade would show at most one label: label the 2..9 multiples too, so the axis is readable.
        var labelMinor = high - low <= 1;
        var ticks = new NumericManual();
        for (var k = low - 1; k <= high; k++)
        {
            ticks.AddMajor(k, Label(Math.Pow(10, k)));
            for (var m = 2; m <= 9; m++)
            {
                var position = k + Math.Log10(m);
                if (labelMinor) ticks.AddMajor(position, Label(m * Math.Pow(10, k)));
                else ticks.AddMinor(position);
            }
        }
        return ticks;
    }

    /// <summary>A power of ten (or a multiple of one) as short plain digits, "1e-5" style beyond 1e-4 .. 1e5.</summary>
    public static string Label(double value) => value is >= 1e-4 and < 1e6
        ? Math.Round(value, 6).ToString("0.######", CultureInfo.InvariantCulture)
        : value.ToString("0e0", CultureInfo.InvariantCulture);
}
