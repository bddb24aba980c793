using System.Globalization;
using IclPs.Engine.Analysis.Statistics;
using IclPs.Engine.Export;

namespace IclPs.Engine.Analysis.Comparison;

/// <summary>
/// Compares two sets of per-query result rows (a reference and a candidate: two models, two prompt layouts, with and
/// without a task vector) metric by metric, on the queries both ran.
/// </summary>
/// <remarks>
/// <para>Rows are column -> value maps (prompt result objects' properties, or the cells of a results CSV as text; column
/// names match case-insensitively). They are paired by the key columns' values compared as text (a number and its CSV cell
/// match). When a key value occurs more than once in a set, its k-th row in the reference pairs with its k-th row in the
/// candidate. Rows left without a partner are counted and listed, never dropped silently.</para>
/// <para>A metric whose values are all true/false (True/False in a CSV) gets the exact McNemar test and Newcombe's hybrid
/// score interval for the difference in proportions; a numeric one gets the Wilcoxon signed-rank test (zeros dropped, exact
/// up to 25 non-zero differences) and the t interval for the mean difference. Differences are candidate - reference. A pair
/// with no value (null, an empty cell, NaN or an infinity) for a metric is left out of that metric and counted as Missing.
/// The p-values of one comparison are also adjusted together by Holm's method.</para>
/// </remarks>
public static class ResultComparer
{
    /// <summary>Metrics compared by default on text prompt results.</summary>
    public static readonly IReadOnlyList<string> TextMetrics = ["FirstTokenCorrect", "ExactMatch", "ExpectedLogProb", "ExpectedRank"];
    /// <summary>Metrics compared by default on numeric prompt results.</summary>
    public static readonly IReadOnlyList<string> NumericMetrics = ["SquaredError"];
    /// <summary>The key of text prompt results.</summary>
    public static readonly IReadOnlyList<string> TextKey = ["Query", "Expected"];
    /// <summary>The key of numeric prompt results (Seed only when both sets have it).</summary>
    public static readonly IReadOnlyList<string> NumericKey = ["Index", "Seed"];

    public const string McNemarTest = "McNemar";
    public const string WilcoxonTest = "Wilcoxon";

    public static ResultComparisonReport Compare(IReadOnlyList<IReadOnlyDictionary<string, object?>> reference,
        IReadOnlyList<IReadOnlyDictionary<string, object?>> candidate, ResultComparisonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        options ??= new ResultComparisonOptions();
        StatisticsChecks.Level(options.Level);
        var refRows = Normalize(reference, "reference");
        var candRows = Normalize(candidate, "candidate");
        var refColumns = Columns(refRows);
        var candColumns = Columns(candRows);
        var key = options.Key is { Count: > 0 } given ? given.ToArray() : DefaultKey(refColumns, candColumns);

        var (pairs, unpairedRef, unpairedCand, duplicates) = Pair(refRows, candRows, key);
        if (pairs.Count == 0)
            throw new IclPsException(ResultComparisonErrorIds.NoPairs, IclErrorKind.InvalidData,
                $"No reference row pairs with a candidate row on {string.Join(", ", key)}: {refRows.Count} reference and {candRows.Count} candidate rows, " +
                $"e.g. reference key '{unpairedRef.FirstOrDefault()}' and candidate key '{unpairedCand.FirstOrDefault()}'. Check -Key, or that both sets ran the same queries.", string.Join(", ", key));

        var explicitMetrics = options.Metrics is { Count: > 0 };
        var metrics = explicitMetrics ? options.Metrics!.ToArray() : DefaultMetrics(refColumns, candColumns);
        if (metrics.Length == 0)
            throw new IclPsException(ResultComparisonErrorIds.NoMetrics, IclErrorKind.InvalidArgument,
                $"No metric to compare: neither set has all of {string.Join(", ", TextMetrics.Concat(NumericMetrics))} in common; name the columns to compare (-Metric).", null);
        foreach (var metric in metrics)
        {
            foreach (var (columns, name) in new[] { (refColumns, "reference"), (candColumns, "candidate") })
            {
                if (!columns.Contains(metric))
                    throw new IclPsException(ResultComparisonErrorIds.MetricMissing, IclErrorKind.InvalidArgument,
                        $"The {name} results have no column '{metric}'; they have: {string.Join(", ", columns.Order(StringComparer.OrdinalIgnoreCase))}.", metric);
            }
        }

        var partial = new List<ResultComparison>();
        foreach (var metric in metrics)
        {
            var row = CompareMetric(metric, pairs, refRows, candRows, options);
            // A default metric no pair has a value for (SquaredError of prompts without an expected y) is not reported.
            if (row.N == 0 && !explicitMetrics && row.Missing == pairs.Count) continue;
            partial.Add(row with { UnpairedReference = unpairedRef.Count, UnpairedCandidate = unpairedCand.Count, Key = string.Join(", ", key) });
        }
        if (partial.Count == 0)
            throw new IclPsException(ResultComparisonErrorIds.NoMetrics, IclErrorKind.InvalidData,
                $"None of the metrics {string.Join(", ", metrics)} has a value in any pair.", null);

        // Holm over the metrics that have a p-value.
        var tested = partial.Select((r, i) => (r, i)).Where(x => !double.IsNaN(x.r.PValue)).ToArray();
        var adjusted = HolmCorrection.Adjust(tested.Select(x => x.r.PValue).ToArray());
        for (var j = 0; j < tested.Length; j++) partial[tested[j].i] = partial[tested[j].i] with { AdjustedPValue = adjusted[j] };

        return new ResultComparisonReport
        {
            Comparisons = partial,
            Key = key,
            Pairs = pairs.Count,
            UnpairedReference = unpairedRef,
            UnpairedCandidate = unpairedCand,
            DuplicateKeys = duplicates,
        };
    }

