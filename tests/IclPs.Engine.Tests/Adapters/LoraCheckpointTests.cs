using IclPs.Engine.Adapters;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using IclPs.Engine.Training;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Adapters;

/// <summary>Adapter tuning checkpoints: a run stopped and resumed ends where an uninterrupted one does, bit for bit.</summary>
public class LoraCheckpointTests
{
    private static readonly IclExample[] Pairs =
    [
        new("cat", "dog"), new("sun", "moon"), new("up", "down"), new("hot", "cold"), new("yes", "no"), new("in", "out"),
    ];

    private static IclModel Model()
    {
        var model = IclModel.CreateRandom(ModelConfig.Presets["llama-tiny"], 3, device: CPU);
        LoraAdapter.Create(model.Network, new LoraSettings { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj"] }, 5).AttachTo(model.Network);
        return model;
    }

    private static LoraTrainingOptions Options(int steps, string? folder = null) =>
        new() { Steps = steps, BatchSize = 4, LearningRate = 3e-2, Seed = 1, CheckpointFolder = folder, CheckpointEvery = 4 };

    private static List<float[]> AdapterWeights(IclModel model) =>
        model.Network.Adapter!.Layers.SelectMany(l => new[] { l.A, l.B }).Select(t => t.data<float>().ToArray()).ToList();

    [Fact]
    public void A_run_stopped_and_resumed_ends_with_the_weights_and_losses_of_an_uninterrupted_run()
    {
        using var folder = new TempFolder();
        using var straight = Model();
        var whole = new LoraTrainer(straight, Pairs, PromptFormat.QuestionAnswer, Options(10)).Train();

        using (var first = Model())
        {
            using var cts = new CancellationTokenSource();
            var stopped = new LoraTrainer(first, Pairs, PromptFormat.QuestionAnswer, Options(10, folder.Path)).Train(s => { if (s.Step == 6) cts.Cancel(); }, cts.Token);
            Assert.True(stopped.Cancelled);
            Assert.Equal(6, stopped.CompletedSteps);
        }
        // The update-4 checkpoint and the one written on the stop, each a PEFT folder of its own.
        Assert.Equal([4, 6], TrainingCheckpoint.List(folder.Path).Select(c => c.Step));
        using (var peft = Model())
        {
            LoraAdapter.Detach(peft.Network).Dispose();
            using var read = PeftAdapterFolder.Read(TrainingCheckpoint.List(folder.Path)[^1].Path, peft.Network);
            Assert.Equal(2 * peft.Config.Layers, read.Layers.Count);
        }

        // A fresh model and adapter (other A from another seed): the checkpoint supplies A, B and the AdamW moments.
        using var resumed = IclModel.CreateRandom(ModelConfig.Presets["llama-tiny"], 3, device: CPU);
        LoraAdapter.Create(resumed.Network, new LoraSettings { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj"] }, 99).AttachTo(resumed.Network);
        var rest = new LoraTrainer(resumed, Pairs, PromptFormat.QuestionAnswer, Options(10, folder.Path) with { Resume = true }).Train();
        Assert.Equal((6, 10), (rest.FirstStep, rest.CompletedSteps));
        Assert.Equal(whole.Losses.Skip(6), rest.Losses);
        var (expected, actual) = (AdapterWeights(straight), AdapterWeights(resumed));
        for (var i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i]);
        // Two kept by default: updates 8 and 10.
        Assert.Equal([8, 10], TrainingCheckpoint.List(folder.Path).Select(c => c.Step));
    }

    [Fact]
    public void Checkpoints_without_resume_are_refused_and_a_changed_setting_is_named()
    {
        using var folder = new TempFolder();
        using (var model = Model()) new LoraTrainer(model, Pairs, PromptFormat.QuestionAnswer, Options(4, folder.Path)).Train();
        using (var again = Model())
        {
            var exists = Assert.Throws<IclPsException>(() => new LoraTrainer(again, Pairs, PromptFormat.QuestionAnswer, Options(8, folder.Path)).Train());
            Assert.Equal(TrainingErrorIds.CheckpointsExist, exists.ErrorId);
        }
        using (var faster = Model())
        {
            var mismatch = Assert.Throws<IclPsException>(() =>
                new LoraTrainer(faster, Pairs, PromptFormat.QuestionAnswer, Options(8, folder.Path) with { Resume = true, LearningRate = 1e-2 }).Train());
            Assert.Equal((TrainingErrorIds.ResumeMismatch, "learning_rate"), (mismatch.ErrorId, mismatch.Target));
        }
        using (var otherData = Model())
        {
            var mismatch = Assert.Throws<IclPsException>(() =>
                new LoraTrainer(otherData, Pairs.Take(5).ToArray(), PromptFormat.QuestionAnswer, Options(8, folder.Path) with { Resume = true }).Train());
            Assert.Equal("examples_sha256", mismatch.Target);
        }
        Assert.Equal([4], TrainingCheckpoint.List(folder.Path).Select(c => c.Step));
    }

    [Fact]
    public void Resume_needs_a_checkpoint_folder()
    {
        var e = Assert.Throws<IclPsException>(() => (new LoraTrainingOptions { Resume = true }).Validate());
        Assert.Equal(LoraErrorIds.InvalidAdapterSettings, e.ErrorId);
    }
}
