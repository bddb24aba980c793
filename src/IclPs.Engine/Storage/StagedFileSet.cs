using System.Text.Json;

namespace IclPs.Engine.Storage;

/// <summary>
/// Several files written as one: all of them are put in place, or none is and the folder stays as it was. Writers put
/// the new files into <see cref="Folder"/>, a staging folder, and <see cref="Commit"/> moves them into
/// <see cref="Destination"/>; disposing without committing deletes the staging folder and changes nothing.
/// <list type="bullet">
/// <item>A destination folder that does not exist yet is staged beside it (<c>.NAME.GUID.tmp/new</c>) and appears with
///   one rename, complete.</item>
/// <item>Into an existing folder (staged inside it, <c>.LABEL.GUID.tmp/</c>, so every move is a rename on one file
///   system) the commit swaps the set: for each file, the previous one is moved aside into the staging folder, then the
///   new one moved in; files marked with <see cref="Remove"/> are moved aside too. If any move fails, every step done is
///   undone (new files out, previous files back) before the error is raised, so a failed or stopped write leaves the
///   previous version whole; on success the previous files are deleted with the staging folder. Files of the folder
///   that are not in the set are never touched, and the folder itself is never renamed.</item>
/// </list>
/// A journal (<c>commit.json</c>, turned into <c>rollback.json</c> while undoing) is written to disk before the first
/// move, and the staging folder is locked by its writer (<see cref="WriterLock"/>), so when a process dies part-way
/// <see cref="TempFiles.RemoveStale"/> can later finish the commit (or the undo) and then delete the leftovers.
/// Readers are not locked out: one reading the folder during the moments of the swap may see a mix.
/// </summary>
public sealed class StagedFileSet : IDisposable
{
    internal const string NewFolderName = "new";
    internal const string OldFolderName = "old";
    internal const string CommitJournalName = "commit.json";
    internal const string RollbackJournalName = "rollback.json";
    private const string JournalFormat = "iclps-staged-commit/1";

    /// <summary>
    /// Test seam: called with a step ("journal", "folder", "aside", "in", "rollback") and the path about to be changed,
    /// before that change; an exception thrown here acts as the file system failing at that step.
    /// </summary>
    internal static readonly AsyncLocal<Action<string, string>?> FaultInjection = new();

    private readonly HashSet<string> _removals = new(StringComparer.Ordinal);
    private readonly WriterLock _stageLock;
    private bool _finished;
    // Set from the journal's write until the swap is done or undone: a stage in that state is never deleted unfinished.
    private bool _committing;

    private StagedFileSet(string destination, string stagePath, bool createsFolder, WriterLock stageLock)
    {
        (Destination, StagePath, CreatesFolder, _stageLock) = (destination, stagePath, createsFolder, stageLock);
    }

    /// <summary>The folder the files go to (full path).</summary>
    public string Destination { get; }

    /// <summary>The staging folder (journal, lock, and the new and previous files).</summary>
    public string StagePath { get; }

    /// <summary>Where writers put the new files: every file here when <see cref="Commit"/> runs is placed.</summary>
    public string Folder => Path.Combine(StagePath, NewFolderName);

    /// <summary>The destination did not exist when the set began: the commit creates it with one rename.</summary>
    public bool CreatesFolder { get; }

