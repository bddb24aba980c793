using IclPs.Engine.Storage;
using static IclPs.Engine.Tests.Storage.StorageTestFiles;

namespace IclPs.Engine.Tests.Storage;

/// <summary>
/// The shared all-or-nothing write of several files: a new folder appears with one rename; into an existing folder the
/// set is swapped file by file and every failure (injected at each step) is undone; a dead writer's half-done commit is
/// finished by the next cleanup.
/// </summary>
public sealed class StagedFileSetTests : IDisposable
{
    private readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    private string Existing()
    {
        var folder = _root.File("ckpt");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "a.json"), "old a");
        File.WriteAllText(Path.Combine(folder, "b.bin"), "old b");
        File.WriteAllText(Path.Combine(folder, "stale.bin"), "old stale");
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not part of the set");
        return folder;
    }

    /// <summary>The set the tests write: replaces a.json and b.bin, adds c.bin, removes stale.bin.</summary>
    private static StagedFileSet Write(string folder)
    {
        var set = StagedFileSet.Begin(folder, "checkpoint");
        File.WriteAllText(set.PathOf("a.json"), "new a");
        File.WriteAllText(set.PathOf("b.bin"), "new b");
        File.WriteAllText(set.PathOf("c.bin"), "new c");
        set.Remove("stale.bin");
        return set;
    }

    private static readonly SortedDictionary<string, string> NewVersion = new(StringComparer.Ordinal)
    {
        ["a.json"] = "new a", ["b.bin"] = "new b", ["c.bin"] = "new c", ["notes.txt"] = "not part of the set",
    };

    /// <summary>The snapshot without IclPs's hidden entries (staging folders and lock files).</summary>
    private static SortedDictionary<string, string> Visible(string folder) =>
        new(Snapshot(folder).Where(f => !f.Key.StartsWith('.')).ToDictionary(), StringComparer.Ordinal);

    private static SortedDictionary<string, string> Contents(string folder) =>
        new(Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f)!, File.ReadAllText), StringComparer.Ordinal);

    [Fact]
    public void A_new_folder_appears_complete_with_one_rename()
    {
        var folder = _root.File("fresh");
        using (var set = StagedFileSet.Begin(folder))
        {
            Assert.True(set.CreatesFolder);
            File.WriteAllText(set.PathOf("x.txt"), "x");
            Assert.False(Directory.Exists(folder));
            set.Commit();
        }
        Assert.Equal(["x.txt"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
        Assert.Empty(Leftovers(_root.Path));
    }

    [Fact]
    public void Into_an_existing_folder_the_set_is_swapped_and_other_files_are_left_alone()
    {
        var folder = Existing();
        using (var set = Write(folder))
        {
            Assert.False(set.CreatesFolder);
            Assert.StartsWith(folder + Path.DirectorySeparatorChar + ".checkpoint.", set.StagePath);
            set.Commit();
        }
        Assert.Equal(NewVersion, Contents(folder));
        Assert.Empty(Directory.GetDirectories(folder));
    }

    [Fact]
    public void Disposing_without_commit_changes_nothing()
    {
        var folder = Existing();
        var before = Snapshot(folder);
        using (Write(folder)) { }
        Assert.Equal(before, Snapshot(folder));
    }

    [Fact]
    public void Cancellation_before_the_commit_changes_nothing()
    {
        var folder = Existing();
        var before = Snapshot(folder);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        using (var set = Write(folder)) Assert.ThrowsAny<OperationCanceledException>(() => set.Commit(cancelled.Token));
        Assert.Equal(before, Snapshot(folder));
    }

    /// <summary>
    /// Every place a swap can fail: writing the journal, moving each previous file aside (a.json, b.bin, stale.bin) and
    /// moving each new file in (a.json, b.bin, c.bin). Each is undone completely and the error names the file.
    /// </summary>
    [Theory]
    [InlineData("journal", 0, "commit.json")]
    [InlineData("aside", 0, "a.json")]
    [InlineData("in", 0, "a.json")]
    [InlineData("aside", 1, "b.bin")]
    [InlineData("in", 1, "b.bin")]
    [InlineData("in", 2, "c.bin")]
    [InlineData("aside", 2, "stale.bin")]
    public void A_failure_at_any_step_of_the_swap_puts_the_previous_files_back(string step, int occurrence, string offending)
    {
        var folder = Existing();
        var before = Snapshot(folder);
        StagedCommitException error;
        using (FailAt(step, occurrence))
        using (var set = Write(folder))
        {
            error = Assert.Throws<StagedCommitException>(() => set.Commit());
        }
        Assert.True(error.RolledBack);
        Assert.Equal(offending, Path.GetFileName(error.Path));
        Assert.Contains("Nothing was changed", error.Message);
        Assert.Equal(before, Snapshot(folder));
    }

    [Fact]
    public void A_failed_rename_of_a_new_folder_leaves_nothing_behind()
    {
        var folder = _root.File("fresh");
        using (FailAt("folder"))
        using (var set = StagedFileSet.Begin(folder))
        {
            File.WriteAllText(set.PathOf("x.txt"), "x");
            Assert.True(Assert.Throws<StagedCommitException>(() => set.Commit()).RolledBack);
        }
        Assert.False(Directory.Exists(folder));
        Assert.Empty(Directory.GetFileSystemEntries(_root.Path));
    }

    [Fact]
    public void A_folder_where_a_file_of_the_set_goes_is_refused_before_any_change()
    {
        var folder = Existing();
        Directory.CreateDirectory(Path.Combine(folder, "c.bin"));
        var before = Snapshot(folder);
        using var set = Write(folder);
        var error = Assert.Throws<IclPsException>(() => set.Commit());
        Assert.Equal((StorageErrorIds.TargetIsDirectory, IclErrorKind.WriteError), (error.ErrorId, error.Kind));
        Assert.Equal(Path.Combine(folder, "c.bin"), error.Target);
        Assert.Equal(before, Snapshot(folder));
    }

    [Fact]
    public void When_undoing_fails_too_the_previous_files_are_kept_and_the_next_cleanup_puts_them_back()
    {
        var folder = Existing();
        var before = Snapshot(folder);
        StagedCommitException error;
        var failures = 0;
        StagedFileSet.FaultInjection.Value = (step, path) =>
        {
            // The third new file fails to move in, and the first attempt to undo fails as well.
            if ((step == "in" && Path.GetFileName(path) == "c.bin") || (step == "rollback" && failures++ == 0))
                throw new IOException($"Injected failure at {step} '{path}'.");
        };
        try
        {
            using var set = Write(folder);
            error = Assert.Throws<StagedCommitException>(() => set.Commit());
        }
        finally
        {
            StagedFileSet.FaultInjection.Value = null;
        }
        Assert.False(error.RolledBack);
        Assert.NotNull(error.KeptStage);
        Assert.True(File.Exists(Path.Combine(error.KeptStage!, StagedFileSet.RollbackJournalName)));
        Assert.NotEqual(before, Visible(folder));

        // Given up by its writer (no lock, a journal): removed at the next cleanup, however young.
        var cleaned = TempFiles.RemoveStale(folder);
        Assert.Contains(cleaned, c => c.Message.Contains("put back the previous files"));
        Assert.Equal(before, Snapshot(folder));
    }

    [Fact]
    public void A_writer_that_dies_mid_commit_is_finished_by_the_next_cleanup()
    {
        var folder = Existing();
        // OutOfMemoryException stands for the process dying: the commit is cut short with nothing undone.
        using (FailAt("in", 1, () => new OutOfMemoryException("simulated death")))
        using (var set = Write(folder))
        {
            Assert.Throws<OutOfMemoryException>(() => set.Commit());
        }
        var stage = Assert.Single(Directory.GetDirectories(folder));
        Assert.True(File.Exists(Path.Combine(stage, StagedFileSet.CommitJournalName)));
        Assert.Equal("new a", File.ReadAllText(Path.Combine(folder, "a.json")));
        Assert.False(File.Exists(Path.Combine(folder, "b.bin")));

        var cleaned = TempFiles.RemoveStale(folder);
        Assert.Contains(cleaned, c => c.Message.Contains("finished its interrupted commit"));
        Assert.Equal(NewVersion, Contents(folder));
        Assert.Empty(Directory.GetDirectories(folder));
    }

    [Fact]
    public void A_dead_writers_staging_folder_with_its_lock_is_removed_at_once_and_a_live_one_is_kept()
    {
        var folder = Existing();
        var dead = Path.Combine(folder, TempFiles.NewName("checkpoint"));
        Directory.CreateDirectory(Path.Combine(dead, StagedFileSet.NewFolderName));
        File.WriteAllText(Path.Combine(dead, StagedFileSet.NewFolderName, "a.json"), "half written");
        var pid = WriteDeadLock(Path.Combine(dead, WriterLock.FileName));
        var before = Visible(folder);

        using var live = Write(folder);
        var cleaned = TempFiles.RemoveStale(folder);

        var removed = Assert.Single(cleaned);
        Assert.Equal(dead, removed.Path);
        Assert.Contains($"process {pid}", removed.Message);
        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(live.StagePath));
        Assert.Equal(before, Visible(folder));
        live.Commit();
        Assert.Equal(NewVersion, Contents(folder));
    }
}
