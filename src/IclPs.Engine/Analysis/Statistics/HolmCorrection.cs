namespace IclPs.Engine.Analysis.Statistics;

/// <summary>
/// Holm's step-down correction of a family of m p-values, controlling the family-wise error rate: with the p-values
/// sorted ascending, p_(1) &lt;= ... &lt;= p_(m), the adjusted p_(i) is max over j &lt;= i of min(1, (m - j + 1) p_(j)).
/// A hypothesis is rejected at level alpha when its adjusted p-value is at most alpha (the same decisions as Holm's
/// sequential procedure). Uniformly more powerful than Bonferroni, and valid under any dependence between the tests.
/// </summary>
public static class HolmCorrection
{
    /// <summary>The adjusted p-values, in the order given.</summary>
    public static double[] Adjust(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        for (var i = 0; i < pValues.Count; i++)
        {
            var p = pValues[i];
            if (!(p >= 0 && p <= 1))
                throw new IclPsException(StatisticsErrorIds.OutOfRange, IclErrorKind.InvalidArgument, $"Holm correction: p-value {i} is {p}; p-values lie in [0, 1].", p);
        }
        var m = pValues.Count;
        // A stable sort: equal p-values keep their order, so the result does not depend on the sort's tie handling.
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ToArray();
        var adjusted = new double[m];
        var running = 0.0;
        for (var rank = 0; rank < m; rank++)
        {
            running = Math.Max(running, Math.Min(1, (m - rank) * pValues[order[rank]]));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }
}
