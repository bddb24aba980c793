namespace IclPs.Bench;

/// <summary>One measured or derived figure: the case it belongs to (a table row), its metric (a column), value and unit.</summary>
public sealed record ResultRow(string Case, string Metric, double Value, string Unit);