    private static ResultComparison CompareMetric(string metric, List<(int Ref, int Cand)> pairs, List<Dictionary<string, object?>> refRows,
        List<Dictionary<string, object?>> candRows, ResultComparisonOptions options)
    {
        var refValues = new List<object>();
        var candValues = new List<object>();
        var missing = 0;
        foreach (var (r, c) in pairs)
        {
            var a = Value(refRows[r], metric);
            var b = Value(candRows[c], metric);
            if (a is null || b is null)
            {
                missing++;
                continue;
            }
            refValues.Add(a);
            candValues.Add(b);
        }
        var all = refValues.Concat(candValues).ToArray();
        var boolean = all.Length > 0 && all.All(v => v is bool);
        if (!boolean && all.Any(v => v is not double))
        {
            var bad = all.First(v => v is not double);
            throw new IclPsException(ResultComparisonErrorIds.MetricNotNumeric, IclErrorKind.InvalidData,
                $"Metric '{metric}' must be all true/false or all numbers, but has the value '{bad}'; compare numeric or true/false columns only.", metric);
        }
        var alternative = options.Alternative;
        var n = refValues.Count;
        if (boolean)
        {
            var x = refValues.Select(v => (bool)v).ToArray();
            var y = candValues.Select(v => (bool)v).ToArray();
            var test = McNemar.Exact(x, y, alternative);
            var interval = PairedProportionInterval.Newcombe(x, y, options.Level);
            return Row(metric, McNemarTest, n, x.Count(v => v), y.Count(v => v), interval, n == 0 ? double.NaN : test.PValue, test.SecondOnly,
                FormattableString.Invariant($"reference only true: {test.FirstOnly}, candidate only true: {test.SecondOnly} (exact binomial); {interval.Method} interval"),
                missing, options);
        }
        {
            var x = refValues.Select(v => (double)v).ToArray();
            var y = candValues.Select(v => (double)v).ToArray();
            var test = WilcoxonSignedRank.Test(x, y, alternative);
            var interval = PairedMeanInterval.Compute(x, y, options.Level);
            return Row(metric, WilcoxonTest, n, x.Sum(), y.Sum(), interval, n == 0 ? double.NaN : test.PValue, test.WPlus,
                FormattableString.Invariant($"W+ {test.WPlus}, W- {test.WMinus}, {test.N} non-zero of {n} ({test.Zeros} zero, dropped), ") +
                FormattableString.Invariant($"{(test.Exact ? "exact" : "normal approximation")}, median difference {test.MedianDifference:G6}; {interval.Method} interval"),
                missing, options);
        }
    }

    private static ResultComparison Row(string metric, string test, int n, double refSum, double candSum, ConfidenceInterval interval,
        double p, double statistic, string detail, int missing, ResultComparisonOptions options) => new()
    {
        Metric = metric,
        Test = test,
        N = n,
        Reference = n == 0 ? double.NaN : refSum / n,
        Candidate = n == 0 ? double.NaN : candSum / n,
        Difference = interval.Estimate,
        CILow = interval.Low,
        CIHigh = interval.High,
        PValue = p,
        AdjustedPValue = double.NaN,
        Statistic = n == 0 ? double.NaN : statistic,
        Detail = detail,
        UnpairedReference = 0,
        UnpairedCandidate = 0,
        Missing = missing,
        Key = "",
        ConfidenceLevel = options.Level,
        Alternative = options.Alternative.ToString(),
    };

