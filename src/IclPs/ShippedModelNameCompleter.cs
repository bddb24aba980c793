using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using IclPs.Cmdlets;
using IclPs.Engine.Models.Shipped;

namespace IclPs;

/// <summary>
/// Tab completion for a shipped model's name (Get-IclModel -Name): the model folders of the module's models folder, or of
/// the command's -Path when it is given, each with its kind and description (from iclps-model.json) as the tool tip.
/// </summary>
public sealed class ShippedModelNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var root = ModelFolder(fakeBoundParameters);
        if (root is null || !Directory.Exists(root)) return [];
        var word = (wordToComplete ?? "").Trim('\'', '"');
        var pattern = WildcardPattern.Get(word + "*", WildcardOptions.IgnoreCase);
        return new ShippedModelCatalog(root).Names
            .Where(pattern.IsMatch)
            .Select(name => new CompletionResult(Quote(name), name, CompletionResultType.ParameterValue, ToolTip(root, name)))
            .ToList();
    }

    /// <summary>-Path resolved against the session's current location, else the module's models folder.</summary>
    private static string? ModelFolder(IDictionary fakeBoundParameters)
    {
        var path = fakeBoundParameters?["Path"] is { } value ? LanguagePrimitives.ConvertTo<string>(value) : null;
        if (string.IsNullOrEmpty(path)) return GetIclModelCommand.DefaultModelFolder;
        try
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            ps.AddScript("$ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($args[0])").AddArgument(path);
            return ps.Invoke<string>().FirstOrDefault();
        }
        catch (Exception e) when (e is RuntimeException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string ToolTip(string root, string name)
    {
        try
        {
            var info = ShippedModelCatalog.ReadManifest(Path.Combine(root, name));
            return $"{info.Kind}: {info.Description}";
        }
        catch (Exception e) when (e is Engine.IclPsException or IOException or UnauthorizedAccessException)
        {
            return name;
        }
    }

    /// <summary>Single quotes around a name the parser would otherwise split or expand.</summary>
    private static string Quote(string name) =>
        name.Any(c => char.IsWhiteSpace(c) || "'\"`$&@(){}[];,|<>#".Contains(c)) ? $"'{name.Replace("'", "''")}'" : name;
}
