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
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateNotNull]
    public IclModel Model { get; set; } = null!;

    /// <summary>Demonstrations come from its Train part; queries from its -Split part unless queries are piped.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = QueryInput.DatasetSet)]
    [ValidateNotNull]
    public IclDatasetSplit Dataset { get; set; } = null!;

    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [ValidateSet("Test", "Valid", "Train", IgnoreCase = true)]
    public string Split { get; set; } = "Test";

    /// <summary>The demonstration pool when there is no dataset: objects with Input and Output properties.</summary>
    [Parameter(Mandatory = true, ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateNotNullOrEmpty]
    public object[] Demonstrations { get; set; } = [];

    /// <summary>A query's input, usually bound from a piped object's Input property.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = QueryInput.DemonstrationsSet)]
    [Alias("Query")]
    [AllowEmptyString]
    public string? Input { get; set; }

    /// <summary>
    /// A query's expected output, usually bound from a piped object's Output (or Expected) property. In every parameter set:
    /// Invoke-IclPrompt's numeric queries read it as the expected y_K.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Expected")]
    [AllowEmptyString]
    public string? Output { get; set; }

    /// <summary>Fixes which demonstrations each query gets.</summary>
    [Parameter]
    public int Seed { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int BatchSize { get; set; } = 8;

    /// <summary>Use at most this many queries (later ones are ignored).</summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateRange(0, int.MaxValue)]
    public int First { get; set; } = int.MaxValue;

    /// <summary>Text before the demonstrations, verbatim (end it with a delimiter if you want one).</summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [AllowEmptyString]
    public string Description { get; set; } = "";

    /// <summary>Each input is written through this template; every {input} is replaced, e.g. "Q: {input}`nA:".</summary>
    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [ValidateNotNullOrEmpty]
    public string Template { get; set; } = PromptFormat.InputPlaceholder;

    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [AllowEmptyString]
    public string TargetDelimiter { get; set; } = " ";

    [Parameter(ParameterSetName = QueryInput.DatasetSet)]
    [Parameter(ParameterSetName = QueryInput.DemonstrationsSet)]
    [AllowEmptyString]
    public string FewShotDelimiter { get; set; } = "\n\n";

    /// <summary>Drop leading demonstrations of a prompt too long for the context window instead of reporting PromptTooLong.</summary>
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
