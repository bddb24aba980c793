using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Data;

namespace IclPs.Cmdlets;

/// <summary>
/// How the prompting cmdlets turn what users give them (a dataset split, piped objects with Input and Output, a
/// -Demonstrations array) into engine examples, and the checks they share.
/// </summary>
internal static class QueryInput
{
    public const string DatasetSet = "Dataset";
    public const string DemonstrationsSet = "Demonstrations";
    public static readonly string[] SplitNames = ["Test", "Valid", "Train"];

    /// <summary>The part of the split named by -Split (Test, Valid or Train).</summary>
    public static IclDataset Part(IclDatasetSplit split, string name) => name.ToLowerInvariant() switch
    {
        "test" => split.Test,
        "valid" => split.Valid,
        "train" => split.Train,
        _ => throw new IclPsException("UnknownSplit", IclErrorKind.InvalidArgument, $"Split '{name}' is not one of {string.Join(", ", SplitNames)}.", name),
    };

    /// <summary>
    /// -Demonstrations items: engine examples as they are, anything else through its Input and Output properties
    /// (a [pscustomobject], an imported CSV row, a prompt result's Query and Expected).
    /// </summary>
    public static IReadOnlyList<IclExample> Demonstrations(object[] items)
    {
        var pool = new IclExample[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i] is PSObject ps ? ps.BaseObject : items[i];
            if (item is IclExample example)
            {
                pool[i] = example;
                continue;
            }
            var wrapped = PSObject.AsPSObject(items[i]);
            var input = Text(wrapped, "Input", "Query");
            var output = Text(wrapped, "Output", "Expected");
            if (string.IsNullOrWhiteSpace(input) || string.IsNullOrWhiteSpace(output))
                throw new IclPsException("InvalidDemonstration", IclErrorKind.InvalidArgument,
                    $"Demonstration {i} needs non-empty Input and Output properties; got Input '{input}' and Output '{output}'.", items[i]);
            pool[i] = new IclExample(input, output);
        }
        return pool;
    }

    /// <summary>A query bound from the pipeline or the command line; <paramref name="outputRequired"/> when it will be scored.</summary>
    public static IclExample Query(string? input, string? output, bool outputRequired)
    {
        if (string.IsNullOrWhiteSpace(input))
            throw new IclPsException("QueryMissingInput", IclErrorKind.InvalidArgument, "A query needs a non-empty Input.", output);
        if (outputRequired && string.IsNullOrWhiteSpace(output))
            throw new IclPsException("QueryMissingOutput", IclErrorKind.InvalidArgument, $"Query '{input}' needs a non-empty Output to score the model against.", input);
        return new IclExample(input, output ?? "");
    }

    /// <summary>
    /// Fails once, up front, when the pool cannot give any query <paramref name="shots"/> demonstrations, instead of one
    /// identical error per query. (A pool of exactly <paramref name="shots"/> items still fails for a query that is in it.)
    /// </summary>
    public static void RequirePool(IReadOnlyList<IclExample> pool, int shots, string poolName)
    {
        if (pool.Count < shots)
            throw new IclPsException("NotEnoughExamples", IclErrorKind.InvalidArgument,
                $"{shots}-shot prompts need at least {shots} demonstrations but {poolName} holds {pool.Count}; use fewer shots or a larger pool.", shots);
    }

    /// <summary>Delimiters and templates written so that new lines and tabs show in a verbose message.</summary>
    public static string Show(string text) => "'" + text.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\t", "\\t") + "'";

    private static string? Text(PSObject item, string name, string alias) =>
        (item.Properties[name]?.Value ?? item.Properties[alias]?.Value) is { } value ? LanguagePrimitives.ConvertTo<string>(value) : null;
}
