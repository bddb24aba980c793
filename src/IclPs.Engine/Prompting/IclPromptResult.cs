namespace IclPs.Engine.Prompting;

/// <summary>One query's outcome: the per-sample record lm-evaluation-harness logs (prompt, target, response, metrics).</summary>
public sealed record IclPromptResult
{
    /// <summary>0-based position of the query in the input sequence.</summary>
    public required int QueryIndex { get; init; }
    /// <summary>The query's input.</summary>
    public required string Query { get; init; }
    /// <summary>The query's expected output (without the target delimiter).</summary>
    public required string Expected { get; init; }
    /// <summary>Greedy continuation, cut at the first stop string, leading target delimiter removed.</summary>
    public required string Predicted { get; init; }
    /// <summary>The arg-max token at the prediction position is the first token of the expected continuation.</summary>
    public required bool FirstTokenCorrect { get; init; }
    /// <summary><see cref="Predicted"/> equals <see cref="Expected"/> after trimming white space (ordinal).</summary>
    public required bool ExactMatch { get; init; }
    /// <summary>Sum of the log-probabilities of the expected continuation's tokens, teacher forced (natural log).</summary>
    public required double ExpectedLogProb { get; init; }
    /// <summary>1-based rank of the expected first token among all tokens at the prediction position (1 = arg-max).</summary>
    public required int ExpectedRank { get; init; }
    /// <summary>Number of tokens in the expected continuation.</summary>
    public required int ExpectedTokens { get; init; }
    /// <summary>Demonstrations actually in the prompt.</summary>
    public required int Shots { get; init; }
    /// <summary>Demonstrations asked for; more than <see cref="Shots"/> when leading ones were dropped to fit the context window.</summary>
    public required int ShotsRequested { get; init; }
    public required int Seed { get; init; }
    /// <summary>The model's name.</summary>
    public required string Model { get; init; }
    /// <summary>Where the model came from (checkpoint path, or preset and seed), so the run can be repeated.</summary>
    public required string ModelSource { get; init; }
    /// <summary>Prompt length in tokens (beginning-of-sequence token included).</summary>
    public required int PromptTokens { get; init; }
    /// <summary>The demonstrations' outputs were permuted among them.</summary>
    public bool ShuffledLabels { get; init; }
    /// <summary>The intervention applied during the forward passes (e.g. an injected task vector); null for none.</summary>
    public string? Intervention { get; init; }
    /// <summary>The prompt text, when asked for.</summary>
    public string? Prompt { get; init; }
}
