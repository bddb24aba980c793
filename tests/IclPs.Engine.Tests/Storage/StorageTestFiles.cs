using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using IclPs.Engine.Storage;

namespace IclPs.Engine.Tests.Storage;

/// <summary>Helpers shared by the storage tests: folder snapshots, injected faults and lock files of gone processes.</summary>
internal static class StorageTestFiles
{
    /// <summary>Every file under <paramref name="folder"/> (relative path, SHA-256), hidden ones and subfolders included.</summary>
    public static SortedDictionary<string, string> Snapshot(string folder) =>
        new(Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);

    /// <summary>Entries of <paramref name="folder"/> with IclPs's temporary names (staging folders, temp files).</summary>
    public static string[] Leftovers(string folder) =>
        Directory.GetFileSystemEntries(folder).Where(e => TempFiles.IsTempName(Path.GetFileName(e))).ToArray();

    /// <summary>
    /// Makes the <paramref name="occurrence"/>-th (0-based) change of kind <paramref name="step"/> fail as the file system
    /// would (IOException), for the current async flow; dispose to stop.
    /// </summary>
    public static IDisposable FailAt(string step, int occurrence = 0, Func<Exception>? failure = null)
    {
        var seen = 0;
        StagedFileSet.FaultInjection.Value = (kind, path) =>
        {
            if (kind == step && seen++ == occurrence) throw failure?.Invoke() ?? new IOException($"Injected failure at {kind} '{path}'.");
        };
        return new Reset();
    }

    /// <summary>Makes the first change of kind <paramref name="step"/> to a file named <paramref name="fileName"/> fail.</summary>
    public static IDisposable FailOn(string step, string fileName)
    {
        var failed = false;
        StagedFileSet.FaultInjection.Value = (kind, path) =>
        {
            if (!failed && kind == step && Path.GetFileName(path) == fileName)
            {
                failed = true;
                throw new UnauthorizedAccessException($"Injected failure at {kind} '{path}': operation not permitted.");
            }
        };
        return new Reset();
    }

    private sealed class Reset : IDisposable
    {
        public void Dispose() => StagedFileSet.FaultInjection.Value = null;
    }

    /// <summary>The id of a process that has exited (so no live process has it, barring reuse within the test).</summary>
    public static int ExitedProcessId()
    {
        var start = OperatingSystem.IsWindows() ? new ProcessStartInfo("cmd.exe", "/c exit") : new ProcessStartInfo("true");
        start.UseShellExecute = false;
        using var process = Process.Start(start)!;
        process.WaitForExit();
        return process.Id;
    }

    /// <summary>Writes a lock file as a holder with these details would have left it.</summary>
    public static void WriteLockFile(string lockPath, int pid, string host, DateTime processStartedUtc, string purpose = "a test run")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        File.WriteAllBytes(lockPath, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["format"] = "iclps-lock/1",
            ["pid"] = pid,
            ["host"] = host,
            ["process_started"] = processStartedUtc.ToString("O"),
            ["acquired"] = processStartedUtc.AddSeconds(1).ToString("O"),
            ["purpose"] = purpose,
        }));
    }

    /// <summary>A lock file left by a process of this host that no longer runs.</summary>
    public static int WriteDeadLock(string lockPath)
    {
        var pid = ExitedProcessId();
        WriteLockFile(lockPath, pid, Environment.MachineName, DateTime.UtcNow.AddMinutes(-5));
        return pid;
    }

    public static void Backdate(string path, TimeSpan by)
    {
        var when = DateTime.UtcNow - by;
        if (Directory.Exists(path)) Directory.SetLastWriteTimeUtc(path, when);
        else File.SetLastWriteTimeUtc(path, when);
    }
}
