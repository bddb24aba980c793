using IclPs.Engine.Models;
using IclPs.Engine.Native;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>Bad forward inputs fail with named IclPsExceptions, and a reused HookSet never returns stale captures.</summary>
public sealed class ForwardInputTests : IDisposable
{
    private readonly TransformerModel _model;

    public ForwardInputTests()
    {
        TorchNativeLoader.EnsureLoaded();
        _model = TestModels.Create("gpt2-tiny");
    }

    public void Dispose() => _model.Dispose();

    [Fact]
    public void TokenIdBeyondVocabularyIsNamed()
    {
        using var ids = tensor(new long[] { 1, 2, _model.Config.VocabSize }).unsqueeze(0);
        var e = Assert.Throws<IclPsException>(() => _model.Forward(ids));
        Assert.Equal("TokenIdOutOfRange", e.ErrorId);
        Assert.Equal((long)_model.Config.VocabSize, e.Target);
    }

    [Fact]
    public void PromptLongerThanContextIsLimitsExceeded()
    {
        using var ids = zeros(1, _model.Config.ContextLength + 1, dtype: ScalarType.Int64);
        var e = Assert.Throws<IclPsException>(() => _model.Forward(ids));
        Assert.Equal("PromptTooLong", e.ErrorId);
        Assert.Equal(IclErrorKind.LimitsExceeded, e.Kind);
    }

    [Fact]
    public void MaskOfAnotherShapeIsRejected()
    {
        using var ids = zeros(2, 5, dtype: ScalarType.Int64);
        using var mask = ones(2, 4, dtype: ScalarType.Int64);
        var e = Assert.Throws<IclPsException>(() => _model.Forward(ids, mask));
        Assert.Equal("AttentionMaskShapeMismatch", e.ErrorId);
    }

    [Fact]
    public void ReusedHookSetHoldsTheLatestForward()
    {
        using var hooks = new HookSet().Capture(HookNames.ResidPost(1));
        using var first = tensor(new long[] { 5, 6, 7 }).unsqueeze(0);
        using var second = tensor(new long[] { 9, 8, 7 }).unsqueeze(0);
        _model.Forward(first, hooks: hooks).Dispose();
        using var fromFirst = hooks.Captured[HookNames.ResidPost(1)].clone();
        _model.Forward(second, hooks: hooks).Dispose();

        using var alone = new HookSet().Capture(HookNames.ResidPost(1));
        _model.Forward(second, hooks: alone).Dispose();
        Assert.Equal(0f, (hooks.Captured[HookNames.ResidPost(1)] - alone.Captured[HookNames.ResidPost(1)]).abs().max().item<float>());
        Assert.True((fromFirst - alone.Captured[HookNames.ResidPost(1)]).abs().max().item<float>() > 1e-3f);
    }
}
