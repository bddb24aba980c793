namespace IclPs.Engine.Analysis;

/// <summary>
/// Mean and sample standard deviation of a stream of values (Welford's algorithm): constant memory however many values,
/// and numerically stable where the naive sum-of-squares formula cancels catastrophically.
/// </summary>
public sealed class RunningStatistics
{
    private double _m2;

    public long Count { get; private set; }
    /// <summary>NaN before the first value.</summary>
    public double Mean { get; private set; } = double.NaN;
    /// <summary>Sample variance (divides by n - 1); NaN with fewer than two values.</summary>
    public double Variance => Count < 2 ? double.NaN : _m2 / (Count - 1);
    public double StandardDeviation => Math.Sqrt(Variance);
    /// <summary>Standard error of the mean, sd / sqrt(n).</summary>
    public double StandardError => StandardDeviation / Math.Sqrt(Count);

    public void Add(double value)
    {
        Count++;
        if (Count == 1)
        {
            Mean = value;
            return;
        }
        var delta = value - Mean;
        Mean += delta / Count;
        _m2 += delta * (value - Mean);
    }

    public void AddRange(IEnumerable<double> values)
    {
        foreach (var v in values) Add(v);
    }
}
