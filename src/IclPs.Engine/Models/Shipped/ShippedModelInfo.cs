namespace IclPs.Engine.Models.Shipped;

/// <summary>
/// One shipped model as its iclps-model.json describes it: what it is, how it was trained (the exact command, seed, optimizer
/// updates, batch, wall seconds, source commit) and what it scored right after training. <see cref="Path"/> is its folder.
/// </summary>
public sealed record ShippedModelInfo(
    string Name,
    ShippedModelKind Kind,
    string Description,
    string Command,
    long Seed,
    int Steps,
    int BatchSize,
    double TrainingSeconds,
    IReadOnlyDictionary<string, double> Metrics,
    string Commit,
    string Path)
{
    /// <summary>Every metric on one line, in the manifest's order: "name=value name=value ...".</summary>
    public string MetricsSummary => Summarize(Metrics);

    /// <summary>The manifest's first three metrics, its headline numbers, for tables.</summary>
    public string KeyMetrics => Summarize(Metrics.Take(3));

    private static string Summarize(IEnumerable<KeyValuePair<string, double>> metrics) =>
        string.Join(" ", metrics.Select(m => FormattableString.Invariant($"{m.Key}={m.Value:0.####}")));
}
