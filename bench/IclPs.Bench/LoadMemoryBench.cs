using System.Diagnostics;
using System.Globalization;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using TorchSharp;

namespace IclPs.Bench;

/// <summary>
/// Peak resident memory of loading a ~500 MB float32 checkpoint (GPT-2 small shape, 124M parameters), measured in a
/// fresh child process so nothing from writing the checkpoint counts. Target: peak RSS increase at most 1.3 times the
/// checkpoint size, i.e. loading holds one copy of the weights, not two.
/// Usage: iclps-bench load-memory [--keep] [--dir PATH]
/// </summary>
public static class LoadMemoryBench
{
    private const string ChildFlag = "--child";
    private const double TargetRatio = 1.3;

    public static int Run(string[] args)
    {
        TorchNativeLoader.EnsureLoaded();
        if (args is [ChildFlag, var checkpoint]) return MeasureLoad(checkpoint);

        var keep = args.Contains("--keep");
        var dirIndex = Array.IndexOf(args, "--dir");
        var dir = dirIndex >= 0 && dirIndex + 1 < args.Length
            ? Path.GetFullPath(args[dirIndex + 1])
            : Path.Combine(Path.GetTempPath(), $"iclps-load-memory-{Guid.NewGuid():N}");
        try
        {
            var config = ModelConfig.Presets["gpt2-small"];
            Console.WriteLine($"Writing a float32 checkpoint of {config} ({config.ParameterCount:N0} parameters) to {dir} ...");
            using (var model = TransformerModel.Create(config, torch.CPU, torch.ScalarType.Float32, seed: 0))
                HfCheckpoint.Save(model, dir);
            var checkpointBytes = new FileInfo(Path.Combine(dir, HfCheckpoint.WeightsFileName)).Length;

            var child = RunChild(dir);
            var increaseKb = child["hwm_after_kb"] - child["rss_before_kb"];
            var ratio = increaseKb * 1024.0 / checkpointBytes;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"""
                checkpoint size        {checkpointBytes / 1048576.0,10:0.0} MiB
                RSS before load        {child["rss_before_kb"] / 1024.0,10:0.0} MiB
                peak RSS after load    {child["hwm_after_kb"] / 1024.0,10:0.0} MiB
                RSS after load         {child["rss_after_kb"] / 1024.0,10:0.0} MiB
                peak RSS increase      {increaseKb / 1024.0,10:0.0} MiB
                ratio (increase/size)  {ratio,10:0.000}   target <= {TargetRatio}
                load time              {child["load_ms"] / 1000.0,10:0.00} s
                """));
            Console.WriteLine(ratio <= TargetRatio ? "PASS" : "FAIL");
            return ratio <= TargetRatio ? 0 : 1;
        }
        finally
        {
            if (!keep && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Re-runs this executable (or dotnet with this assembly) with the hidden child flag and parses its report.</summary>
    private static Dictionary<string, long> RunChild(string dir)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable is running.");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(LoadMemoryBench).Assembly.Location);
        foreach (var a in new[] { "load-memory", ChildFlag, dir }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"The measuring process failed ({process.ExitCode}): {output}");
        return output.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('='))
            .Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0], kv => long.Parse(kv[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Child side: warm TorchSharp up, reset the peak counter, load, and report /proc/self/status figures in kB.</summary>
    private static int MeasureLoad(string dir)
    {
        using (var warm = torch.ones(16)) warm.sum().Dispose();
        // Writing 5 to clear_refs resets VmHWM to the current RSS, so the peak counts only what loading adds. Where the
        // kernel refuses, VmHWM keeps any start-up peak and the reported increase can only be larger, never smaller.
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        var before = Status();
        var clock = Stopwatch.StartNew();
        using var model = HfCheckpoint.Load(dir, torch.CPU, torch.ScalarType.Float32);
        clock.Stop();
        var after = Status();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rss_before_kb={before["VmRSS"]} hwm_before_kb={before["VmHWM"]} hwm_after_kb={after["VmHWM"]} rss_after_kb={after["VmRSS"]} load_ms={clock.ElapsedMilliseconds}"));
        return 0;
    }

    private static Dictionary<string, long> Status() =>
        File.ReadLines("/proc/self/status")
            .Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal) || l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(':')], l => long.Parse(l[(l.IndexOf(':') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
}
