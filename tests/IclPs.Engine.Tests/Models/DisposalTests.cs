using IclPs.Engine.Models;
using IclPs.Engine.Native;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>Counts live native tensors, so it must not share the process with tests running in parallel.</summary>
[CollectionDefinition(nameof(DisposalTests), DisableParallelization = true)]
public sealed class DisposalCollection;

/// <summary>
/// A forward pass leaves exactly its logits (and the HookSet's captures) alive; disposing a model releases its tensors.
/// Counts are TorchSharp's live-tensor count, which rises when a wrapper is created and falls when it is disposed.
/// </summary>
[Collection(nameof(DisposalTests))]
public sealed class DisposalTests
{
    public DisposalTests() => TorchNativeLoader.EnsureLoaded();

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void A_forward_pass_with_captures_and_edits_leaves_only_its_results_alive(string name)
    {
        using var model = TestModels.Create(name);
        using var _ = no_grad();
        using var batch = TestModels.LeftPadded([TestModels.Prompt(model.Config, 6, 70), TestModels.Prompt(model.Config, 4, 71)], padId: 2);
        using var vector = ones(model.Config.DModel);
        using var z = ones(model.Config.DHead);
        model.Forward(batch.Ids, batch.Mask).Dispose();
        FlushFinalisers();
        var before = Tensor.TotalCount;

        using (var hooks = new HookSet().Capture("*", PositionFilter.All).AddVector(HookNames.ResidPost(0), vector).ReplaceHeadZ(0, 0, z))
        {
            using var scope = NewDisposeScope();
            var logits = model.Forward(batch.Ids, batch.Mask, hooks);
            Assert.Equal(1, scope.DisposablesCount);
            Assert.Equal(before + 1 + hooks.Captured.Count, Tensor.TotalCount);
        }

        Assert.Equal(before, Tensor.TotalCount);
    }

    /// <summary>
    /// TorchSharp 0.107's Parameter takes over its source tensor's native handle but keeps counting the emptied source,
    /// so one count per parameter remains by design; anything beyond that (rotary tables, initialisation temporaries)
    /// would be a real leak.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Creating_initialising_running_and_disposing_a_model_leaves_no_tensors_alive(string name)
    {
        FlushFinalisers();
        var before = Tensor.TotalCount;
        var model = TransformerModel.Create(TestModels.Configs[name], CPU, seed: 3);
        var parameters = model.CheckpointTensors().Count;
        using (no_grad())
        using (var ids = TestModels.Ids([1, 2, 3]))
        {
            model.Forward(ids).Dispose();
        }
        model.Dispose();
        Assert.Equal(before + parameters, Tensor.TotalCount);
    }

    /// <summary>Garbage from earlier tests, finalised mid-test, would lower the count and hide a leak.</summary>
    private static void FlushFinalisers()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
