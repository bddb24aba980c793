using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace IclPs.Cmdlets;

/// <summary>Tab completion for the categorical cmdlets' -ModelKind, -Kernel and -Eraser words (parsed by the engine, which names a bad one).</summary>
public sealed class CategoricalCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string[] words = parameterName switch
        {
            "ModelKind" => ["Gd", "Transformer"],
            "Kernel" => ["Softmax", "Linear", "Rbf"],
            "Eraser" => ["Exact", "Authors"],
            _ => [],
        };
        return words.Where(w => w.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
            .Select(w => new CompletionResult(w, w, CompletionResultType.ParameterValue, w));
    }
}
