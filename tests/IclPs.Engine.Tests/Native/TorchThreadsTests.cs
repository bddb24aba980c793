using IclPs.Engine.Native;

namespace IclPs.Engine.Tests.Native;

/// <summary>The automatic thread choice by model size and an explicit setting's precedence and range (ICLPS_THREADS is covered in Pester).</summary>
public sealed class TorchThreadsTests
{
    [Fact]
    public void Small_models_get_one_thread_and_large_ones_every_core()
    {
        Assert.Null(Environment.GetEnvironmentVariable(TorchThreads.Variable));
        Assert.Equal(1, TorchThreads.Choose(217_000).Threads);
        Assert.Equal(1, TorchThreads.Choose(TorchThreads.SmallModelParameters - 1).Threads);
        var gpt2Small = TorchThreads.Choose(124_439_808);
        Assert.Equal(TorchThreads.Cores, gpt2Small.Threads);
        Assert.Contains("124.4M-parameter", gpt2Small.Reason);
    }

    [Fact]
    public void A_setting_wins_and_must_be_a_thread_count()
    {
        Assert.Equal(new ThreadChoice(3, "$IclPsThreads = 3"), TorchThreads.Choose(124_439_808, 3, "$IclPsThreads"));
        foreach (var bad in new[] { 0, -1, TorchThreads.MaxThreads + 1 })
        {
            var e = Assert.Throws<IclPsException>(() => TorchThreads.Choose(1000, bad, "$IclPsThreads"));
            Assert.Equal(("InvalidThreadSetting", "$IclPsThreads"), (e.ErrorId, e.Target));
        }
    }
}