    /// <summary>A cell as bool, finite double, non-numeric text, or null when it holds no value.</summary>
    private static object? Value(Dictionary<string, object?> row, string column)
    {
        if (!row.TryGetValue(column, out var value)) return null;
        switch (value)
        {
            case null: return null;
            case bool b: return b;
            case string s:
                s = s.Trim();
                if (s.Length == 0) return null;
                if (bool.TryParse(s, out var parsedBool)) return parsedBool;
                if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)) return double.IsFinite(parsed) ? parsed : null;
                return s;
            case double d: return double.IsFinite(d) ? d : null;
            case float f: return float.IsFinite(f) ? (double)f : null;
            case sbyte or byte or short or ushort or int or uint or long or ulong or decimal:
                return Convert.ToDouble(value, CultureInfo.InvariantCulture);
            default: return value.ToString();
        }
    }

    private static (List<(int, int)> Pairs, List<string> UnpairedRef, List<string> UnpairedCand, int Duplicates) Pair(
        List<Dictionary<string, object?>> refRows, List<Dictionary<string, object?>> candRows, string[] key)
    {
        var refKeys = refRows.Select((r, i) => KeyText(r, key, "reference", i)).ToArray();
        var candKeys = candRows.Select((r, i) => KeyText(r, key, "candidate", i)).ToArray();
        var waiting = new Dictionary<string, Queue<int>>(StringComparer.Ordinal);
        for (var i = 0; i < candKeys.Length; i++)
        {
            if (!waiting.TryGetValue(candKeys[i], out var queue)) waiting[candKeys[i]] = queue = new Queue<int>();
            queue.Enqueue(i);
        }
        var pairs = new List<(int, int)>();
        var unpairedRef = new List<string>();
        var paired = new bool[candKeys.Length];
        for (var i = 0; i < refKeys.Length; i++)
        {
            if (waiting.TryGetValue(refKeys[i], out var queue) && queue.Count > 0)
            {
                var j = queue.Dequeue();
                paired[j] = true;
                pairs.Add((i, j));
            }
            else
            {
                unpairedRef.Add(refKeys[i]);
            }
        }
        var unpairedCand = candKeys.Where((_, j) => !paired[j]).ToList();
        var duplicates = refKeys.GroupBy(k => k, StringComparer.Ordinal).Count(g => g.Count() > 1)
                         + candKeys.GroupBy(k => k, StringComparer.Ordinal).Count(g => g.Count() > 1);
        return (pairs, unpairedRef, unpairedCand, duplicates);
    }

    private static string KeyText(Dictionary<string, object?> row, string[] key, string set, int index)
    {
        var parts = new string[key.Length];
        for (var k = 0; k < key.Length; k++)
        {
            if (!row.TryGetValue(key[k], out var value))
                throw new IclPsException(ResultComparisonErrorIds.KeyColumnMissing, IclErrorKind.InvalidData,
                    $"Row {index} of the {set} results has no key column '{key[k]}'; it has: {string.Join(", ", row.Keys)}.", key[k]);
            parts[k] = CsvCells.Scalar(value);
        }
        return string.Join(", ", parts);
    }

    private static List<Dictionary<string, object?>> Normalize(IReadOnlyList<IReadOnlyDictionary<string, object?>> rows, string set)
    {
        if (rows.Count == 0)
            throw new IclPsException(ResultComparisonErrorIds.EmptyResultSet, IclErrorKind.InvalidArgument, $"The {set} result set holds no rows.", set);
        var normalized = new List<Dictionary<string, object?>>(rows.Count);
        foreach (var row in rows)
        {
            var copy = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in row) copy.TryAdd(name, value);
            normalized.Add(copy);
        }
        return normalized;
    }

    private static HashSet<string> Columns(List<Dictionary<string, object?>> rows)
    {
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var row in rows) columns.UnionWith(row.Keys);
        return columns;
    }

    private static string[] DefaultKey(HashSet<string> reference, HashSet<string> candidate)
    {
        bool Both(string c) => reference.Contains(c) && candidate.Contains(c);
        if (TextKey.All(Both)) return TextKey.ToArray();
        if (Both(NumericKey[0])) return NumericKey.Where(Both).ToArray();
        throw new IclPsException(ResultComparisonErrorIds.KeyUnknown, IclErrorKind.InvalidArgument,
            "These rows are neither text prompt results (Query, Expected) nor numeric ones (Index, Seed) in both sets; name the columns that identify a query (-Key).", null);
    }

    private static string[] DefaultMetrics(HashSet<string> reference, HashSet<string> candidate) =>
        TextMetrics.Concat(NumericMetrics).Where(m => reference.Contains(m) && candidate.Contains(m)).ToArray();
}
