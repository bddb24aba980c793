using System.Management.Automation;
using IclPs.Engine.Data;
using IclPs.Engine.Prompting;

namespace IclPs.Cmdlets;

/// <remarks>
/// <para>
/// Variance over demonstrations: -DemonstrationDraws K runs every text query K times, draw k (0-based) with seed -Seed + k,
/// so each draw picks the demonstrations and their order afresh; its results carry that seed, and running with
/// -Seed (-Seed + k) alone reproduces draw k exactly. -Summary writes, instead of the per-query results, one
/// IclPromptSummary per metric (FirstTokenCorrect, ExactMatch, ExpectedLogProb): the Mean over all draws, DrawSd (the
/// standard deviation of the K draws' means), DrawLow and DrawHigh (the 95% t interval for the mean over draws), the lowest
/// and highest draw, and QueryStandardError (sd / sqrt(N) over one draw's queries, averaged over the draws, the stderr
/// lm-evaluation-harness reports, which only reflects which queries were sampled).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $model = Get-IclModel text-icl-tiny -Load
/// $map = @{ a = 'x'; b = 'y'; c = 'z' }
/// $pairs = foreach ($key in 'a', 'b', 'c') { foreach ($i in 1..6) { [pscustomobject]@{ Input = "$key$i"; Output = $map[$key] } } }
/// $pairs | Invoke-IclPrompt -Model $model -Demonstrations $pairs -Shots 3 -DemonstrationDraws 5 -Summary -MaxNewTokens 1 `
///     -Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ','
/// </code>
/// <para>
/// Runs 18 keyed-lookup queries under 5 draws of 3 demonstrations each (seeds 0 to 4) and summarizes: how much the accuracy
/// moves with the choice of demonstrations (DrawSd, DrawLow to DrawHigh) beside the per-query standard error.
/// </para>
/// </example>
public sealed partial class InvokeIclPromptCommand
{
    /// <summary>
    /// K, how many times to draw each text query's demonstrations and their order: draw k (0-based) uses seed -Seed + k, and
    /// results carry their draw's seed. 1 to 10000. Default: 1 (one draw, with -Seed).
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateRange(1, 10_000)]
    public int DemonstrationDraws { get; set; } = 1;

    /// <summary>
    /// Writes one IclPromptSummary per metric (mean, spread over the demonstration draws, per-query standard error) instead
    /// of the per-query results.
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    public SwitchParameter Summary { get; set; }

    private readonly List<IclPromptResult> _summarized = new();

    private DemonstrationDrawRun CreateRun(IclRunOptions options, IReadOnlyList<IclExample> pool)
    {
        var run = new DemonstrationDrawRun(Model, options, DemonstrationDraws, pool, Cancellation);
        if (DemonstrationDraws > 1)
        {
            WriteVerbose($"{DemonstrationDraws} demonstration draws, seeds {Seed} to {DemonstrationDrawRun.DrawSeed(Seed, DemonstrationDraws - 1)}.");
            if (Shots == 0) WriteWarning("With -Shots 0 there are no demonstrations to draw: every draw runs the same prompts.");
        }
        return run;
    }

    /// <summary>A text result: written, or kept for the summary.</summary>
    private void Emit(IclPromptResult result)
    {
        if (Summary) _summarized.Add(result);
        else WriteObject(result);
    }

    private void WriteSummary()
    {
        if (!Summary) return;
        if (_summarized.Count == 0)
        {
            WriteWarning("No query ran, so there is nothing to summarize.");
            return;
        }
        WriteObject(IclPromptSummary.Summarize(_summarized), enumerateCollection: true);
    }
}
