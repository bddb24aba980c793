using System.Text;
using IclPs.Engine.Data;

namespace IclPs.Engine.Prompting;

/// <summary>
/// How a few-shot prompt is laid out, in lm-evaluation-harness vocabulary:
/// <c>Description + demo_1 + FewShotDelimiter + ... + demo_k + FewShotDelimiter + InputTemplate(query)</c>,
/// each demo being <c>InputTemplate(x) + TargetDelimiter + y</c>. The model is expected to continue with
/// <c>TargetDelimiter + output</c>. The description is prepended verbatim (end it with a delimiter if you want one),
/// as lm-evaluation-harness does.
/// </summary>
public sealed record PromptFormat
{
    public const string InputPlaceholder = "{input}";

    public string Description { get; init; } = "";
    /// <summary>Text around each input; every <c>{input}</c> is replaced by the input.</summary>
    public string InputTemplate { get; init; } = InputPlaceholder;
    public string TargetDelimiter { get; init; } = " ";
    public string FewShotDelimiter { get; init; } = "\n\n";

    /// <summary>lm-evaluation-harness defaults: <c>{input}</c>, target delimiter " ", few-shot delimiter "\n\n".</summary>
    public static PromptFormat Default { get; } = new();

    /// <summary>Function Vector paper (Todd et al.): <c>Q: {x}\nA: {y}\n\n</c>, query <c>Q: {q}\nA:</c>.</summary>
    public static PromptFormat QuestionAnswer { get; } = WithPrefixes("Q: ", "A:");

    /// <summary>Task Vector paper (Hendel et al.): <c>example:{x}->{y}</c> joined by newlines.</summary>
    public static PromptFormat Arrow { get; } = new() { InputTemplate = "example:" + InputPlaceholder + "->", TargetDelimiter = "", FewShotDelimiter = "\n" };

    /// <summary>
    /// A prefix template: <c>{inputPrefix}{input}{separator}{outputPrefix}</c>, e.g. ("Q: ", "A:") gives <c>Q: {input}\nA:</c>,
    /// and the answer follows after the target delimiter.
    /// </summary>
    public static PromptFormat WithPrefixes(string inputPrefix, string outputPrefix, string separator = "\n", string targetDelimiter = " ", string fewShotDelimiter = "\n\n") =>
        new() { InputTemplate = inputPrefix + InputPlaceholder + separator + outputPrefix, TargetDelimiter = targetDelimiter, FewShotDelimiter = fewShotDelimiter };

    /// <summary>Rejects a template without <c>{input}</c> (every prompt would be the same) and null parts.</summary>
    public void Validate()
    {
        if (Description is null || InputTemplate is null || TargetDelimiter is null || FewShotDelimiter is null)
            throw new IclPsException("InvalidPromptFormat", IclErrorKind.InvalidArgument, "Prompt format parts must not be null (use \"\" for none).", this);
        if (!InputTemplate.Contains(InputPlaceholder, StringComparison.Ordinal))
            throw new IclPsException("InvalidPromptTemplate", IclErrorKind.InvalidArgument,
                $"Input template '{InputTemplate}' has no {InputPlaceholder} placeholder, so every prompt would be the same.", InputTemplate);
    }

    public string FormatInput(string input) => InputTemplate.Replace(InputPlaceholder, input, StringComparison.Ordinal);

    public string FormatDemonstration(IclExample example) => FormatInput(example.Input) + TargetDelimiter + example.Output;

    /// <summary>What the model should generate after the prompt: the target delimiter, then the output.</summary>
    public string Continuation(string output) => TargetDelimiter + output;

    /// <summary>The full prompt text for <paramref name="demonstrations"/> followed by the query input (no continuation).</summary>
    public string BuildPrompt(IReadOnlyList<IclExample> demonstrations, string queryInput)
    {
        var text = new StringBuilder(Description);
        foreach (var demo in demonstrations)
        {
            text.Append(FormatDemonstration(demo)).Append(FewShotDelimiter);
        }
        return text.Append(FormatInput(queryInput)).ToString();
    }
}
