using System.Diagnostics;
using IclPs.Engine.Storage;
using static IclPs.Engine.Tests.Storage.StorageTestFiles;

namespace IclPs.Engine.Tests.Storage;

/// <summary>One writer per folder or file: acquire, contend (same process, another process), stale takeover, wait.</summary>
public sealed class WriterLockTests : IDisposable
{
    private readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    private string Folder(string name = "run") => _root.File(name);

    [Fact]
    public void Acquire_records_this_process_in_a_lock_file_that_release_deletes()
    {
        var folder = Folder();
        using (var held = WriterLock.AcquireFolder(folder, "a test"))
        {
            Assert.Equal(Path.Combine(folder, WriterLock.FileName), held.LockPath);
            Assert.True(File.Exists(held.LockPath));
            Assert.Equal(Environment.ProcessId, held.Holder.ProcessId);
            Assert.Null(held.Replaced);
            var (state, holder) = WriterLock.Probe(held.LockPath);
            Assert.Equal(LockState.Held, state);
            Assert.Equal((Environment.ProcessId, Environment.MachineName, "a test"), (holder!.ProcessId, holder.Host, holder.Purpose));
        }
        Assert.False(File.Exists(Path.Combine(folder, WriterLock.FileName)));
        Assert.Equal(LockState.Free, WriterLock.Probe(Path.Combine(folder, WriterLock.FileName)).State);
        // Released means free again.
        using var again = WriterLock.AcquireFolder(folder, "again");
    }

    [Fact]
    public void A_second_writer_is_refused_with_an_error_naming_the_folder_and_the_holder()
    {
        var folder = Folder();
        using var first = WriterLock.AcquireFolder(folder, "training");
        var error = Assert.Throws<WriterLockException>(() => WriterLock.AcquireFolder(folder, "another run"));
        Assert.Equal((StorageErrorIds.FolderInUse, IclErrorKind.ResourceBusy), (error.ErrorId, error.Kind));
        Assert.Equal(folder, error.Target);
        Assert.Equal(Environment.ProcessId, error.Holder!.ProcessId);
        Assert.Contains($"process {Environment.ProcessId} on host {Environment.MachineName}", error.Message);
        Assert.Contains("started ", error.Message);
        Assert.Contains("for training", error.Message);
        Assert.True(first.IsHeld);
    }

    /// <summary>Another process holding the lock file (here the flock(1) tool, as .NET holds it) keeps us out.</summary>
    [Fact]
    public void A_lock_file_held_open_by_another_process_is_busy()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/flock")) return;
        var folder = Folder();
        Directory.CreateDirectory(folder);
        var lockPath = Path.Combine(folder, WriterLock.FileName);
        var pid = WriteDeadLock(lockPath);
        using var holder = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["--shared", lockPath, "sleep", "30"]) { UseShellExecute = false })!;
        try
        {
            // Wait until flock(1) holds it.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (WriterLock.Probe(lockPath).State != LockState.Held || !HeldByOther(lockPath))
            {
                Assert.True(DateTime.UtcNow < deadline, "flock(1) should take the lock");
                Thread.Sleep(20);
            }
            var error = Assert.Throws<WriterLockException>(() => WriterLock.AcquireFolder(folder, "second"));
            Assert.Equal(StorageErrorIds.FolderInUse, error.ErrorId);
        }
        finally
        {
            // flock(1) runs sleep as a child that inherits the locked descriptor: end both.
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }
        // The killed sleep's descriptor closes as it exits, a moment after WaitForExit (which waits for flock only).
        var released = DateTime.UtcNow.AddSeconds(10);
        while (HeldByOther(lockPath) && DateTime.UtcNow < released) Thread.Sleep(20);
        // Held open by nobody and recording a process that is gone: taken over.
        using var taken = WriterLock.AcquireFolder(folder, "after");
        Assert.Equal(pid, taken.Replaced!.ProcessId);
    }

    private static bool HeldByOther(string path)
    {
        try
        {
            using (new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None)) return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    [Fact]
    public void A_stale_lock_of_a_process_that_is_gone_is_taken_over()
    {
        var folder = Folder();
        var pid = WriteDeadLock(Path.Combine(folder, WriterLock.FileName));
        Assert.Equal(LockState.Stale, WriterLock.Probe(Path.Combine(folder, WriterLock.FileName)).State);

        using var taken = WriterLock.AcquireFolder(folder, "resume");
        Assert.Equal(pid, taken.Replaced!.ProcessId);
        Assert.Equal(Environment.ProcessId, WriterLock.Probe(taken.LockPath).Holder!.ProcessId);
    }

    [Fact]
    public void A_lock_whose_process_id_now_names_a_newer_process_is_stale()
    {
        var folder = Folder();
        // This process's id, but recorded as started long before this process was: the id was reused.
        WriteLockFile(Path.Combine(folder, WriterLock.FileName), Environment.ProcessId, Environment.MachineName, DateTime.UtcNow.AddHours(-100));
        using var taken = WriterLock.AcquireFolder(folder, "resume");
        Assert.Equal(Environment.ProcessId, taken.Replaced!.ProcessId);
    }

    [Fact]
    public void A_lock_of_another_host_is_never_taken_over()
    {
        var folder = Folder();
        var lockPath = Path.Combine(folder, WriterLock.FileName);
        WriteLockFile(lockPath, ExitedProcessId(), "some-other-host", DateTime.UtcNow.AddMinutes(-1));
        var error = Assert.Throws<WriterLockException>(() => WriterLock.AcquireFolder(folder, "second"));
        Assert.Equal("some-other-host", error.Holder!.Host);
        Assert.Contains($"delete '{lockPath}'", error.Message);
        Assert.True(File.Exists(lockPath));
    }

    [Fact]
    public void An_empty_lock_file_is_being_written_when_young_and_abandoned_when_old()
    {
        var folder = Folder();
        Directory.CreateDirectory(folder);
        var lockPath = Path.Combine(folder, WriterLock.FileName);
        File.WriteAllBytes(lockPath, []);
        var busy = Assert.Throws<WriterLockException>(() => WriterLock.AcquireFolder(folder, "second"));
        Assert.Null(busy.Holder);
        Backdate(lockPath, TimeSpan.FromMinutes(1));
        using var taken = WriterLock.AcquireFolder(folder, "second");
        Assert.True(taken.IsHeld);
    }

    [Fact]
    public async Task A_file_lock_waits_for_the_holder_to_let_go()
    {
        var file = _root.File("results.csv");
        var first = WriterLock.AcquireFile(file, "first commit");
        Assert.Equal(_root.File(".results.csv.iclps.lock"), first.LockPath);
        Assert.Equal(StorageErrorIds.FileInUse, Assert.Throws<WriterLockException>(() => WriterLock.AcquireFile(file, "impatient")).ErrorId);

        var released = Task.Run(async () =>
        {
            await Task.Delay(300);
            first.Dispose();
        });
        var clock = Stopwatch.StartNew();
        using (var second = WriterLock.AcquireFile(file, "patient", TimeSpan.FromSeconds(20))) Assert.True(second.IsHeld);
        Assert.InRange(clock.ElapsedMilliseconds, 200, 19_000);
        await released;
    }
}
