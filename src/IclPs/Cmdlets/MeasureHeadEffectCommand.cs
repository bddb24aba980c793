using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine.TaskVectors;

namespace IclPs.Cmdlets;

/// <summary>Measures the causal indirect effect of every attention head on a task, as function vectors rank heads.</summary>
/// <remarks>
/// <para>
/// Todd et al.'s causal indirect effect: for each attention head, the rise in the probability of the correct first answer
/// token on shuffled-label prompts (regression models: the fall in squared error) when that head's last-token output
/// (blocks.{l}.attn.hook_z, see about_IclPs_HookNames) is replaced by its mean over clean prompts. Heads with a large
/// effect carry the task; New-TaskVector -Method FunctionVector sums the top -TopK of them.
/// </para>
/// <para>
/// The mean activations come from -MeanPrompts clean prompts and the effects are averaged over -EffectPrompts
/// shuffled-label prompts, each with -Shots demonstrations from the dataset's Train part (text models) or the model's
/// linear task family (regression models). Writes one HeadEffect per head, largest effect first (ties by layer, then
/// head): Layer, Head and AverageIndirectEffect. Pipe them to Export-IclResult, or to
/// Export-IclPlot -Kind Heatmap -Row Layer -Column Head -Value AverageIndirectEffect. The model is never changed.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// Measure-HeadEffect -Model $model -Dataset $data -MeanPrompts 10 -EffectPrompts 5 -Shots 3 | Select-Object -First 3
/// </code>
/// <para>Ranks the 8 heads of a tiny GPT-2 on the antonym task and shows the top 3.</para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $png = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).png"
/// Measure-HeadEffect $model $data -MeanPrompts 10 -EffectPrompts 5 -Shots 3 |
///     Export-IclPlot -Path $png -Kind Heatmap -Row Layer -Column Head -Value AverageIndirectEffect
/// </code>
/// <para>Draws the effects as a layer-by-head heat map.</para>
/// </example>
/// <example>
/// <code>Get-IclModel linear-d8 -Load | Measure-HeadEffect -MeanPrompts 20 -EffectPrompts 10</code>
/// <para>
/// Ranks the heads of the shipped regression model by how much replacing each one's output raises the squared error on
/// prompts from its training tasks (15 demonstrations each, its training length).
/// </para>
/// </example>
[Cmdlet(VerbsDiagnostic.Measure, "HeadEffect", DefaultParameterSetName = TextSet, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#measure-headeffect")]
[OutputType(typeof(HeadEffect))]
public sealed class MeasureHeadEffectCommand : TaskVectorCmdlet
{
    /// <summary>Clean prompts (true labels) the mean head activations are averaged over, at least 1. Default: 100.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int MeanPrompts { get; set; } = 100;

    /// <summary>Shuffled-label prompts each head's effect is averaged over, at least 1. Default: 25.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int EffectPrompts { get; set; } = 25;

    /// <summary>
    /// Demonstrations per prompt, clean and shuffled alike; at least 2, since shuffling needs two.
    /// </summary>
    /// <value>10 for text models; for regression models, the model's training length minus the query</value>
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
