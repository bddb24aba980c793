using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace IclPs.Engine.Storage;

/// <summary>The process that holds (or held) a <see cref="WriterLock"/>, as its lock file records it.</summary>
public sealed record LockHolder(int ProcessId, string Host, DateTime ProcessStartedUtc, DateTime AcquiredUtc, string Purpose)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"process {ProcessId} on host {Host} (started {ProcessStartedUtc:yyyy-MM-dd HH:mm:ss}Z, holding it since {AcquiredUtc:yyyy-MM-dd HH:mm:ss}Z for {Purpose})");

    internal static LockHolder Current(string purpose)
    {
        using var me = Process.GetCurrentProcess();
        return new(Environment.ProcessId, Environment.MachineName, me.StartTime.ToUniversalTime(), DateTime.UtcNow, purpose);
    }

    internal byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["format"] = "iclps-lock/1",
        ["pid"] = ProcessId,
        ["host"] = Host,
        ["process_started"] = ProcessStartedUtc.ToString("O", CultureInfo.InvariantCulture),
        ["acquired"] = AcquiredUtc.ToString("O", CultureInfo.InvariantCulture),
        ["purpose"] = Purpose,
    });

    /// <summary>The holder recorded in <paramref name="bytes"/>, or null when they are empty or not a lock record.</summary>
    internal static LockHolder? Parse(byte[] bytes)
    {
        if (bytes.Length == 0) return null;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            return new LockHolder(root.GetProperty("pid").GetInt32(), root.GetProperty("host").GetString() ?? "",
                Time(root, "process_started"), Time(root, "acquired"), root.TryGetProperty("purpose", out var p) ? p.GetString() ?? "" : "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static DateTime Time(JsonElement root, string name) =>
        DateTime.Parse(root.GetProperty(name).GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUniversalTime();
}

/// <summary>Whether a lock file has a live holder.</summary>
public enum LockState
{
    /// <summary>No lock file.</summary>
    Free,
    /// <summary>A live writer holds it, or its holder cannot be shown to be gone (another host).</summary>
    Held,
    /// <summary>Its holder is gone: a process of this host that no longer runs (or whose id now names a newer process).</summary>
    Stale,
}

/// <summary>
/// One writer at a time for a folder (lock file <see cref="FileName"/> inside it) or a file (<c>.NAME.iclps.lock</c>
/// beside it). The lock file is created atomically (<see cref="FileMode.CreateNew"/>) and held open for as long as the
/// lock is held, recording the holder (process id, host, process start time, purpose). A second writer gets a
/// <see cref="WriterLockException"/> (ResourceBusy) naming the holder. A lock file whose holder is gone (killed, crashed)
/// is taken over: it is stale when no process holds it open and its process id does not run on this host, or now names
/// a process started at another time. Disposing releases the lock and deletes the file.
/// <para>
/// Holding: the file is opened with <see cref="FileShare.Read"/> | <see cref="FileShare.Delete"/>, so others can read who
/// holds it (on Unix .NET takes a shared flock for that handle); a contender proves it is free by opening it with
/// <see cref="FileShare.None"/> (an exclusive flock on Unix), which fails while any holder has it open. The process id
/// check backs this up where file locks are not enforced (network file systems, DOTNET_SYSTEM_IO_DISABLEFILELOCKING).
/// </para>
/// </summary>
public sealed class WriterLock : IDisposable
{
    public const string FileName = ".iclps.lock";

    /// <summary>An empty lock file younger than this is being created, not abandoned.</summary>
    private static readonly TimeSpan EmptyLockGrace = TimeSpan.FromSeconds(5);

    private FileStream? _stream;

    private WriterLock(string resource, string lockPath, FileStream stream, LockHolder holder, LockHolder? replaced)
    {
        (Resource, LockPath, _stream, Holder, Replaced) = (resource, lockPath, stream, holder, replaced);
    }

    /// <summary>The folder or file locked.</summary>
    public string Resource { get; }
    public string LockPath { get; }
    /// <summary>This process, as recorded in the lock file.</summary>
    public LockHolder Holder { get; }
    /// <summary>The gone holder whose stale lock file this one replaced, if any.</summary>
    public LockHolder? Replaced { get; }
    public bool IsHeld => _stream is not null;

    /// <summary>The lock file of <paramref name="folder"/>.</summary>
    public static string FolderLockPath(string folder) => Path.Combine(FullPath(folder), FileName);

    private static string FullPath(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    /// <summary>The lock file of <paramref name="file"/>: <c>.NAME.iclps.lock</c> in its folder.</summary>
    public static string FileLockPath(string file)
    {
        var full = Path.GetFullPath(file);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.iclps.lock");
    }

    /// <summary>
    /// Locks <paramref name="folder"/> (created if missing) for <paramref name="purpose"/>, waiting up to
    /// <paramref name="wait"/> for another holder to let go; throws <see cref="WriterLockException"/> (FolderInUse) otherwise.
    /// </summary>
    public static WriterLock AcquireFolder(string folder, string purpose, TimeSpan wait = default, CancellationToken cancellationToken = default)
    {
        var full = FullPath(folder);
        Directory.CreateDirectory(full);
        return Acquire(full, FolderLockPath(full), purpose, wait, StorageErrorIds.FolderInUse, cancellationToken);
    }

    /// <summary>Locks the file <paramref name="file"/> (which need not exist); FileInUse when another writer holds it.</summary>
    public static WriterLock AcquireFile(string file, string purpose, TimeSpan wait = default, CancellationToken cancellationToken = default)
    {
        var full = FullPath(file);
        return Acquire(full, FileLockPath(full), purpose, wait, StorageErrorIds.FileInUse, cancellationToken);
    }

    /// <summary>
    /// Whether <paramref name="lockPath"/> has a live holder, and who is recorded there. Reads only: a stale file is left
    /// in place.
    /// </summary>
    public static (LockState State, LockHolder? Holder) Probe(string lockPath) => Inspect(Path.GetFullPath(lockPath), removeIfStale: false);

    private static WriterLock Acquire(string resource, string lockPath, string purpose, TimeSpan wait, string errorId, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        LockHolder? replaced = null;
        var vanished = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var me = LockHolder.Current(purpose);
            var (created, createError) = TryCreate(lockPath, me);
            if (created is not null) return new WriterLock(resource, lockPath, created, me, replaced);

            var (state, holder) = Inspect(lockPath, removeIfStale: true);
            switch (state)
            {
                case LockState.Stale:
                    replaced = holder ?? replaced;
                    continue;
                case LockState.Free:
                    // Released between our attempts, or creation fails for another reason (then it always will).
                    if (++vanished > 100) throw createError!;
                    continue;
                default:
                    if (clock.Elapsed < wait)
                    {
                        Thread.Sleep(25);
                        continue;
                    }
                    throw Busy(resource, lockPath, holder, errorId);
            }
        }
    }

    /// <summary>Creates and opens the lock file, recording <paramref name="me"/>; null (with the reason) when it exists or is held.</summary>
    private static (FileStream? Stream, IOException? Error) TryCreate(string lockPath, LockHolder me)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, bufferSize: 1);
        }
        catch (IOException e) when (e is not DirectoryNotFoundException and not PathTooLongException)
        {
            return (null, e);
        }
        try
        {
            stream.Write(me.ToJson());
            stream.Flush(flushToDisk: true);
            return (stream, null);
        }
        catch
        {
            stream.Dispose();
            TryDelete(lockPath);
            throw;
        }
    }

    private static (LockState, LockHolder?) Inspect(string lockPath, bool removeIfStale)
    {
        FileStream probe;
        try
        {
            probe = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (LockState.Free, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Open elsewhere: a live holder (or a contender probing it this very moment).
            return (LockState.Held, ReadHolder(lockPath));
        }

        LockHolder? holder;
        using (probe)
        {
            var bytes = new byte[Math.Min(probe.Length, 64 * 1024)];
            probe.ReadExactly(bytes);
            holder = LockHolder.Parse(bytes);
            var stale = holder is null
                ? DateTime.UtcNow - File.GetLastWriteTimeUtc(lockPath) > EmptyLockGrace
                : string.Equals(holder.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase) && !IsRunning(holder);
            if (!stale) return (LockState.Held, holder);
            if (!removeIfStale) return (LockState.Stale, holder);
            if (!OperatingSystem.IsWindows())
            {
                // Unix: unlink while this exclusive handle keeps every other contender out.
                TryDelete(lockPath);
                return (LockState.Stale, holder);
            }
        }
        // Windows: a file cannot be deleted through another handle of ours opened without FileShare.Delete; reopen
        // exclusively, so nobody can have created a new lock in between, and let the close delete it.
        try
        {
            using var _ = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (LockState.Free, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (LockState.Held, ReadHolder(lockPath));
        }
        return (LockState.Stale, holder);
    }

    private static LockHolder? ReadHolder(string lockPath)
    {
        try
        {
            using var stream = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            var bytes = new byte[Math.Min(stream.Length, 64 * 1024)];
            stream.ReadExactly(bytes);
            return LockHolder.Parse(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether the recorded process still runs: its id exists, is not a zombie, and started when recorded.</summary>
    internal static bool IsRunning(LockHolder holder)
    {
        Process process;
        try
        {
            process = Process.GetProcessById(holder.ProcessId);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
        using (process)
        {
            try
            {
                if (process.HasExited || IsZombie(holder.ProcessId)) return false;
                var started = process.StartTime.ToUniversalTime();
                // A different start time: the id was reused by a newer process after the holder died.
                return Math.Abs((started - holder.ProcessStartedUtc).TotalSeconds) < 2;
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
            {
                // Running, but not ours to inspect: assume it is the holder.
                return true;
            }
        }
    }

    private static bool IsZombie(int pid)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // /proc/PID/stat: "pid (comm) S ...", comm may hold spaces and parentheses, the state follows the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var end = stat.LastIndexOf(')');
            return end > 0 && end + 2 < stat.Length && stat[end + 2] is 'Z' or 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static WriterLockException Busy(string resource, string lockPath, LockHolder? holder, string errorId)
    {
        var what = errorId == StorageErrorIds.FolderInUse ? "Folder" : "File";
        var who = holder is null ? "another process (it is still writing its details)" : holder.ToString();
        var hint = holder is not null && !string.Equals(holder.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)
            ? $" That host cannot be checked from here: if that process is gone, delete '{lockPath}'."
            : " Wait for it to finish, or write somewhere else.";
        return new WriterLockException(errorId, $"{what} '{resource}' is in use by {who}.{hint}", resource, lockPath, holder);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Releases the lock: deletes the lock file, then closes it (so no contender sees an unheld file of a live holder).</summary>
    public void Dispose()
    {
        var stream = Interlocked.Exchange(ref _stream, null);
        if (stream is null) return;
        TryDelete(LockPath);
        stream.Dispose();
    }
}

/// <summary>A folder or file another writer holds: <see cref="IclErrorKind.ResourceBusy"/>, target the folder or file.</summary>
public sealed class WriterLockException(string errorId, string message, string resource, string lockPath, LockHolder? holder)
    : IclPsException(errorId, IclErrorKind.ResourceBusy, message, resource)
{
    /// <summary>The folder or file locked.</summary>
    public string Resource { get; } = resource;
    public string LockPath { get; } = lockPath;
    /// <summary>Who holds it, when its lock file could be read.</summary>
    public LockHolder? Holder { get; } = holder;
}
