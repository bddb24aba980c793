using IclPs.Engine.Data;

namespace IclPs.Engine.Prompting;

/// <summary>One query's few-shot prompt: the demonstrations chosen for it, the prompt text and the expected continuation.</summary>
public sealed class IclPrompt
{
    public IclPrompt(int queryIndex, IclExample query, IReadOnlyList<IclExample> demonstrations, PromptFormat format)
    {
        QueryIndex = queryIndex;
        Query = query;
        Demonstrations = demonstrations;
        Format = format;
        Text = format.BuildPrompt(demonstrations, query.Input);
        ExpectedContinuation = format.Continuation(query.Output);
    }

    public int QueryIndex { get; }
    public IclExample Query { get; }
    public IReadOnlyList<IclExample> Demonstrations { get; }
    public PromptFormat Format { get; }
    public string Text { get; }
    /// <summary>Target delimiter + expected output: what a correct model continues the prompt with.</summary>
    public string ExpectedContinuation { get; }
    public int Shots => Demonstrations.Count;

    /// <summary>The same prompt with the first <paramref name="count"/> demonstrations removed (used to fit a context window).</summary>
    public IclPrompt WithoutLeadingDemonstrations(int count) => new(QueryIndex, Query, Demonstrations.Skip(count).ToArray(), Format);

    public override string ToString() => Text;
}
