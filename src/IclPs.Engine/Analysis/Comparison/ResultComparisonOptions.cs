using IclPs.Engine.Analysis.Statistics;

namespace IclPs.Engine.Analysis.Comparison;

/// <summary>How <see cref="ResultComparer"/> pairs and compares two result sets.</summary>
public sealed record ResultComparisonOptions
{
    /// <summary>Columns identifying a query; null: Query and Expected (text results) or Index and Seed (numeric results).</summary>
    public IReadOnlyList<string>? Key { get; init; }
    /// <summary>Columns to compare; null: the known metrics both sets have (<see cref="ResultComparer.TextMetrics"/>, <see cref="ResultComparer.NumericMetrics"/>).</summary>
    public IReadOnlyList<string>? Metrics { get; init; }
    public Alternative Alternative { get; init; } = Alternative.TwoSided;
    /// <summary>Coverage of the intervals.</summary>
    public double Level { get; init; } = 0.95;
}
