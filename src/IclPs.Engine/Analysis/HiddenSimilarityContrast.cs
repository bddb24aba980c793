using IclPs.Engine.Analysis.Statistics;

namespace IclPs.Engine.Analysis;

/// <summary>
/// Paired tests of one pair of conditions' cosine against another's, layer by layer (Duan et al.: is cos(ICL, IT) above
/// cos(anchor, ICL)?): at each layer the Wilcoxon signed-rank test on the per-query differences, then Holm's correction
/// over the layers, since a claim about "some layer" is a claim about the family.
/// </summary>
public static class HiddenSimilarityContrast
{
    public const string Cosine = "Cosine";
    public const string CentredCosine = "CentredCosine";

    /// <summary>
    /// Tests <paramref name="pair"/> against <paramref name="referencePair"/> (pair names as rows give them, e.g.
    /// Icl-InstructionTuned and ZeroShot-Icl) on the differences pair minus reference, one test per layer, queries matched
    /// by index. <see cref="Alternative.Greater"/> asks whether the pair's cosine tends to be the higher.
    /// </summary>
    public static IReadOnlyList<HiddenSimilarityTest> Test(
        IReadOnlyList<HiddenSimilarityInputRow> inputs, string pair, string referencePair,
        Alternative alternative = Alternative.Greater, string measure = Cosine)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(referencePair);
        if (measure != Cosine && measure != CentredCosine)
            throw new IclPsException("InvalidMeasure", IclErrorKind.InvalidArgument, $"The measure tested is {Cosine} or {CentredCosine}, not '{measure}'.", measure);
        var known = inputs.Select(r => r.Pair).Distinct(StringComparer.Ordinal).ToList();
        foreach (var name in new[] { pair, referencePair })
        {
            if (!known.Contains(name, StringComparer.Ordinal))
                throw new IclPsException("UnknownPair", IclErrorKind.InvalidArgument,
                    $"No pair of conditions is named '{name}'; the pairs measured are {string.Join(", ", known)}.", name);
        }
        if (pair == referencePair)
            throw new IclPsException("InvalidContrast", IclErrorKind.InvalidArgument, $"A contrast compares two different pairs, got '{pair}' twice.", pair);

        double Value(HiddenSimilarityInputRow r) => measure == Cosine ? r.Cosine : r.CentredCosine;
        var layers = inputs.Select(r => r.Layer).Distinct().Order().ToArray();
        var results = new List<(int Layer, string Hook, int Inputs, WilcoxonSignedRankResult Test, double Mean)>();
        foreach (var layer in layers)
        {
            var of = inputs.Where(r => r.Layer == layer).ToList();
            var candidate = of.Where(r => r.Pair == pair).OrderBy(r => r.InputIndex).ToArray();
            var reference = of.Where(r => r.Pair == referencePair).OrderBy(r => r.InputIndex).ToArray();
            // Rows of several measurements share indices; pairing them by index would pair arbitrary queries.
            foreach (var rows in new[] { candidate, reference })
            {
                if (rows.Select(r => r.InputIndex).Distinct().Count() != rows.Length)
                    throw new IclPsException("DuplicateInputs", IclErrorKind.InvalidArgument,
                        $"Layer {layer}: '{rows[0].Pair}' has more than one row for some query index (rows of several measurements?), so queries cannot be paired by index.", layer);
            }
            if (!candidate.Select(r => r.InputIndex).SequenceEqual(reference.Select(r => r.InputIndex)))
                throw new IclPsException("UnpairedInputs", IclErrorKind.InvalidArgument,
                    $"Layer {layer}: '{pair}' and '{referencePair}' were not measured on the same queries, so they cannot be paired.", layer);
            var first = reference.Select(Value).ToArray();
            var second = candidate.Select(Value).ToArray();
            if (first.Concat(second).Any(double.IsNaN))
                throw new IclPsException("NoMeasure", IclErrorKind.InvalidArgument,
                    $"Layer {layer}: some {measure} values are NaN ({(measure == CentredCosine ? "the centred cosine was not measured, or " : "")}a state is zero), so there is nothing to test.", measure);
            var test = WilcoxonSignedRank.Test(first, second, alternative);
            var mean = first.Length == 0 ? double.NaN : second.Zip(first, (b, a) => b - a).Average();
            results.Add((layer, candidate.FirstOrDefault()?.Hook ?? reference.FirstOrDefault()?.Hook ?? "", first.Length, test, mean));
        }
        var holm = HolmCorrection.Adjust(results.Select(r => r.Test.PValue).ToArray());
        return results.Select((r, i) => new HiddenSimilarityTest(
            $"{pair} vs {referencePair}", pair, referencePair, measure, r.Layer, r.Hook, r.Inputs, r.Test.N, r.Test.Zeros, r.Test.WPlus, r.Test.Z,
            r.Test.Exact, alternative, r.Test.PValue, holm[i], r.Test.MedianDifference, r.Mean)).ToList();
    }
}
