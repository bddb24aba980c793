using IclPs.Engine.Analysis;
using IclPs.Engine.Analysis.Statistics;

namespace IclPs.Engine.Prompting;

/// <summary>
/// One metric of a text prompt run summarized over its demonstration draws (Invoke-IclPrompt -DemonstrationDraws K): the
/// spread that comes from which demonstrations, in which order, each query was shown, beside the per-query standard error
/// that lm-evaluation-harness reports (which only reflects the sampling of the queries).
/// </summary>
public sealed record IclPromptSummary
{
    /// <summary>FirstTokenCorrect, ExactMatch (as accuracies) or ExpectedLogProb.</summary>
    public required string Metric { get; init; }
    /// <summary>K, the demonstration draws: groups of results with the same Seed.</summary>
    public required int Draws { get; init; }
    /// <summary>Queries per draw (every draw runs the same queries).</summary>
    public required int Queries { get; init; }
    /// <summary>The metric's mean over every query of every draw (equal to the mean of the draws' means).</summary>
    public required double Mean { get; init; }
    /// <summary>Sample standard deviation of the K per-draw means; NaN for one draw.</summary>
    public required double DrawSd { get; init; }
    /// <summary>Lower bound of the 95% t interval (K - 1 degrees of freedom) for the mean over draws; NaN for one draw.</summary>
    public required double DrawLow { get; init; }
    /// <summary>Upper bound of the 95% t interval for the mean over draws.</summary>
    public required double DrawHigh { get; init; }
    /// <summary>The lowest per-draw mean.</summary>
    public required double DrawMin { get; init; }
    /// <summary>The highest per-draw mean.</summary>
    public required double DrawMax { get; init; }
    /// <summary>
    /// The per-query standard error, sd / sqrt(Queries) over one draw's per-query values (sample sd), averaged over the
    /// draws: what lm-evaluation-harness reports as the metric's stderr.
    /// </summary>
    public required double QueryStandardError { get; init; }
    /// <summary>The draws' seeds, in order, comma-separated (draw k of -Seed s has seed s + k).</summary>
    public required string Seeds { get; init; }
    public required string Model { get; init; }
    public required int Shots { get; init; }

    /// <summary>The metrics summarized, in order.</summary>
    public static readonly IReadOnlyList<string> Metrics = ["FirstTokenCorrect", "ExactMatch", "ExpectedLogProb"];

    /// <summary>
    /// Summarizes <paramref name="results"/> grouped into draws by their Seed (in order of first appearance); every draw
    /// must hold the same number of results. One row per metric of <see cref="Metrics"/>.
    /// </summary>
    public static IReadOnlyList<IclPromptSummary> Summarize(IReadOnlyList<IclPromptResult> results, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0)
            throw new IclPsException("SummaryNoResults", IclErrorKind.InvalidArgument, "There are no prompt results to summarize.", null);
        var draws = results.GroupBy(r => r.Seed).ToArray();
        var queries = draws[0].Count();
        if (draws.Any(d => d.Count() != queries))
            throw new IclPsException("SummaryUnequalDraws", IclErrorKind.InvalidData,
                $"Demonstration draws must hold the same queries, but their result counts differ: {string.Join(", ", draws.Select(d => $"seed {d.Key}: {d.Count()}"))}.", null);
        var rows = new List<IclPromptSummary>();
        foreach (var metric in Metrics)
        {
            Func<IclPromptResult, double> value = metric switch
            {
                "FirstTokenCorrect" => r => r.FirstTokenCorrect ? 1 : 0,
                "ExactMatch" => r => r.ExactMatch ? 1 : 0,
                _ => r => r.ExpectedLogProb,
            };
            var drawMeans = new RunningStatistics();
            var standardErrors = new RunningStatistics();
            foreach (var draw in draws)
            {
                var perQuery = new RunningStatistics();
                perQuery.AddRange(draw.Select(value));
                drawMeans.Add(perQuery.Mean);
                standardErrors.Add(perQuery.StandardError);
            }
            var means = draws.Select(d => d.Average(value)).ToArray();
            var interval = PairedMeanInterval.Compute(means, level);
            rows.Add(new IclPromptSummary
            {
                Metric = metric,
                Draws = draws.Length,
                Queries = queries,
                Mean = drawMeans.Mean,
                DrawSd = drawMeans.StandardDeviation,
                DrawLow = interval.Low,
                DrawHigh = interval.High,
                DrawMin = means.Min(),
                DrawMax = means.Max(),
                QueryStandardError = standardErrors.Mean,
                Seeds = string.Join(",", draws.Select(d => d.Key)),
                Model = results[0].Model,
                Shots = results[0].ShotsRequested,
            });
        }
        return rows;
    }
}
