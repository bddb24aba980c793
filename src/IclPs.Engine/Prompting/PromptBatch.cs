using static TorchSharp.torch;

namespace IclPs.Engine.Prompting;

/// <summary>
/// Prompts laid out for one forward pass: each prompt LEFT-padded to <see cref="PromptLength"/>, so every prompt's last token
/// sits in column <see cref="PromptEnd"/>; continuations (when included) follow and are RIGHT-padded to
/// <see cref="ContinuationLength"/>. The mask is 1 on real tokens; the model derives position ids from it.
/// Tensors belong to the dispose scope they were created in.
/// </summary>
public sealed record PromptBatch(Tensor InputIds, Tensor AttentionMask, int PromptLength, int ContinuationLength)
{
    public int PromptEnd => PromptLength - 1;
    public int BatchSize => (int)InputIds.shape[0];
    public int Length => (int)InputIds.shape[1];

    public static PromptBatch Create(IReadOnlyList<EncodedPrompt> prompts, int padTokenId, Device device, bool withContinuations)
    {
        if (prompts.Count == 0) throw new ArgumentException("A batch needs at least one prompt.", nameof(prompts));
        var p = prompts.Max(x => x.PromptIds.Length);
        var c = withContinuations ? prompts.Max(x => x.ContinuationIds.Length) : 0;
        var t = p + c;
        var ids = new long[prompts.Count * t];
        var mask = new long[prompts.Count * t];
        Array.Fill(ids, padTokenId);
        for (var r = 0; r < prompts.Count; r++)
        {
            var prompt = prompts[r].PromptIds;
            var offset = r * t + p - prompt.Length;
            for (var i = 0; i < prompt.Length; i++) { ids[offset + i] = prompt[i]; mask[offset + i] = 1; }
            if (!withContinuations) continue;
            var continuation = prompts[r].ContinuationIds;
            for (var i = 0; i < continuation.Length; i++) { ids[r * t + p + i] = continuation[i]; mask[r * t + p + i] = 1; }
        }
        return new PromptBatch(
            tensor(ids, new long[] { prompts.Count, t }, dtype: ScalarType.Int64, device: device),
            tensor(mask, new long[] { prompts.Count, t }, dtype: ScalarType.Int64, device: device),
            p, c);
    }
}
