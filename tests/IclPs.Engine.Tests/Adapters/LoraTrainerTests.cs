using IclPs.Engine.Adapters;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using IclPs.Engine.Tests.Models;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Adapters;

public class LoraTrainerTests
{
    private static readonly IclExample[] Pairs =
    [
        new("cat", "dog"), new("sun", "moon"), new("up", "down"), new("hot", "cold"), new("yes", "no"), new("in", "out"),
    ];

    private static IclModel Model()
    {
        var model = IclModel.CreateRandom(ModelConfig.Presets["llama-tiny"], 3, device: CPU);
        LoraAdapter.Create(model.Network, new LoraSettings { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj", "down_proj"] }, 5).AttachTo(model.Network);
        return model;
    }

    private static LoraTrainingOptions Options(long seed = 1) => new() { Steps = 30, BatchSize = 4, LearningRate = 3e-2, Seed = seed };

    [Fact]
    public void TuningLowersTheLossAndChangesOnlyTheTargetedPairs()
    {
        using var model = Model();
        var weights = model.Network.CheckpointTensors().ToDictionary(p => p.Name, p => Numerics.ToDoubles(p.Tensor));
        var initialA = model.Network.Adapter!.Layers.Select(l => Numerics.ToDoubles(l.A)).ToList();
        var result = new LoraTrainer(model, Pairs, PromptFormat.QuestionAnswer, Options()).Train();
        Assert.Equal(30, result.CompletedSteps);
        Assert.False(result.Cancelled);
        // Mean of the first and last five losses. The base is an untrained model whose logits are small (std 0.02 read-out),
        // so the adapter cannot make it confident in 30 updates: about 5.9 -> 5.1 nats; a fall of half a nat is required.
        var (first, last) = (result.Losses.Take(5).Average(), result.Losses.TakeLast(5).Average());
        Assert.True(last < first - 0.5, $"loss {first:F3} -> {last:F3}: {string.Join(" ", result.Losses.Select(l => l.ToString("F3")))}");
        foreach (var (name, tensor) in model.Network.CheckpointTensors())
            Assert.True(weights[name].SequenceEqual(Numerics.ToDoubles(tensor)), $"base weight {name} changed");
        var layers = model.Network.Adapter!.Layers;
        Assert.Equal(3 * model.Config.Layers, layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            Assert.False(initialA[i].SequenceEqual(Numerics.ToDoubles(layers[i].A)), $"{layers[i].ModulePath} A unchanged");
            Assert.Contains(Numerics.ToDoubles(layers[i].B), v => v != 0);
        }
        Assert.All(model.Network.parameters(), p => Assert.True(p.requires_grad, "base parameters are trainable again after tuning"));
    }

    [Fact]
    public void TheSameSeedGivesTheSameLossesAndAnotherSeedOthers()
    {
        double[] Run(long seed)
        {
            using var model = Model();
            return new LoraTrainer(model, Pairs, PromptFormat.QuestionAnswer, Options(seed) with { Steps = 6 }).Train().Losses.ToArray();
        }
        var a = Run(1);
        Assert.Equal(a, Run(1));
        Assert.NotEqual(a, Run(2));
    }

    [Fact]
    public void OnlyTheOutputTokensAreScored()
    {
        using var model = Model();
        var trainer = new LoraTrainer(model, [new IclExample("ab", "xyz")], PromptFormat.Default, Options() with { BatchSize = 1 });
        using var batch = trainer.Batch(0);
        var ids = batch.Inputs.data<long>().ToArray();
        var scored = batch.LossMask.data<float>().ToArray();
        var prompt = model.Tokenizer.Encode("ab", addBos: true);
        var answer = model.Tokenizer.Encode(" xyz");
        Assert.Equal(prompt.Concat(answer).Select(i => (long)i), ids);
        // Positions prompt.Count - 1 .. end - 1 predict the answer's tokens; the last position predicts nothing.
        Assert.Equal(Enumerable.Range(0, ids.Length).Select(i => i >= prompt.Count - 1 && i < ids.Length - 1 ? 1f : 0f), scored);
        Assert.Equal(answer.Select(i => (long)i), batch.Targets.data<long>().ToArray().Skip(prompt.Count - 1).Take(answer.Count));
    }

    [Fact]
    public void CancellationStopsBeforeTheNextUpdate()
    {
        using var model = Model();
        using var cts = new CancellationTokenSource();
        var result = new LoraTrainer(model, Pairs, PromptFormat.QuestionAnswer, Options()).Train(s => { if (s.Step == 3) cts.Cancel(); }, cts.Token);
        Assert.True(result.Cancelled);
        Assert.Equal(3, result.CompletedSteps);
    }

    [Fact]
    public void AModelWithoutAnAdapterIsRefused()
    {
        using var model = IclModel.CreateRandom(ModelConfig.Presets["llama-tiny"], 3, device: CPU);
        var e = Assert.Throws<IclPsException>(() => new LoraTrainer(model, Pairs, PromptFormat.Default, Options()));
        Assert.Equal(LoraErrorIds.NoAdapter, e.ErrorId);
    }
}