    /// <summary>
    /// Starts a set bound for <paramref name="destination"/> (a folder; created by the commit when missing).
    /// <paramref name="label"/> names the staging folder inside an existing destination (e.g. "checkpoint" or a file stem).
    /// </summary>
    public static StagedFileSet Begin(string destination, string label = "files")
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination));
        if (File.Exists(full))
            throw new IclPsException(StorageErrorIds.DestinationIsFile, IclErrorKind.InvalidArgument, $"Cannot write into '{full}': it is a file, not a folder.", full);
        var creates = !Directory.Exists(full);
        string stage;
        if (creates)
        {
            var parent = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{full}' has no parent folder to stage in.", nameof(destination));
            Directory.CreateDirectory(parent);
            stage = Path.Combine(parent, TempFiles.NewName(Path.GetFileName(full)));
        }
        else
        {
            stage = Path.Combine(full, TempFiles.NewName(label));
        }
        Directory.CreateDirectory(stage);
        WriterLock? stageLock = null;
        try
        {
            stageLock = WriterLock.AcquireFolder(stage, $"staging files for '{full}'");
            Directory.CreateDirectory(Path.Combine(stage, NewFolderName));
            return new StagedFileSet(full, stage, creates, stageLock);
        }
        catch
        {
            TryDeleteFolder(stage, stageLock);
            throw;
        }
    }

    /// <summary>The staging path of the new file <paramref name="name"/> (a plain file name).</summary>
    public string PathOf(string name) => Path.Combine(Folder, CheckName(name));

    /// <summary>Marks <paramref name="name"/> in the destination for removal at commit (undone with the rest on failure); a no-op if absent.</summary>
    public void Remove(string name) => _removals.Add(CheckName(name));

    /// <summary>
    /// Puts every file of <see cref="Folder"/> in place and removes the files marked by <see cref="Remove"/>, all or
    /// nothing. A failure raises <see cref="StagedCommitException"/> after the previous files are back. Cancellation is
    /// honoured only before the first change.
    /// </summary>
    public void Commit(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (CreatesFolder && !Directory.Exists(Destination) && !File.Exists(Destination))
        {
            try
            {
                FaultInjection.Value?.Invoke("folder", Destination);
                Directory.Move(Folder, Destination);
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && !Directory.Exists(Destination))
            {
                Dispose();
                throw new StagedCommitException(Destination, Destination, rolledBack: true, keptStage: null, e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Created by someone else a moment ago: fall through and swap the files into it.
            }
            if (!Directory.Exists(Folder))
            {
                Finish();
                return;
            }
        }
        Swap();
    }

    private void Swap()
    {
        var place = Directory.EnumerateFileSystemEntries(Folder).Select(e => Path.GetFileName(e)!).Where(n => !TempFiles.IsTempName(n))
            .Order(StringComparer.Ordinal).ToList();
        if (place.Any(n => Directory.Exists(Path.Combine(Folder, n))))
            throw new InvalidOperationException($"A set placed into the existing folder '{Destination}' holds files only, not folders.");
        var placeSet = place.ToHashSet(StringComparer.Ordinal);
        var remove = _removals.Where(n => !placeSet.Contains(n)).Order(StringComparer.Ordinal).ToList();
        foreach (var name in place.Concat(remove))
        {
            var target = Path.Combine(Destination, name);
            if (Directory.Exists(target))
            {
                Dispose();
                throw new IclPsException(StorageErrorIds.TargetIsDirectory, IclErrorKind.WriteError,
                    $"Cannot replace '{target}': a folder of that name is there. Nothing was changed.", target);
            }
        }
        Directory.CreateDirectory(Destination);
        Directory.CreateDirectory(Path.Combine(StagePath, OldFolderName));
        var journal = new Journal(Destination, place, remove);
        var current = Path.Combine(StagePath, CommitJournalName);
        try
        {
            FaultInjection.Value?.Invoke("journal", current);
            _committing = true;
            WriteJournal(current, journal);
            // Every move overwrites: that is a plain rename(2) on Unix. Without it .NET links then unlinks, or copies then
            // deletes, and a file it cannot remove (immutable, say) would be left both moved and in place.
            foreach (var name in place.Concat(remove))
            {
                current = Path.Combine(Destination, name);
                if (File.Exists(current))
                {
                    FaultInjection.Value?.Invoke("aside", current);
                    File.Move(current, Path.Combine(StagePath, OldFolderName, name), overwrite: true);
                }
                if (placeSet.Contains(name))
                {
                    FaultInjection.Value?.Invoke("in", current);
                    File.Move(Path.Combine(Folder, name), current, overwrite: true);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Undo(current, journal, e);
        }
        _committing = false;
        Finish();
    }

    /// <summary>Puts the previous files back after <paramref name="failure"/>, then raises it as a <see cref="StagedCommitException"/>.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Undo(string failedPath, Journal journal, Exception failure)
    {
        try
        {
            var commitJournal = Path.Combine(StagePath, CommitJournalName);
            if (File.Exists(commitJournal)) File.Move(commitJournal, Path.Combine(StagePath, RollbackJournalName), overwrite: true);
            RollBack(StagePath, journal);
            _committing = false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The staging folder keeps the previous files and the journal; the next write's cleanup finishes the undo.
            _finished = true;
            _stageLock.Dispose();
            throw new StagedCommitException(failedPath, Destination, rolledBack: false, keptStage: StagePath, failure, e);
        }
        Dispose();
        throw new StagedCommitException(failedPath, Destination, rolledBack: true, keptStage: null, failure);
    }

    /// <summary>
    /// Finishes what a dead writer left in the staging folder <paramref name="stage"/> (whose lock the caller holds): a
    /// commit journal is rolled forward (every staged file put in place), a rollback journal rolled back (every previous
    /// file put back). Kept is true when that failed and the folder must stay for a later attempt.
    /// </summary>
    internal static (bool Kept, string Message) Recover(string stage)
    {
        var commit = Path.Combine(stage, CommitJournalName);
        var rollback = Path.Combine(stage, RollbackJournalName);
        var (path, forward) = File.Exists(commit) ? (commit, true) : File.Exists(rollback) ? (rollback, false) : (null, false);
        if (path is null) return (false, "");
        var journal = ReadJournal(path);
        // Unreadable: it was being written when the writer died, before any file was moved.
        if (journal is null) return (false, "");
        try
        {
            if (forward)
            {
                RollForward(stage, journal);
                return (false, $"first finished its interrupted commit into '{journal.Destination}'");
            }
            RollBack(stage, journal);
            return (false, $"first put back the previous files of '{journal.Destination}' it had moved aside");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (true, $"Kept leftover staging folder '{stage}': {(forward ? "finishing its interrupted commit" : "putting back the previous files")} " +
                $"of '{journal.Destination}' failed ({e.Message}); it holds files that folder needs, and the next write tries again.");
        }
    }

    private static void RollForward(string stage, Journal journal)
    {
        var old = Path.Combine(stage, OldFolderName);
        Directory.CreateDirectory(old);
        foreach (var name in journal.Place)
        {
            var staged = Path.Combine(stage, NewFolderName, name);
            if (!File.Exists(staged)) continue;
            var target = Path.Combine(journal.Destination, name);
            if (File.Exists(target) && !File.Exists(Path.Combine(old, name))) File.Move(target, Path.Combine(old, name), overwrite: true);
            File.Move(staged, target, overwrite: true);
        }
        foreach (var name in journal.Remove)
        {
            var target = Path.Combine(journal.Destination, name);
            if (File.Exists(target) && !File.Exists(Path.Combine(old, name))) File.Move(target, Path.Combine(old, name), overwrite: true);
        }
    }

    /// <summary>
    /// Undoes a partial swap from what the staging folder holds: a placed file (gone from new/, present in the destination)
    /// goes back to new/, and every file in old/ goes back to the destination. Safe to repeat.
    /// </summary>
    private static void RollBack(string stage, Journal journal)
    {
        var placed = journal.Place.ToHashSet(StringComparer.Ordinal);
        foreach (var name in journal.Place.Concat(journal.Remove).Reverse())
        {
            var target = Path.Combine(journal.Destination, name);
            var staged = Path.Combine(stage, NewFolderName, name);
            var aside = Path.Combine(stage, OldFolderName, name);
            if (placed.Contains(name) && !File.Exists(staged) && File.Exists(target))
            {
                FaultInjection.Value?.Invoke("rollback", target);
                File.Move(target, staged, overwrite: true);
            }
            if (File.Exists(aside))
            {
                FaultInjection.Value?.Invoke("rollback", aside);
                File.Move(aside, target, overwrite: true);
            }
        }
    }

    private sealed record Journal(string Destination, IReadOnlyList<string> Place, IReadOnlyList<string> Remove);

    private static void WriteJournal(string path, Journal journal)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["format"] = JournalFormat,
            ["destination"] = journal.Destination,
            ["place"] = journal.Place,
            ["remove"] = journal.Remove,
        });
        // Whole or absent: written aside, forced to disk, then renamed.
        var temp = path + ".partial";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    private static Journal? ReadJournal(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != JournalFormat) return null;
            string[] Names(string property) => root.GetProperty(property).EnumerateArray().Select(n => CheckName(n.GetString()!)).ToArray();
            return new Journal(root.GetProperty("destination").GetString()!, Names("place"), Names("remove"));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or IOException)
        {
            return null;
        }
    }

    private static string CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.IndexOfAny([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar]) >= 0)
            throw new ArgumentException($"'{name}' is not a plain file name.", nameof(name));
        return name;
    }

    private void Finish()
    {
        _finished = true;
        TryDeleteFolder(StagePath, _stageLock);
    }

    private static void TryDeleteFolder(string path, WriterLock? heldLock)
    {
        try
        {
            TempFiles.DeleteFolder(path, heldLock);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next write's cleanup; the lock is released either way.
            heldLock?.Dispose();
        }
    }

    /// <summary>
    /// Without a commit: deletes the staging folder; the destination is untouched. If the commit was cut short by an
    /// exception it could not undo, the staging folder (journal and files) is kept for <see cref="TempFiles.RemoveStale"/>
    /// to finish, and only the lock is released.
    /// </summary>
    public void Dispose()
    {
        if (_finished) return;
        _finished = true;
        if (_committing) _stageLock.Dispose();
        else TryDeleteFolder(StagePath, _stageLock);
    }
}

