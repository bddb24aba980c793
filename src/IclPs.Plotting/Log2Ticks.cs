using System.Globalization;
using ScottPlot.TickGenerators;

namespace IclPs.Plotting;

/// <summary>Ticks for an axis whose positions are log2 of the values: one per power of two, labelled with the value.</summary>
public static class Log2Ticks
{
    // More labels than this crowd a default-width axis; beyond it every n-th power is labelled.
    private const int MaxLabels = 12;

    /// <summary>Ticks at integer exponents from just below <paramref name="minExponent"/> to just above <paramref name="maxExponent"/>.</summary>
    public static NumericManual Between(double minExponent, double maxExponent)
    {
        // One power beyond each end, so the axis margins ScottPlot adds still show a tick at either side.
        var low = (int)Math.Floor(minExponent) - 1;
        var high = (int)Math.Ceiling(maxExponent) + 1;
        var powers = (int)Math.Ceiling(maxExponent) - (int)Math.Floor(minExponent) + 1;
        var step = Math.Max(1, (int)Math.Ceiling(powers / (double)MaxLabels));
        var ticks = new NumericManual();
        for (var k = low; k <= high; k++)
        {
            if (k % step == 0) ticks.AddMajor(k, Label(k));
        }
        return ticks;
    }

    /// <summary>2^k as plain digits while short (1/64 .. 65536), as "2^k" beyond.</summary>
    public static string Label(int exponent) => exponent is >= -6 and <= 16
        ? Math.Pow(2, exponent).ToString(CultureInfo.InvariantCulture)
        : $"2^{exponent}";
}
