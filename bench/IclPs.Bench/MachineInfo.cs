using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace IclPs.Bench;

/// <summary>What a figure was measured on; written beside every result so that runs can be compared fairly.</summary>
public sealed record MachineInfo(
    string Cpu, int LogicalCores, int TorchThreads, string TorchSharpVersion, string Runtime, string Os, DateTime StartedUtc, string LoadAverageAtStart)
{
    public static MachineInfo Capture() => new(
        CpuModel(),
        Environment.ProcessorCount,
        torch.get_num_threads(),
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSDescription,
        DateTime.UtcNow,
        LoadAverage());

    /// <summary>1, 5 and 15 minute load averages: on a shared machine, the other engineers' share of the cores.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        var line = File.Exists(cpuInfo) ? File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
    }

    public override string ToString() =>
        $"{Cpu}, {LogicalCores} logical cores, torch threads {TorchThreads}, TorchSharp {TorchSharpVersion}, {Runtime}, {Os}, " +
        $"{StartedUtc:yyyy-MM-dd HH:mm:ss}Z, load average {LoadAverageAtStart}";
}
