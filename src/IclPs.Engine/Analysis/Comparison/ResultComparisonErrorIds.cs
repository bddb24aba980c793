namespace IclPs.Engine.Analysis.Comparison;

/// <summary>The stable error ids of <see cref="ResultComparer"/>.</summary>
public static class ResultComparisonErrorIds
{
    /// <summary>A result set holds no rows.</summary>
    public const string EmptyResultSet = "ComparisonEmptyResultSet";
    /// <summary>No key was given and the rows are neither text nor numeric prompt results.</summary>
    public const string KeyUnknown = "ComparisonKeyUnknown";
    /// <summary>A row lacks a key column.</summary>
    public const string KeyColumnMissing = "ComparisonKeyColumnMissing";
    /// <summary>A metric asked for is not a column of one of the sets.</summary>
    public const string MetricMissing = "ComparisonMetricMissing";
    /// <summary>A metric's values are neither all true/false nor all numbers.</summary>
    public const string MetricNotNumeric = "ComparisonMetricNotNumeric";
    /// <summary>No metric to compare: none given and none of the known ones in both sets.</summary>
    public const string NoMetrics = "ComparisonNoMetrics";
    /// <summary>No row of the reference pairs with a row of the candidate.</summary>
    public const string NoPairs = "ComparisonNoPairs";
}
