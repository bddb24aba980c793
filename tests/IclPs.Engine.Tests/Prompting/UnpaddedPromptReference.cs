using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Prompting;

/// <summary>
/// What a prompt result should hold, computed independently of the runner: the prompt text (the result's Prompt, so run
/// with IncludePrompt) and the expected output as byte ids (<see cref="TestByteTokenizer"/>), one unpadded sequence per
/// prompt through the plain forward pass, and greedy decoding that re-runs the whole sequence for every token.
/// </summary>
internal static class UnpaddedPromptReference
{
    /// <summary>Checks every metric of <paramref name="r"/>; log-probabilities to 1e-5 (float32 passes of different shapes).</summary>
    public static void AssertMatches(IclModel model, IclPromptResult r, int maxNewTokens, string targetDelimiter, string[] stops)
    {
        var promptIds = new List<long> { TestByteTokenizer.Bos };
        promptIds.AddRange(System.Text.Encoding.UTF8.GetBytes(r.Prompt!).Select(b => (long)b));
        var expectedIds = System.Text.Encoding.UTF8.GetBytes(targetDelimiter + r.Expected).Select(b => (long)b).ToArray();
        Assert.Equal(promptIds.Count, r.PromptTokens);
        Assert.Equal(expectedIds.Length, r.ExpectedTokens);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var all = promptIds.Concat(expectedIds).ToArray();
        // Scored over the ids the tokenizer can decode, as the runner defines it.
        var logits = model.Network.Forward(tensor(all, new long[] { 1, all.Length })).squeeze(0).narrow(1, 0, model.Tokenizer.VocabSize).to(ScalarType.Float64);
        var logProbs = logits.log_softmax(-1);
        double sum = 0;
        for (var j = 0; j < expectedIds.Length; j++) sum += logProbs[promptIds.Count - 1 + j, expectedIds[j]].item<double>();
        Assert.Equal(sum, r.ExpectedLogProb, 1e-5);

        var first = logits[promptIds.Count - 1].data<double>().ToArray();
        var target = first[expectedIds[0]];
        Assert.Equal(1 + first.Count(x => x > target), r.ExpectedRank);
        Assert.Equal(Array.IndexOf(first, first.Max()) == expectedIds[0], r.FirstTokenCorrect);

        Assert.Equal(Greedy(model.Network, promptIds, maxNewTokens, targetDelimiter, stops), r.Predicted);
        Assert.Equal(r.Predicted.Trim() == r.Expected, r.ExactMatch);
    }

    /// <summary>Plain greedy decoding of one unpadded prompt, with no reuse of a scoring pass.</summary>
    private static string Greedy(TransformerModel network, List<long> promptIds, int maxNew, string delimiter, string[] stops)
    {
        var ids = new List<long>(promptIds);
        var generated = new List<int>();
        using var noGrad = no_grad();
        for (var step = 0; step < maxNew; step++)
        {
            using var scope = NewDisposeScope();
            var next = (int)network.Forward(tensor(ids.ToArray(), new long[] { 1, ids.Count }), lastPositionOnly: true)
                .narrow(1, 0, new TestByteTokenizer().VocabSize).argmax(1).item<long>();
            if (next == TestByteTokenizer.Eos) break;
            generated.Add(next);
            ids.Add(next);
            var text = new TestByteTokenizer().Decode(generated);
            if (text.StartsWith(delimiter, StringComparison.Ordinal)) text = text[delimiter.Length..];
            var cut = stops.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
            if (cut >= 0) return text[..cut];
            if (step == maxNew - 1) return text;
        }
        var final = new TestByteTokenizer().Decode(generated);
        return final.StartsWith(delimiter, StringComparison.Ordinal) ? final[delimiter.Length..] : final;
    }
}
