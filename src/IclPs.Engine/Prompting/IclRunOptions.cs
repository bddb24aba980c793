using IclPs.Engine.Models;

namespace IclPs.Engine.Prompting;

/// <summary>How <see cref="IclPromptRunner"/> builds, batches and decodes prompts.</summary>
public sealed record IclRunOptions
{
    public PromptFormat Format { get; init; } = PromptFormat.Default;
    public int Shots { get; init; } = 5;
    /// <summary>Fixes demonstration sampling: query i always gets the same demonstrations for the same seed and pool.</summary>
    public int Seed { get; init; }
    public int BatchSize { get; init; } = 8;
    /// <summary>Greedy decoding length limit; 0 scores only (Predicted is then empty).</summary>
    public int MaxNewTokens { get; init; } = 16;
    /// <summary>Generation stops at the first of these strings (not included in Predicted). Null: the few-shot delimiter and "\n".</summary>
    public IReadOnlyList<string>? Until { get; init; }
    /// <summary>Copy the prompt text into each result (off by default: prompts are long).</summary>
    public bool IncludePrompt { get; init; }
    /// <summary>Drop leading demonstrations of a prompt that does not fit the context window instead of failing with PromptTooLong.</summary>
    public bool TruncateLongPrompts { get; init; }
    /// <summary>Prepend the tokenizer's beginning-of-sequence token when it has one.</summary>
    public bool AddBos { get; init; } = true;
    /// <summary>Called by <see cref="IclPromptRunner.Run"/> on the enumerating thread after each batch.</summary>
    public Action<IclRunProgress>? Progress { get; init; }
    /// <summary>
    /// Optional hooks for every forward pass (e.g. injecting a task vector). Called once per pass; the runner disposes the
    /// returned set after that pass. Null results mean no hooks for that pass. A generation pass computes only its new
    /// column (<see cref="IclForwardPass.FirstColumn"/>): edits to the prompt's columns belong in the Score pass, whose
    /// keys and values every generation step reads.
    /// </summary>
    public Func<IclForwardPass, HookSet?>? Hooks { get; init; }
    /// <summary>What <see cref="Hooks"/> does, in words (e.g. the injected task vector); recorded on every result. Null: no intervention.</summary>
    public string? Intervention { get; init; }
    /// <summary>Permute the demonstrations' outputs among them (corrupted prompts, Todd et al.).</summary>
    public bool ShuffleLabels { get; init; }

    /// <summary>The stop strings in force: <see cref="Until"/>, or the few-shot delimiter and "\n"; empty strings are ignored.</summary>
    public IReadOnlyList<string> StopStrings =>
        (Until ?? new[] { Format.FewShotDelimiter, "\n" }).Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).ToArray();

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Format);
        Format.Validate();
        void Require(bool ok, string id, string message, object value)
        {
            if (!ok) throw new IclPsException(id, IclErrorKind.InvalidArgument, message, value);
        }
        Require(Shots >= 0, "InvalidShots", $"Shots must be 0 or more, got {Shots}.", Shots);
        Require(BatchSize >= 1, "InvalidBatchSize", $"Batch size must be at least 1, got {BatchSize}.", BatchSize);
        Require(MaxNewTokens >= 0, "InvalidMaxNewTokens", $"MaxNewTokens must be 0 or more, got {MaxNewTokens}.", MaxNewTokens);
    }
}
