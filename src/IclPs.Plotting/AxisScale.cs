namespace IclPs.Plotting;

/// <summary>How values map onto an axis.</summary>
public enum AxisScale
{
    Linear,

    /// <summary>Positions are log2 of the values, ticked at powers of two: sweeps over M = 2^k read as evenly spaced.</summary>
    Log2,

    /// <summary>Positions are log10 of the values, ticked at powers of ten: values that span decades (errors, Deltas).</summary>
    Log10,
}
