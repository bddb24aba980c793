using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Prompting;

/// <summary>
/// Tokenizes prompts for a model and makes them fit its context window: a prompt that does not fit is an error
/// (PromptTooLong) unless truncation is on, which drops leading demonstrations until it fits.
/// </summary>
public sealed class PromptEncoder
{
    private readonly ITextTokenizer _tokenizer;

    /// <param name="addBos">Prepend the tokenizer's beginning-of-sequence token, when it has one (TransformerLens does by default).</param>
    public PromptEncoder(ITextTokenizer tokenizer, int contextLength, int vocabSize, bool addBos = true, bool truncateLongPrompts = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        ContextLength = contextLength;
        VocabSize = vocabSize;
        AddBos = addBos;
        TruncateLongPrompts = truncateLongPrompts;
    }

    public int ContextLength { get; }
    public int VocabSize { get; }
    public bool AddBos { get; }
    public bool TruncateLongPrompts { get; }

    /// <summary>
    /// Token ids of the prompt and of its expected continuation. With <paramref name="reserveContinuation"/> the prompt
    /// plus the continuation must fit (needed to score it); otherwise only the prompt must.
    /// </summary>
    public EncodedPrompt Encode(IclPrompt prompt, bool reserveContinuation = true)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var continuation = Tokens(prompt.ExpectedContinuation, false, prompt);
        if (reserveContinuation && continuation.Length == 0)
            throw new IclPsException("EmptyExpectedOutput", IclErrorKind.InvalidArgument,
                $"Query {prompt.QueryIndex} ('{prompt.Query.Input}'): the expected continuation '{prompt.ExpectedContinuation}' has no tokens to score.", prompt.Query);
        var requested = prompt.Shots;
        while (true)
        {
            var ids = Tokens(prompt.Text, AddBos, prompt);
            if (ids.Length == 0)
                throw new IclPsException("EmptyPrompt", IclErrorKind.InvalidArgument, $"Query {prompt.QueryIndex} ('{prompt.Query.Input}') gives an empty prompt; nothing to predict from.", prompt.Query);
            var needed = ids.Length + (reserveContinuation ? continuation.Length : 0);
            if (needed <= ContextLength) return new EncodedPrompt(prompt, ids, continuation);
            if (!TruncateLongPrompts || prompt.Shots == 0)
                throw new IclPsException("PromptTooLong", IclErrorKind.LimitsExceeded,
                    $"Query {prompt.QueryIndex} ('{prompt.Query.Input}'): the {prompt.Shots}-shot prompt is {ids.Length} tokens" +
                    (reserveContinuation ? $" plus {continuation.Length} expected tokens = {needed}" : "") +
                    $", more than the model's context window of {ContextLength}" +
                    (prompt.Shots == 0 && requested > 0 ? $" even with all {requested} demonstrations dropped" : "; use fewer shots or truncate long prompts") + ".",
                    prompt.Query);
            prompt = prompt.WithoutLeadingDemonstrations(1);
        }
    }

    private int[] Tokens(string text, bool addBos, IclPrompt prompt)
    {
        var ids = _tokenizer.Encode(text, addBos).ToArray();
        foreach (var id in ids)
        {
            if (id < 0 || id >= VocabSize)
                throw new IclPsException("TokenOutOfVocabulary", IclErrorKind.InvalidArgument,
                    $"Query {prompt.QueryIndex}: tokenizer '{_tokenizer.Name}' produced id {id}, outside the model's vocabulary of {VocabSize}; the tokenizer does not belong to this model.", id);
        }
        return ids;
    }
}
