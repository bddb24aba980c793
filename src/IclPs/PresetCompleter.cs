using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using IclPs.Engine.Models;

namespace IclPs;

/// <summary>Tab completion for -Preset from <see cref="ModelConfig.Presets"/>.</summary>
public sealed class PresetCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ModelConfig.Presets
            .Where(p => p.Key.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new CompletionResult(p.Key, p.Key, CompletionResultType.ParameterValue, p.Value.ToString()));
}