/// <summary>
/// A <see cref="StagedFileSet"/> could not put <see cref="Path"/> in place. <see cref="RolledBack"/>: the previous files
/// were put back and the destination is as it was; otherwise they are in <see cref="KeptStage"/> and the next write to the
/// destination puts them back.
/// </summary>
public sealed class StagedCommitException : IOException
{
    internal StagedCommitException(string path, string destination, bool rolledBack, string? keptStage, Exception failure, Exception? undoFailure = null)
        : base(Describe(path, destination, rolledBack, keptStage, failure, undoFailure), failure)
    {
        (Path, Destination, RolledBack, KeptStage) = (path, destination, rolledBack, keptStage);
    }

    /// <summary>The file (or folder) whose move failed: the offending value.</summary>
    public string Path { get; }
    public string Destination { get; }
    public bool RolledBack { get; }
    public string? KeptStage { get; }

    private static string Describe(string path, string destination, bool rolledBack, string? keptStage, Exception failure, Exception? undoFailure) =>
        rolledBack
            ? $"Could not put '{path}' in place: {failure.Message} Nothing was changed: '{destination}' holds its previous files."
            : $"Could not put '{path}' in place: {failure.Message} Putting the previous files back failed too ({undoFailure?.Message}); " +
              $"they are kept in '{keptStage}', and the next write to '{destination}' puts them back.";
}
