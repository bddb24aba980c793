namespace IclPs.Engine.Analysis.Comparison;

/// <summary>What <see cref="ResultComparer.Compare"/> found: one comparison per metric and how the rows paired.</summary>
public sealed record ResultComparisonReport
{
    public required IReadOnlyList<ResultComparison> Comparisons { get; init; }
    /// <summary>The key columns the rows were paired on.</summary>
    public required IReadOnlyList<string> Key { get; init; }
    /// <summary>Pairs of rows matched by key.</summary>
    public required int Pairs { get; init; }
    /// <summary>The key values (columns joined by ", ") of the reference rows that found no partner, in their order.</summary>
    public required IReadOnlyList<string> UnpairedReference { get; init; }
    /// <summary>The key values of the candidate rows that found no partner.</summary>
    public required IReadOnlyList<string> UnpairedCandidate { get; init; }
    /// <summary>Key values held by more than one row of a set (such rows pair in their order of appearance).</summary>
    public required int DuplicateKeys { get; init; }
}
