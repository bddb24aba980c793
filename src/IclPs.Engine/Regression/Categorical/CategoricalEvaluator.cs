using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>Query accuracy, mean negative log-likelihood (nats) and the number of contexts scored.</summary>
public readonly record struct CategoricalScore(double Accuracy, double Nll, int Samples);

/// <summary>Scores a model, the Bayes-optimal predictor and chance on a batch of contexts (sums in float64).</summary>
public static class CategoricalEvaluator
{
    /// <summary>The model's accuracy and NLL on the query labels, in chunks of <paramref name="chunk"/> contexts, without autograd.</summary>
    public static CategoricalScore Score(CategoricalAttentionModel model, CategoricalBatch batch, int chunk = 1024, CancellationToken cancellationToken = default)
    {
        using var noGrad = no_grad();
        var (correct, nll) = (0.0, 0.0);
        for (var start = 0; start < batch.Count; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var m = Math.Min(chunk, batch.Count - start);
            var x = batch.X.narrow(0, start, m).to(model.DType);
            var labels = batch.Labels.narrow(0, start, m);
            var logits = model.QueryLogits(x, labels).to(ScalarType.Float64);
            var target = labels.select(1, batch.ContextPoints);
            correct += (logits.argmax(-1) == target).sum().to(ScalarType.Float64).item<double>();
            nll += nn.functional.cross_entropy(logits, target, reduction: nn.Reduction.Sum).item<double>();
        }
        return new CategoricalScore(correct / batch.Count, nll / batch.Count, batch.Count);
    }

    /// <summary>
    /// The Bayes-optimal predictor: argmax_c p(c | x_q) with the generator's true probabilities (it knows the context's
    /// centres, widths and categories, which an in-context learner must infer), and its NLL -ln p(y_q | x_q).
    /// </summary>
    public static CategoricalScore Bayes(CategoricalBatch batch)
    {
        using var scope = NewDisposeScope();
        var p = batch.QueryProbabilities.to(ScalarType.Float64);
        var target = batch.QueryLabels;
        var accuracy = (p.argmax(-1) == target).to(ScalarType.Float64).mean().item<double>();
        var nll = -p.gather(1, target.unsqueeze(1)).clamp_min(1e-300).log().mean().item<double>();
        return new CategoricalScore(accuracy, nll, batch.Count);
    }

    /// <summary>The Bayes predictor's expected accuracy, mean_b max_c p(c | x_q): the same ceiling without the label draw's noise.</summary>
    public static double BayesExpectedAccuracy(CategoricalBatch batch)
    {
        using var scope = NewDisposeScope();
        return batch.QueryProbabilities.to(ScalarType.Float64).amax(new long[] { 1 }).mean().item<double>();
    }

    /// <summary>Chance: accuracy 1/C, NLL ln C (a model with f = 0 predicts uniformly).</summary>
    public static CategoricalScore Chance(int categories, int samples) => new(1.0 / categories, Math.Log(categories), samples);
}
