using System.Management.Automation;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;

namespace IclPs.Cmdlets;

/// <summary>
/// Parameters every few-shot cmdlet shares, with lm-evaluation-harness names: the model, where queries and demonstrations
/// come from (a dataset split, or piped Input/Output objects with -Demonstrations), and the prompt format.
/// </summary>
public abstract class FewShotCmdlet : IclPsCmdlet
{
    /// <summary>
    /// The text model (an IclModel from New-IclModel, Import-IclModel or Get-IclModel -Load) the prompts run through.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateNotNull]
    public IclModel Model { get; set; } = null!;

    /// <summary>
    /// The dataset (an IclDatasetSplit from Import-IclDataset): demonstrations come from its Train part, and queries from its
    /// -Split part unless they are piped in or given with -Input.
    /// </summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = QueryInput.DatasetSet)]
    [ValidateNotNull]
    public IclDatasetSplit Dataset { get; set; } = null!;

    /// <summary>
    /// The part of -Dataset the queries come from when none are piped in: Test, Valid or Train. A query never gets itself
    /// as a demonstration, so Train works too. Default: Test.
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [ValidateSet("Test", "Valid", "Train", IgnoreCase = true)]
    public string Split { get; set; } = "Test";

    /// <summary>
    /// The demonstration pool when there is no dataset: objects with Input and Output properties (or Query and Expected, as
    /// prompt results have), such as [pscustomobject]s or Import-Csv rows. The queries must then be piped in or given with
    /// -Input.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateNotNullOrEmpty]
    public virtual object[] Demonstrations { get; set; } = [];

    /// <summary>
    /// A query's input text, usually bound from the Input (or Query) property of piped objects. Given on the command line,
    /// it runs that one query instead of the dataset's -Split part.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = QueryInput.DemonstrationsSet)]
    [Alias("Query")]
    [AllowEmptyString]
    public string? Input { get; set; }

    /// <summary>
    /// A query's expected output, usually bound from the Output (or Expected) property of piped objects. Invoke-IclPrompt
    /// scores text queries against it (so they need one) and reads it as the expected y_K of a numeric query;
    /// Measure-HiddenSimilarity scores each condition's first token against it (FirstTokenCorrectA/B, empty without it).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Expected")]
    [AllowEmptyString]
    public string? Output { get; set; }

    /// <summary>
    /// Seed of the random choices. For text prompts it fixes which demonstrations each query gets: query i's depend only on
    /// the seed, i and the pool, whatever the batch size. For numeric prompts that Invoke-IclPrompt generates it fixes the
    /// tasks and inputs drawn. Default: 0.
    /// </summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>
    /// Prompts run through the model together in one forward pass, at least 1: larger is faster but needs more memory.
    /// </summary>
    /// <value>8 (Invoke-IclPrompt's numeric prompts: 256)</value>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int BatchSize { get; set; } = 8;

    /// <summary>
    /// Use at most this many queries, piped or from the dataset; later ones are ignored. 0 or more. Default: every query.
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateRange(0, int.MaxValue)]
    public int First { get; set; } = int.MaxValue;

    /// <summary>
    /// Text put before the demonstrations, verbatim, as lm-evaluation-harness does: end it with a delimiter if you want one.
    /// Default: none. See about_IclPs_PromptFormat.
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [AllowEmptyString]
    public string Description { get; set; } = "";

    /// <summary>
    /// The template each input (demonstrations' and query's) is written through: every {input} is replaced by the input,
    /// e.g. "Q: {input}`nA:" (PowerShell's `n is a new line). It must contain {input}. Default: {input}.
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateNotNullOrEmpty]
    public string Template { get; set; } = PromptFormat.InputPlaceholder;

    /// <summary>
    /// Text between a demonstration's templated input and its output; the model is expected to continue the query with it
    /// and then the answer (lm-evaluation-harness target_delimiter). Default: one space; '' for none.
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [AllowEmptyString]
    public string TargetDelimiter { get; set; } = " ";

    /// <summary>
    /// Text between demonstrations, and between the last demonstration and the query (lm-evaluation-harness
    /// fewshot_delimiter); Invoke-IclPrompt also stops generating at it unless -Until says otherwise. Default: two new lines
    /// ("`n`n").
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [AllowEmptyString]
    public string FewShotDelimiter { get; set; } = "\n\n";

    /// <summary>
    /// Drops leading demonstrations from a prompt too long for the model's context window until it fits, instead of a
    /// PromptTooLong error for that query. Invoke-IclPrompt's results record the demonstrations kept (Shots) and asked for
    /// (ShotsRequested). Measure-HiddenSimilarity refuses it with the InstructionTuned condition, whose adapters learn every
    /// demonstration the prompt would show.
    /// </summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    public SwitchParameter TruncateLongPrompts { get; set; }

    protected PromptFormat Format() =>
        new() { Description = Description, InputTemplate = Template, TargetDelimiter = TargetDelimiter, FewShotDelimiter = FewShotDelimiter };

    /// <summary>The demonstration pool and how to name it in messages; fails when it cannot supply <paramref name="shots"/>.</summary>
    protected (IReadOnlyList<IclExample> Pool, string Name) DemonstrationPool(int shots)
    {
        var (pool, name) = ParameterSetName == QueryInput.DatasetSet
            ? (Dataset.Train.Items, $"the train split of {Dataset.Train.Name}")
            : (QueryInput.Demonstrations(Demonstrations), "-Demonstrations");
        QueryInput.RequirePool(pool, shots, name);
        return (pool, name);
    }

    /// <summary>Piped queries win; the dataset's split is used only when nothing comes down the pipeline and -Input is not given.</summary>
    protected bool QueriesFromInput => MyInvocation.ExpectingInput || MyInvocation.BoundParameters.ContainsKey(nameof(Input));
}
