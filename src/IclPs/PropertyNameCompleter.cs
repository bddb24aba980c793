using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Reflection;

namespace IclPs;

/// <summary>
/// Tab completion for a parameter that names a property of the input objects (Export-IclPlot -X, -Y, -Series, -ErrorBar,
/// -Row, -Column, -Value). The names come from, in order:
/// <list type="number">
/// <item>the objects bound to -InputObject, when the command line gives them as a value PowerShell can evaluate safely;</item>
/// <item>the previous command of the pipeline, as PowerShell infers its output (a cmdlet's [OutputType], a variable's
///   value, Select-Object's properties, a [pscustomobject] literal): the same inference that completes
///   <c>Sort-Object -Property</c>, asked of the command line with this command replaced by Sort-Object;</item>
/// <item>otherwise, the scalar properties (numbers, text, flags, enums) of every IclPs cmdlet's output types.</item>
/// </list>
/// </summary>
public sealed class PropertyNameCompleter : IArgumentCompleter
{
    // PSObject's own properties, which inference also lists for a PSCustomObject; never what a row is plotted by.
    private static readonly HashSet<string> PSObjectProperties =
        typeof(PSObject).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static readonly Lazy<IReadOnlyList<(string Name, string ToolTip)>> OutputTypeProperties = new(ListOutputTypeProperties);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? "").Trim('\'', '"');
        var pattern = WildcardPattern.Get(word + "*", WildcardOptions.IgnoreCase);
        var found = FromInputObject(fakeBoundParameters) ?? FromPipeline(commandAst, wordToComplete ?? "");
        var names = found is { Count: > 0 } ? found : OutputTypeProperties.Value;
        return names
            .Where(n => pattern.IsMatch(n.Name))
            .Select(n => new CompletionResult(Quote(n.Name), n.Name, CompletionResultType.ParameterValue, n.ToolTip))
            .ToList();
    }

    /// <summary>The properties of the first object given to -InputObject, when its value is known while completing.</summary>
    private static IReadOnlyList<(string Name, string ToolTip)>? FromInputObject(IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters?["InputObject"] is not { } value) return null;
        var first = LanguagePrimitives.GetEnumerable(value)?.Cast<object?>().FirstOrDefault(o => o is not null) ?? value;
        var properties = PSObject.AsPSObject(first).Properties
            .Select(p => (p.Name, $"{p.TypeNameOfValue} {p.Name}"))
            .ToList();
        return properties.Count > 0 ? properties : null;
    }

    /// <summary>
    /// The property names PowerShell's own completion offers for <c>Sort-Object -Property</c> in this command's place,
    /// which it infers from the previous pipeline element; null when this command is first in its pipeline.
    /// </summary>
    private static IReadOnlyList<(string Name, string ToolTip)>? FromPipeline(CommandAst commandAst, string wordToComplete)
    {
        if (commandAst?.Parent is not PipelineAst pipeline || pipeline.PipelineElements.IndexOf(commandAst) <= 0) return null;
        Ast root = commandAst;
        while (root.Parent is not null) root = root.Parent;
        var before = commandAst.Extent.StartOffset - root.Extent.StartOffset;
        if (before < 0 || before > root.Extent.Text.Length) return null;
        var input = root.Extent.Text[..before] + "Sort-Object -Property " + wordToComplete;
        try
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            var completion = CommandCompletion.CompleteInput(input, input.Length, null, ps);
            return completion.CompletionMatches
                .Where(m => m.ResultType == CompletionResultType.Property && !PSObjectProperties.Contains(m.ListItemText))
                .Select(m => (m.ListItemText, m.ToolTip))
                .ToList();
        }
        catch (Exception e) when (e is RuntimeException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Scalar properties of the types the module's cmdlets declare in [OutputType], by name, with the types that have each.</summary>
    private static IReadOnlyList<(string Name, string ToolTip)> ListOutputTypeProperties()
    {
        var types = typeof(PropertyNameCompleter).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<CmdletAttribute>() is not null)
            .SelectMany(t => t.GetCustomAttributes<OutputTypeAttribute>())
            .SelectMany(a => a.Type)
            .Select(t => t.Type)
            .Where(t => t is not null && t.Assembly != typeof(object).Assembly)
            .Distinct();
        return types
            .SelectMany(t => t!.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetIndexParameters().Length == 0 && IsScalar(p.PropertyType))
                .Select(p => (p.Name, Type: t.Name)))
            .GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
            .OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase)
            .Select(g => (g.Key, $"{g.Key} of {string.Join(", ", g.Select(p => p.Type).Distinct().Order(StringComparer.Ordinal))}"))
            .ToList();
    }

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(DateTime);
    }

    /// <summary>Single quotes around a name the parser would otherwise split or expand.</summary>
    private static string Quote(string name) =>
        name.Any(c => char.IsWhiteSpace(c) || "'\"`$&@(){}[];,|<>#".Contains(c)) ? $"'{name.Replace("'", "''")}'" : name;
}
