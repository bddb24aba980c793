using IclPs.Engine.Analysis.Comparison;
using IclPs.Engine.Analysis.Statistics;

namespace IclPs.Engine.Tests.Analysis.Comparison;

public class ResultComparerTests
{
    // The McNemar example (a = 3 both right, b = 5 reference only, c = 1 candidate only, d = 2 neither) with log-probability
    // differences 1 2 3 -4 5 and six zeros.
    private static readonly bool[] RefCorrect = [true, true, true, true, true, true, true, true, false, false, false];
    private static readonly bool[] CandCorrect = [true, true, true, false, false, false, false, false, true, false, false];
    private static readonly double[] LogProbDelta = [1, 2, 3, -4, 5, 0, 0, 0, 0, 0, 0];

    private static Dictionary<string, object?> Text(string query, bool correct, double logProb) =>
        new() { ["Query"] = query, ["Expected"] = "x", ["FirstTokenCorrect"] = correct, ["ExpectedLogProb"] = logProb, ["QueryIndex"] = 0 };

    // As a results CSV reads back: every cell text, other column case.
    private static Dictionary<string, object?> Csv(string query, bool correct, double logProb) =>
        new() { ["query"] = query, ["expected"] = "x", ["FirstTokenCorrect"] = correct ? "True" : "False", ["ExpectedLogProb"] = logProb.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    [Fact]
    public void HandWorkedTextComparisonWithTypedAndCsvRows()
    {
        var reference = RefCorrect.Select((c, i) => Text($"q{i}", c, -10)).ToList<IReadOnlyDictionary<string, object?>>();
        // Reversed order: pairing is by key, not position.
        var candidate = CandCorrect.Select((c, i) => Csv($"q{i}", c, -10 + LogProbDelta[i])).Reverse().ToList<IReadOnlyDictionary<string, object?>>();
        var report = ResultComparer.Compare(reference, candidate);

        Assert.Equal(["Query", "Expected"], report.Key);
        Assert.Equal(11, report.Pairs);
        Assert.Empty(report.UnpairedReference);
        var correct = Assert.Single(report.Comparisons, c => c.Metric == "FirstTokenCorrect");
        Assert.Equal("McNemar", correct.Test);
        Assert.Equal(11, correct.N);
        Assert.Equal(8.0 / 11, correct.Reference, 14);
        Assert.Equal(4.0 / 11, correct.Candidate, 14);
        Assert.Equal(-4.0 / 11, correct.Difference, 14);
        Assert.Equal(0.21875, correct.PValue, 14);
        Assert.Equal(1, correct.Statistic);
        var newcombe = PairedProportionInterval.Newcombe(3, 5, 1, 2);
        Assert.Equal(newcombe.Low, correct.CILow, 14);
        Assert.Equal(newcombe.High, correct.CIHigh, 14);

        var logProb = Assert.Single(report.Comparisons, c => c.Metric == "ExpectedLogProb");
        Assert.Equal("Wilcoxon", logProb.Test);
        Assert.Equal(11, logProb.N);
        Assert.Equal(11, logProb.Statistic);                  // W+
        Assert.Equal(14.0 / 32, logProb.PValue, 14);          // two-sided exact, zeros dropped
        Assert.Equal(7.0 / 11, logProb.Difference, 14);
        Assert.Equal(-10, logProb.Reference, 14);
        var t = PairedMeanInterval.Compute(LogProbDelta);
        Assert.Equal(t.Low, logProb.CILow, 12);
        Assert.Equal(t.High, logProb.CIHigh, 12);

        // Holm over the two: 2 * 0.21875 = 0.4375, then max(0.4375, 1 * 0.4375).
        Assert.Equal(0.4375, correct.AdjustedPValue, 14);
        Assert.Equal(0.4375, logProb.AdjustedPValue, 14);
    }

    [Fact]
    public void UnpairedRowsAreCountedAndListed()
    {
        var reference = new[] { Text("a", true, -1), Text("b", true, -1), Text("only-ref", true, -1) };
        var candidate = new[] { Text("b", false, -2), Text("a", true, -1), Text("only-cand", true, -1), Text("also-cand", true, -1) };
        var report = ResultComparer.Compare(reference, candidate, new ResultComparisonOptions { Metrics = ["FirstTokenCorrect"] });
        Assert.Equal(2, report.Pairs);
        Assert.Equal(["only-ref, x"], report.UnpairedReference);
        Assert.Equal(["only-cand, x", "also-cand, x"], report.UnpairedCandidate);
        var row = Assert.Single(report.Comparisons);
        Assert.Equal((2, 1, 2), (row.N, row.UnpairedReference, row.UnpairedCandidate));
    }

    [Fact]
    public void DuplicateKeysPairInOrderOfAppearance()
    {
        var reference = new[] { Text("a", true, -1), Text("a", true, -2), Text("a", true, -3) };
        var candidate = new[] { Text("a", true, 0), Text("a", true, 0) };
        var report = ResultComparer.Compare(reference, candidate, new ResultComparisonOptions { Metrics = ["ExpectedLogProb"] });
        Assert.Equal(2, report.Pairs);
        Assert.Equal(2, report.DuplicateKeys);
        Assert.Equal(["a, x"], report.UnpairedReference);
        // The first two reference rows (-1, -2) paired: differences 1 and 2.
        Assert.Equal(1.5, report.Comparisons[0].Difference, 14);
    }

    [Fact]
    public void NumericResultsPairOnIndexAndSeedAndCountMissingValues()
    {
        Dictionary<string, object?> Row(int index, double? error) => new() { ["Index"] = index, ["Seed"] = (long?)3, ["SquaredError"] = error, ["Prediction"] = 1.0 };
        var reference = new[] { Row(0, 1.0), Row(1, 2.0), Row(2, null) };
        var candidate = new[] { Row(2, 1.0), Row(1, 1.5), Row(0, 0.5) };
        var report = ResultComparer.Compare(reference, candidate);
        Assert.Equal(["Index", "Seed"], report.Key);
        var row = Assert.Single(report.Comparisons);
        Assert.Equal("SquaredError", row.Metric);
        Assert.Equal((2, 1), (row.N, row.Missing));
        Assert.Equal(-0.5, row.Difference, 14);
    }

    [Fact]
    public void ErrorsNameWhatIsWrong()
    {
        var rows = new[] { Text("a", true, -1) };
        Assert.Equal(ResultComparisonErrorIds.MetricMissing,
            Assert.Throws<IclPsException>(() => ResultComparer.Compare(rows, rows, new ResultComparisonOptions { Metrics = ["Nope"] })).ErrorId);
        Assert.Equal(ResultComparisonErrorIds.MetricNotNumeric,
            Assert.Throws<IclPsException>(() => ResultComparer.Compare(rows, rows, new ResultComparisonOptions { Metrics = ["Query"] })).ErrorId);
        Assert.Equal(ResultComparisonErrorIds.NoPairs,
            Assert.Throws<IclPsException>(() => ResultComparer.Compare(rows, new[] { Text("b", true, -1) })).ErrorId);
        Assert.Equal(ResultComparisonErrorIds.KeyUnknown,
            Assert.Throws<IclPsException>(() => ResultComparer.Compare(new[] { new Dictionary<string, object?> { ["X"] = 1 } }, new[] { new Dictionary<string, object?> { ["X"] = 1 } })).ErrorId);
        Assert.Equal(ResultComparisonErrorIds.EmptyResultSet,
            Assert.Throws<IclPsException>(() => ResultComparer.Compare(Array.Empty<Dictionary<string, object?>>(), rows)).ErrorId);
    }

    [Fact]
    public void OneSidedAlternativeReachesTheTests()
    {
        var reference = RefCorrect.Select((c, i) => Text($"q{i}", c, -10)).ToArray();
        var candidate = CandCorrect.Select((c, i) => Text($"q{i}", c, -10 + LogProbDelta[i])).ToArray();
        var report = ResultComparer.Compare(reference, candidate, new ResultComparisonOptions { Alternative = Alternative.Greater });
        Assert.Equal(7.0 / 32, report.Comparisons.Single(c => c.Metric == "ExpectedLogProb").PValue, 14);
        Assert.Equal(63.0 / 64, report.Comparisons.Single(c => c.Metric == "FirstTokenCorrect").PValue, 14);
        Assert.Equal("Greater", report.Comparisons[0].Alternative);
    }
}
