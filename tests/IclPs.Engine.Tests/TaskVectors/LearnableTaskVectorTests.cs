using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.TaskVectors;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TaskVectors;

/// <summary>
/// The LTV against independent references: its injection and gradient against hand-built hooks on the per-head outputs the
/// model itself computes (hook_result, hook_attn_out) and central finite differences in float64; training on a problem
/// whose only useful head is planted; the frozen model, determinism, early stopping and option checks.
/// </summary>
public sealed class LearnableTaskVectorTests
{
    private const int Shots = PlantedHeadProblem.ReferenceShots;

    public LearnableTaskVectorTests() => TorchNativeLoader.EnsureLoaded();

    [Theory]
    [InlineData(HeadActivationSource.Mean)]
    [InlineData(HeadActivationSource.Live)]
    public void Gradient_with_respect_to_theta_matches_central_differences_of_an_independent_injection(HeadActivationSource source)
    {
        using var problem = PlantedHeadProblem.Create(silenceOtherHeads: false, dtype: ScalarType.Float64);
        var model = problem.Network;
        foreach (var p in model.parameters()) p.requires_grad = false;
        using var batch = problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Valid, Shots, 8, 8, seed: 4).Single();
        using var meanZ = source == HeadActivationSource.Mean ? LtvReference.MeanZ(problem) : null;
        using var headOutputs = source == HeadActivationSource.Mean ? LtvReference.MeanHeadResults(problem) : null;
        using var gen = new Generator(9, CPU);
        using var theta = randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: gen).requires_grad_();

        double ReferenceLoss(Tensor t)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var hooks = headOutputs is null ? LtvReference.LiveHooks(model, t) : LtvReference.MeanHooks(headOutputs, t);
            return problem.Loss(problem.Predict(batch, hooks), batch).mean().item<double>();
        }

        double ltvLoss;
        using (var scope = NewDisposeScope())
        using (var hooks = LearnableTaskVector.CreateHooks(model, theta, meanZ, batch.PredictionColumn))
        {
            var loss = problem.Loss(problem.Predict(batch, hooks), batch).mean();
            ltvLoss = loss.item<double>();
            loss.backward();
        }
        var analytic = theta.grad!.data<double>().ToArray();
        Assert.Equal(ReferenceLoss(theta.detach()), ltvLoss, 1e-12);
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-3);

        const double eps = 1e-5;
        for (var i = 0; i < analytic.Length; i++)
        {
            using var plus = theta.detach().clone();
            using var minus = theta.detach().clone();
            plus.view(-1)[i] += eps;
            minus.view(-1)[i] -= eps;
            var numeric = (ReferenceLoss(plus) - ReferenceLoss(minus)) / (2 * eps);
            // Central differences in float64: truncation ~eps^2 and rounding ~1e-16/eps, both far below 1e-7.
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-7 * Math.Max(1, Math.Abs(numeric)),
                $"theta[{i / 4}, {i % 4}]: analytic {analytic[i]}, central difference {numeric}");
        }
    }

    [Theory]
    [InlineData(HeadActivationSource.Mean)]
    [InlineData(HeadActivationSource.Live)]
    public void Trained_theta_is_largest_on_the_planted_head(HeadActivationSource source)
    {
        using var problem = PlantedHeadProblem.Create();
        var vector = LearnableTaskVector.Train(problem, LtvReference.Small(source));

        var strongest = vector.Heads.MaxBy(h => Math.Abs(h.Weight))!;
        Assert.Equal((problem.PlantedLayer, problem.PlantedHead), (strongest.Layer, strongest.Head));
        // A silenced head's theta never receives gradient, so Adam never moves it from its zero start.
        Assert.All(vector.Heads.Where(h => h != strongest), h => Assert.Equal(0.0, h.Weight));
        var curve = vector.Provenance.TrainingCurve;
        var (initial, best) = (curve[0].ValidationLoss, curve.Min(p => p.ValidationLoss));
        if (source == HeadActivationSource.Mean)
        {
            // The LTV's mean activations average the same prompts as the planted vector, so theta* is the planted weight and the loss can reach 0.
            Assert.True(best < 0.01 * initial, $"validation loss {initial} -> {best}");
            Assert.InRange(strongest.Weight, 0.95 * problem.PlantedWeight, 1.05 * problem.PlantedWeight);
        }
        else
        {
            // A prompt's own activation differs from the mean the targets were planted with, so the loss cannot reach 0.
            Assert.True(best < 0.25 * initial, $"validation loss {initial} -> {best}");
        }
        Assert.Equal(source, vector.ActivationSource);
        Assert.Equal(TaskVectorMethod.Ltv, vector.Method);
        Assert.Equal(source == HeadActivationSource.Mean ? 2 : 0, vector.Vectors.Count);
        Assert.All(vector.Heads, h => Assert.Equal(source == HeadActivationSource.Mean, h.MeanActivation is not null));
    }
}
