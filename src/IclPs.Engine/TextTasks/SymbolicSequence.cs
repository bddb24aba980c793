using IclPs.Engine.Data;
using IclPs.Engine.Prompting;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// One few-shot sequence of a symbolic task laid out exactly as <see cref="PromptFormat.BuildPrompt"/> lays out prompts:
/// <see cref="Prompt"/> is what <c>Invoke-IclPrompt</c> would show for these demonstrations and query, and
/// <see cref="Text"/> appends the expected continuation.
/// </summary>
public sealed class SymbolicSequence
{
    public SymbolicSequence(SymbolicTask task, IReadOnlyList<IclExample> demonstrations, IclExample query, PromptFormat format)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(demonstrations);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(format);
        format.Validate();
        Task = task;
        Demonstrations = demonstrations;
        Query = query;
        Format = format;
        QuerySeen = demonstrations.Any(d => string.Equals(d.Input, query.Input, StringComparison.Ordinal));

        // Segments in text order, each flagged when it is an answer, so token masks can be built per segment.
        var segments = new List<(string Text, bool IsAnswer)>();
        if (format.Description.Length > 0) segments.Add((format.Description, false));
        foreach (var demo in demonstrations)
        {
            segments.Add((format.FormatInput(demo.Input), false));
            segments.Add((format.Continuation(demo.Output), true));
            segments.Add((format.FewShotDelimiter, false));
        }
        segments.Add((format.FormatInput(query.Input), false));
        Prompt = string.Concat(segments.Select(s => s.Text));
        segments.Add((format.Continuation(query.Output), true));
        Segments = segments.Where(s => s.Text.Length > 0).ToArray();
        Text = string.Concat(Segments.Select(s => s.Text));
    }

    public SymbolicTask Task { get; }
    public IReadOnlyList<IclExample> Demonstrations { get; }
    public IclExample Query { get; }
    public PromptFormat Format { get; }
    public int Shots => Demonstrations.Count;
    /// <summary>True when a demonstration has the query's input, so the answer can be copied from the context.</summary>
    public bool QuerySeen { get; }
    /// <summary>The prompt text, equal to <see cref="PromptFormat.BuildPrompt"/> of the demonstrations and the query's input.</summary>
    public string Prompt { get; }
    /// <summary>Prompt followed by the expected continuation: the full training text.</summary>
    public string Text { get; }
    /// <summary>Non-empty pieces of <see cref="Text"/> in order; answers are each continuation (target delimiter + output).</summary>
    public IReadOnlyList<(string Text, bool IsAnswer)> Segments { get; }

    /// <summary>The same sequence as the prompting engine's prompt object.</summary>
    public IclPrompt ToPrompt(int queryIndex = 0) => new(queryIndex, Query, Demonstrations, Format);

    public override string ToString() => Text;
}
