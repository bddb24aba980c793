using System.Globalization;
using TorchSharp;

namespace IclPs.Engine.Native;

/// <summary>How many intra-op threads libtorch runs a workload on, and why (shown to users in -Verbose).</summary>
public sealed record ThreadChoice(int Threads, string Reason)
{
    public override string ToString() => $"{Threads} torch thread{(Threads == 1 ? "" : "s")} ({Reason})";
}

/// <summary>
/// Chooses libtorch's intra-op thread count per workload. A model's kernels are about as large as its weight matrices:
/// below <see cref="SmallModelParameters"/> each kernel takes microseconds, and sharing it among threads costs more in
/// OpenMP barriers than it saves; on a loaded machine a barrier waits for a descheduled thread, and 2 threads ran tiny
/// models 2-100x slower than 1 (bench/README.md, "Threads"). Larger models (GPT-2 small and up) get every core the
/// process may use. A user overrides the choice with a session setting (the cmdlets' <c>$IclPsThreads</c>) or the
/// <see cref="Variable"/> environment variable, in that order.
/// </summary>
public static class TorchThreads
{
    /// <summary>The environment variable that fixes the thread count for every workload.</summary>
    public const string Variable = "ICLPS_THREADS";

    /// <summary>Models with fewer parameters run on one thread.</summary>
    public const long SmallModelParameters = 10_000_000;

    public const int MaxThreads = 256;

    /// <summary>The cores this process may use: OMP_NUM_THREADS when set (libtorch's own default honours it), else the logical cores.</summary>
    public static int Cores =>
        int.TryParse(Environment.GetEnvironmentVariable("OMP_NUM_THREADS"), NumberStyles.None, CultureInfo.InvariantCulture, out var omp) && omp >= 1
            ? Math.Min(omp, MaxThreads)
            : Environment.ProcessorCount;

    /// <summary>
    /// The thread count for a model of <paramref name="parameters"/> parameters: <paramref name="setting"/> when given, else
    /// <see cref="Variable"/> when set, else one thread below <see cref="SmallModelParameters"/> and <see cref="Cores"/>
    /// from there. A setting or variable outside 1..<see cref="MaxThreads"/> is an <see cref="IclPsException"/> naming it.
    /// </summary>
    public static ThreadChoice Choose(long parameters, int? setting = null, string settingName = "setting")
    {
        if (setting is int s)
            return new ThreadChoice(Checked(s, settingName, s), $"{settingName} = {s}");
        var text = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(text))
        {
            var n = int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
            return new ThreadChoice(Checked(n, Variable, text), $"{Variable} = {n}");
        }
        var size = parameters >= 1_000_000 ? $"{parameters / 1e6:0.#}M" : parameters.ToString("N0", CultureInfo.InvariantCulture);
        return parameters < SmallModelParameters
            ? new ThreadChoice(1, $"automatic: a {size}-parameter model's kernels are too small to share among threads")
            : new ThreadChoice(Cores, $"automatic: a {size}-parameter model uses all {Cores} cores");
    }

    /// <summary>Sets libtorch's intra-op threads to <paramref name="choice"/> (on the calling thread, which runs the work).</summary>
    public static void Apply(ThreadChoice choice)
    {
        ArgumentNullException.ThrowIfNull(choice);
        TorchNativeLoader.EnsureLoaded();
        if (torch.get_num_threads() != choice.Threads) torch.set_num_threads(choice.Threads);
    }

    private static int Checked(int threads, string name, object value) =>
        threads is >= 1 and <= MaxThreads
            ? threads
            : throw new IclPsException("InvalidThreadSetting", IclErrorKind.InvalidArgument,
                $"{name} must be a whole number of threads from 1 to {MaxThreads}; got '{value}'.", name);
}
