using System.Diagnostics;

namespace IclPs.Bench;

/// <summary>
/// The share of the machine's CPU time that other processes used since this probe started: all busy time from /proc/stat
/// minus this process's own CPU time. Unlike the load average it is not smeared over the previous minutes, and it counts
/// this process's own threads out.
/// </summary>
public sealed class CpuContention
{
    private readonly (double Busy, double Total)? _machineAtStart;
    private readonly TimeSpan _ownAtStart;

    private CpuContention()
    {
        _machineAtStart = MachineSeconds();
        _ownAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    }

    public static CpuContention Start() => new();

    /// <summary>Other processes' share of all cores since the start, 0..1; NaN where /proc/stat is not available.</summary>
    public double OthersShare()
    {
        var now = MachineSeconds();
        if (_machineAtStart is not { } start || now is not { } end || end.Total <= start.Total) return double.NaN;
        var own = (Process.GetCurrentProcess().TotalProcessorTime - _ownAtStart).TotalSeconds;
        return Math.Clamp((end.Busy - start.Busy - own) / (end.Total - start.Total), 0, 1);
    }

    /// <summary>Busy and total CPU seconds over all cores from the first line of /proc/stat (USER_HZ = 100 ticks per second).</summary>
    private static (double Busy, double Total)? MachineSeconds()
    {
        const string stat = "/proc/stat";
        if (!File.Exists(stat)) return null;
        var ticks = File.ReadLines(stat).First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(t => double.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal: idle and iowait are the not-busy ones.
        var total = ticks.Sum();
        return ((total - ticks[3] - ticks[4]) / 100, total / 100);
    }
}
