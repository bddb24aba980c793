namespace IclPs.Bench;

/// <summary>Wall-clock seconds of one case, one entry per repetition (index r of every case was measured in the same round).</summary>
public sealed class Timing(string name, double[] seconds)
{
    public string Name { get; } = name;
    public IReadOnlyList<double> Seconds { get; } = seconds;
    public double Median => Statistics.Median(Seconds);
    public double Min => Seconds.Min();

    /// <summary>(max - min) / median: how much the other load on the machine moved this case.</summary>
    public double Spread => (Seconds.Max() - Seconds.Min()) / Median;

    /// <summary>Median over rounds of this case's time divided by <paramref name="baseline"/>'s time in the same round.</summary>
    public double PairedRatio(Timing baseline) => Statistics.Median(Seconds.Zip(baseline.Seconds, (a, b) => a / b).ToList());
}
