using System.Text.RegularExpressions;

namespace IclPs.Engine.Storage;

/// <summary>What <see cref="TempFiles.RemoveStale"/> did with one leftover: removed it, finished it, or kept it (a warning).</summary>
public sealed record TempCleanup(string Path, string Message, bool IsWarning = false);

/// <summary>
/// IclPs's temporary names and the removal of leftovers. Every staged write is named <c>.TARGET.GUID.tmp</c> (a file, or
/// a staging folder of a <see cref="StagedFileSet"/>) in the folder it writes to, so a process killed part-way leaves
/// only names of that pattern behind; <see cref="RemoveStale"/> removes those no live writer holds when the folder is
/// next written.
/// </summary>
public static partial class TempFiles
{
    /// <summary>
    /// A temporary file no process holds open is removed only once this old: the moment between a writer closing its file
    /// and renaming it into place is never that long. Staging folders are judged by their lock instead.
    /// </summary>
    public static readonly TimeSpan DefaultMinimumAge = TimeSpan.FromMinutes(1);

    /// <summary>A fresh temporary name for <paramref name="target"/> (a file or folder name), in the pattern <see cref="IsTempName"/> knows.</summary>
    public static string NewName(string target) => $".{target}.{Guid.NewGuid():N}.tmp";

    /// <summary>
    /// Whether <paramref name="name"/> is one of IclPs's temporary names: <c>.TARGET.GUID.tmp</c> (and the
    /// <c>TARGET.PID.GUID.tmp</c>, <c>TARGET.GUID.tmp</c> and <c>.tokenizer-PID-GUID</c> names of older versions); GUID is 32 hex digits.
    /// </summary>
    public static bool IsTempName(string name) => TempName().IsMatch(name);

    /// <summary>
    /// Removes the leftovers of writers that are gone from <paramref name="folder"/> (not its subfolders): every entry with a
    /// temporary name that no live writer holds. A temporary file counts as held while a process has it open, or while it
    /// is younger than <paramref name="minimumAge"/> (default <see cref="DefaultMinimumAge"/>). A staging folder counts as
    /// held while its writer's lock is (one without a lock file only while younger than that age, unless it holds a journal,
    /// which no live writer leaves unlocked); one left mid-commit is finished (its complete set of files put in place) or rolled
    /// back first, as its journal says, so the folder ends as one whole version. Nothing else is touched; failures to remove
    /// are skipped. Returns what was done, for the caller's verbose stream.
    /// </summary>
    public static IReadOnlyList<TempCleanup> RemoveStale(string folder, TimeSpan? minimumAge = null)
    {
        var full = Path.GetFullPath(folder);
        var age = minimumAge ?? DefaultMinimumAge;
        var done = new List<TempCleanup>();
        if (!Directory.Exists(full)) return done;
        IEnumerable<string> entries;
        try
        {
            entries = Directory.GetFileSystemEntries(full).Where(e => IsTempName(Path.GetFileName(e))).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return done;
        }
        foreach (var entry in entries)
        {
            try
            {
                var result = Directory.Exists(entry) ? RemoveStaleFolder(entry, age) : RemoveStaleFile(entry, age);
                if (result is not null) done.Add(result);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Held after all, or vanished: another cleaner or its writer got there first.
            }
        }
        return done;
    }

    private static TempCleanup? RemoveStaleFile(string path, TimeSpan age)
    {
        if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < age) return null;
        // Opening it exclusively fails while its writer has it open (an exclusive flock on Unix, the share mode on Windows).
        using (new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, bufferSize: 1)) { }
        File.Delete(path);
        return new TempCleanup(path, $"Removed leftover temporary file '{path}': no writer holds it.");
    }

    private static TempCleanup? RemoveStaleFolder(string path, TimeSpan age)
    {
        var hasLock = File.Exists(Path.Combine(path, WriterLock.FileName));
        // A journal is only ever written under the writer's lock, so one without it was given up (a failed undo).
        var hasJournal = File.Exists(Path.Combine(path, StagedFileSet.CommitJournalName)) || File.Exists(Path.Combine(path, StagedFileSet.RollbackJournalName));
        // A staging folder without its lock may be a writer's that has not created it yet, unless it is old.
        if (!hasLock && !hasJournal && DateTime.UtcNow - Directory.GetLastWriteTimeUtc(path) < age) return null;
        WriterLock stageLock;
        try
        {
            stageLock = WriterLock.AcquireFolder(path, "removing a leftover staging folder");
        }
        catch (WriterLockException)
        {
            return null;
        }
        try
        {
            var recovered = StagedFileSet.Recover(path);
            if (recovered.Kept) return new TempCleanup(path, recovered.Message, IsWarning: true);
            var who = stageLock.Replaced is { } gone ? $"its writer, {gone}, is gone" : "no writer holds it";
            DeleteFolder(path, stageLock);
            return new TempCleanup(path, $"Removed leftover staging folder '{path}' ({who}){(recovered.Message.Length > 0 ? "; " + recovered.Message : "")}.");
        }
        finally
        {
            stageLock.Dispose();
        }
    }

    /// <summary>
    /// Deletes a folder and everything in it. The lock file of <paramref name="heldLock"/>, when it is this folder's, goes
    /// last: everything else is deleted while the lock is still held, then it is released and the empty folder removed.
    /// </summary>
    internal static void DeleteFolder(string path, WriterLock? heldLock = null)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(path))
        {
            if (heldLock is not null && string.Equals(entry, heldLock.LockPath, StringComparison.Ordinal)) continue;
            if (Directory.Exists(entry))
            {
                foreach (var file in Directory.EnumerateFiles(entry, "*", SearchOption.AllDirectories)) File.SetAttributes(file, FileAttributes.Normal);
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.SetAttributes(entry, FileAttributes.Normal);
                File.Delete(entry);
            }
        }
        heldLock?.Dispose();
        Directory.Delete(path, recursive: true);
    }

    /// <summary>
    /// Removes a folder that readers may list (an old checkpoint): it is first renamed to a temporary name, so a deletion
    /// that is interrupted never leaves it listed half-deleted; what a failed deletion leaves, <see cref="RemoveStale"/>
    /// removes when the parent is next written.
    /// </summary>
    internal static void RetireFolder(string path)
    {
        var doomed = Path.Combine(Path.GetDirectoryName(path)!, NewName(Path.GetFileName(path)));
        Directory.Move(path, doomed);
        try
        {
            DeleteFolder(doomed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No longer listed; removed by a later cleanup.
        }
    }

    [GeneratedRegex(@"^(\.?.+\.[0-9a-f]{32}\.tmp|\.tokenizer-\d+-[0-9a-f]{32})$")]
    private static partial Regex TempName();
}
