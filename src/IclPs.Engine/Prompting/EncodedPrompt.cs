namespace IclPs.Engine.Prompting;

/// <summary>A prompt as token ids for one model, with its expected continuation tokenized separately (as lm-evaluation-harness does).</summary>
public sealed record EncodedPrompt(IclPrompt Prompt, int[] PromptIds, int[] ContinuationIds)
{
    /// <summary>Demonstrations actually in the prompt (fewer than requested when leading ones were dropped to fit).</summary>
    public int Shots => Prompt.Shots;
}
