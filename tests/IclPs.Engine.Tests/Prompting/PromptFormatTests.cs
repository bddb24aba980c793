using IclPs.Engine.Data;
using IclPs.Engine.Prompting;

namespace IclPs.Engine.Tests.Prompting;

public class PromptFormatTests
{
    private static readonly IclExample[] Demos = { new("a", "b"), new("c", "d") };

    [Fact]
    public void DefaultFollowsLmEvaluationHarness()
    {
        var format = PromptFormat.Default;
        Assert.Equal("a b\n\nc d\n\ne", format.BuildPrompt(Demos, "e"));
        Assert.Equal(" f", format.Continuation("f"));
        Assert.Equal("e", format.BuildPrompt(Array.Empty<IclExample>(), "e"));
    }

    [Fact]
    public void QuestionAnswerWithDescription()
    {
        var format = PromptFormat.QuestionAnswer with { Description = "Antonyms:\n\n" };
        Assert.Equal("Antonyms:\n\nQ: a\nA: b\n\nQ: c\nA: d\n\nQ: e\nA:", format.BuildPrompt(Demos, "e"));
        Assert.Equal(" f", format.Continuation("f"));
        Assert.Equal("Antonyms:\n\nQ: e\nA:", format.BuildPrompt(Array.Empty<IclExample>(), "e"));
    }

    [Fact]
    public void PrefixesAndArrowPresets()
    {
        Assert.Equal("Input: {input}\tOutput:", PromptFormat.WithPrefixes("Input: ", "Output:", "\t").InputTemplate);
        Assert.Equal("example:a->b\nexample:c->d\nexample:e->", PromptFormat.Arrow.BuildPrompt(Demos, "e"));
        Assert.Equal("f", PromptFormat.Arrow.Continuation("f"));
    }

    [Fact]
    public void InputIsInsertedVerbatimEvenIfItLooksLikeAPlaceholder()
    {
        var format = new PromptFormat { InputTemplate = "<{input}|{input}>", TargetDelimiter = "=", FewShotDelimiter = ";" };
        Assert.Equal("<a|a>=b;<{input}|{input}>", format.BuildPrompt(new[] { new IclExample("a", "b") }, "{input}"));
    }

    [Fact]
    public void TemplateWithoutPlaceholderIsRejected()
    {
        var ex = Assert.Throws<IclPsException>(() => new PromptFormat { InputTemplate = "Q: input" }.Validate());
        Assert.Equal("InvalidPromptTemplate", ex.ErrorId);
        Assert.Equal("Q: input", ex.Target);
    }
}
