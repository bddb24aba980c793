using System.Collections;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Analysis.Comparison;
using IclPs.Engine.Analysis.Statistics;
using IclPs.Engine.Export;

namespace IclPs.Cmdlets;

/// <summary>Compares two result sets of the same queries metric by metric, with paired tests and 95% intervals.</summary>
/// <remarks>
/// <para>
/// Takes a reference and a candidate set of per-query results: Invoke-IclPrompt output (text or numeric), rows read back
/// with Import-Csv, any objects, or the paths of CSV files written by Export-IclResult. Rows are paired by a key, by default
/// the query's identity: Query and Expected for text results, Index and Seed for numeric ones (-Key names other columns).
/// Key values are compared as text, so a result object pairs with its own row in a CSV file. When a key occurs more than
/// once in a set, its first row in the reference pairs with its first row in the candidate, its second with the second,
/// and so on. Rows left without a partner are never dropped silently: a warning lists them and every output row counts
/// them in UnpairedReference and UnpairedCandidate.
/// </para>
/// <para>
/// Writes one ResultComparison per metric: N pairs, the Reference and Candidate means (proportions for true/false
/// metrics), their Difference (candidate - reference) with a 95% interval (CILow, CIHigh), and the PValue of a paired test.
/// True/false metrics (FirstTokenCorrect, ExactMatch) get the exact McNemar test (binomial on the discordant pairs) and
/// Newcombe's hybrid score interval for a difference in paired proportions; Statistic is the number of pairs where only
/// the candidate is true. Numeric metrics (ExpectedLogProb, ExpectedRank, SquaredError, Prediction, ...) get the Wilcoxon
/// signed-rank test (zero differences dropped, Wilcoxon's method; average ranks for ties; exact for up to 25 non-zero
/// differences, else the normal approximation with tie and continuity corrections) and the t interval for the mean
/// difference; Statistic is W+, the rank sum of the pairs where the candidate is higher. Detail gives the rest of the
/// test's numbers. AdjustedPValue is Holm's correction over the metrics of the same call.
/// </para>
/// <para>
/// By default every one of FirstTokenCorrect, ExactMatch, ExpectedLogProb, ExpectedRank and SquaredError that both sets
/// have is compared (SquaredError only when the prompts had an expected y). A pair missing a metric's value (an empty
/// cell, null, NaN) is left out of that metric, counted in Missing, and warned about.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $before = 1..11 | ForEach-Object { [pscustomobject]@{ Id = $_; Correct = $_ -le 8 } }
/// $after = 1..11 | ForEach-Object { [pscustomobject]@{ Id = $_; Correct = $_ -le 3 -or $_ -eq 9 } }
/// Compare-IclResult -Reference $before -Candidate $after -Key Id -Metric Correct
/// </code>
/// <para>
/// Compares hand-made outcomes: 5 items right only before, 1 right only after, so the exact McNemar p-value is
/// 2 (C(6,0) + C(6,1)) / 2^6 = 0.21875.
/// </para>
/// </example>
/// <example>
/// <code>
/// $linear = Get-IclModel linear-d8 -Load
/// $rows = $linear | Invoke-IclPrompt -TaskSource fresh -Samples 200 -Seed 1 -Baseline Ridge
/// $ridge = $rows | Select-Object Index, Seed, @{ Name = 'SquaredError'; Expression = { [Math]::Pow($_.Ridge - $_.Expected, 2) } }
/// Compare-IclResult -Reference $ridge -Candidate $rows
/// </code>
/// <para>
/// Compares the shipped linear-d8 model's squared error with Ridge regression's on the same 200 fresh prompts (paired on
/// Index and Seed): a Wilcoxon signed-rank test and the mean difference in squared error with its 95% interval.
/// </para>
/// </example>
/// <example>
/// <code>
/// $model = Get-IclModel text-icl-tiny -Load
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json') -Seed 0
/// $csv = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).csv"
/// Invoke-IclPrompt -Model $model -Dataset $data -Shots 0 -First 30 -MaxNewTokens 2 | Export-IclResult -Path $csv
/// Invoke-IclPrompt -Model $model -Dataset $data -Shots 4 -First 30 -MaxNewTokens 2 | Compare-IclResult -Reference $csv
/// </code>
/// <para>
/// Keeps a zero-shot run in a CSV file and compares a 4-shot run on the same queries with it, piping the candidate in:
/// one row each for FirstTokenCorrect, ExactMatch, ExpectedLogProb and ExpectedRank.
/// </para>
/// </example>
[Cmdlet(VerbsData.Compare, "IclResult", HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#compare-iclresult")]
[OutputType(typeof(ResultComparison))]
public sealed class CompareIclResultCommand : IclPsCmdlet
{
    private readonly List<IReadOnlyDictionary<string, object?>> _reference = new();
    private readonly List<IReadOnlyDictionary<string, object?>> _candidate = new();
    private readonly List<string> _candidateSources = new();

    /// <summary>
    /// The baseline results: result objects (Invoke-IclPrompt output, Import-Csv rows, any objects with the key and metric
    /// properties), or paths of CSV files written by Export-IclResult (strings or FileInfo objects), or a mix. Relative
    /// paths are resolved from the current PowerShell location.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public object[] Reference { get; set; } = [];

    /// <summary>
    /// The results compared with the reference, in the same forms; usually piped in (objects, or CSV paths). Differences
    /// are candidate minus reference.
    /// </summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public object[] Candidate { get; set; } = [];

    /// <summary>
    /// The columns that identify a query, matched case-insensitively and compared as text. Default: Query and Expected for
    /// text prompt results, Index and Seed (Seed when both sets have it) for numeric ones; other rows need -Key.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Key { get; set; }

    /// <summary>
    /// The columns to compare. True/false columns get the McNemar test, numeric ones the Wilcoxon signed-rank test. Default:
    /// whichever of FirstTokenCorrect, ExactMatch, ExpectedLogProb, ExpectedRank and SquaredError both sets have.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Metric { get; set; }

    /// <summary>
    /// The alternative hypothesis of the p-values: TwoSided (default), Greater (the candidate's values tend to be higher)
    /// or Less. The intervals are two-sided whatever this is.
    /// </summary>
    [Parameter]
    public Alternative Alternative { get; set; } = Alternative.TwoSided;

    protected override void Begin()
    {
        var sources = Read(Reference, _reference);
        WriteVerbose($"Reference: {_reference.Count} row(s) from {string.Join(", ", sources)}.");
    }

    protected override void Process() => _candidateSources.AddRange(Read(Candidate, _candidate));

    protected override void End()
    {
        WriteVerbose($"Candidate: {_candidate.Count} row(s) from {string.Join(", ", _candidateSources.Distinct())}.");
        var report = ResultComparer.Compare(_reference, _candidate, new ResultComparisonOptions { Key = Key, Metrics = Metric, Alternative = Alternative });
        var key = string.Join(", ", report.Key);
        WriteVerbose($"{report.Pairs} pair(s) on {key}.");
        if (report.UnpairedReference.Count > 0 || report.UnpairedCandidate.Count > 0)
            WriteWarning($"{report.UnpairedReference.Count} reference and {report.UnpairedCandidate.Count} candidate row(s) have no partner on {key} " +
                         $"and are left out of every metric{Examples("reference", report.UnpairedReference)}{Examples("candidate", report.UnpairedCandidate)}.");
        if (report.DuplicateKeys > 0)
            WriteWarning($"{report.DuplicateKeys} key value(s) of {key} occur more than once in a set; their rows were paired in order of appearance. " +
                         "Add a column to -Key (e.g. Seed or QueryIndex) if that is not what you meant.");
        foreach (var row in report.Comparisons.Where(r => r.Missing > 0))
            WriteWarning($"{row.Missing} pair(s) have no value for {row.Metric} in one set or both and are left out of it.");
        WriteObject(report.Comparisons, enumerateCollection: true);
    }

    private static string Examples(string set, IReadOnlyList<string> keys) =>
        keys.Count == 0 ? "" : $"; {set} e.g. {string.Join("; ", keys.Take(3).Select(k => $"'{k}'"))}{(keys.Count > 3 ? " ..." : "")}";

    /// <summary>Adds the rows of every item (a result object, or a CSV path) to <paramref name="rows"/>; returns where they came from.</summary>
    private List<string> Read(IEnumerable items, List<IReadOnlyDictionary<string, object?>> rows)
    {
        var sources = new List<string>();
        var objects = 0;
        foreach (var item in items)
        {
            var value = item is PSObject ps ? ps.BaseObject : item;
            switch (value)
            {
                case null:
                    continue;
                case string path:
                    sources.Add(ReadCsv(path, rows));
                    break;
                case FileInfo file:
                    sources.Add(ReadCsv(file.FullName, rows));
                    break;
                case IDictionary table:
                    // A hashtable row: its entries are the columns.
                    var entries = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                    foreach (DictionaryEntry entry in table) entries.TryAdd(entry.Key.ToString() ?? "", entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value);
                    rows.Add(entries);
                    objects++;
                    break;
                case IEnumerable nested:
                    // An array inside the array (-Reference $a, $b): its items, one level down.
                    sources.AddRange(Read(nested, rows));
                    break;
                default:
                    var row = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                    foreach (var (name, cell) in ResultRow.From(PSObject.AsPSObject(item))) row.TryAdd(name, cell);
                    rows.Add(row);
                    objects++;
                    break;
            }
        }
        if (objects > 0) sources.Add($"{objects} object(s)");
        return sources;
    }

    private string ReadCsv(string path, List<IReadOnlyDictionary<string, object?>> rows)
    {
        var full = ResolveFilePath(path);
        var read = ResultCsvReader.Read(full);
        if (read.Count == 0)
            throw new IclPsException("ResultFileEmpty", IclErrorKind.InvalidData, $"Results file '{full}' holds no rows.", full);
        rows.AddRange(read);
        return $"'{full}' ({read.Count} rows)";
    }
}
