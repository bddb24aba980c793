using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine.TaskVectors;

namespace IclPs.Cmdlets;

/// <summary>
/// Measure-HeadEffect: the causal indirect effect of every attention head (Todd et al.): on shuffled-label prompts, the
/// rise in the probability of the correct first answer token (regression: the fall in squared error) when the head's
/// last-token z is replaced by its mean over clean prompts. One <see cref="HeadEffect"/> row per (layer, head), ranked;
/// pipe them to Export-IclResult, or to Export-IclPlot -Kind Heatmap -Row Layer -Column Head -Value AverageIndirectEffect.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "HeadEffect", DefaultParameterSetName = TextSet)]
[OutputType(typeof(HeadEffect))]
public sealed class MeasureHeadEffectCommand : TaskVectorCmdlet
{
    /// <summary>Clean prompts the mean head activations are taken over.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int MeanPrompts { get; set; } = 100;

    /// <summary>Shuffled-label prompts the effects are averaged over.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int EffectPrompts { get; set; } = 25;

    /// <summary>Demonstrations per prompt (default 10; regression: the model's training length minus the query).</summary>
    [Parameter, ValidateRange(2, int.MaxValue)]
    public int? Shots { get; set; }

    protected override void Process()
    {
        var problem = CreateProblem();
        var shots = Shots ?? RegressionShots ?? 10;
        var options = new FunctionVectorOptions
        {
            MeanPrompts = MeanPrompts, MeanShots = shots, EffectPrompts = EffectPrompts, EffectShots = shots, BatchSize = BatchSize, Seed = Seed,
        };
        var reporter = StartProgress($"Measure-HeadEffect: {problem.ModelName}");
        var clock = Stopwatch.StartNew();
        FunctionVectorResult result;
        try
        {
            result = FunctionVector.Build(problem, options, Progress(reporter), Cancellation);
        }
        finally
        {
            reporter.Complete();
        }
        WriteVerbose($"{problem.Network.Config.Layers * problem.Network.Config.Heads} heads measured on {EffectPrompts} shuffled-label prompts ({shots} shots) in {clock.Elapsed.TotalSeconds:F1} s.");
        WriteObject(HeadEffect.Rank(result.Effects), enumerateCollection: true);
    }
}
