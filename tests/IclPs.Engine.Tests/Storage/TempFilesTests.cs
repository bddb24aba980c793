using IclPs.Engine.Storage;
using static IclPs.Engine.Tests.Storage.StorageTestFiles;

namespace IclPs.Engine.Tests.Storage;

/// <summary>Leftovers of dead writers are removed; live writers' files, young files and other names are not.</summary>
public sealed class TempFilesTests : IDisposable
{
    private readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData(".x.csv.0123456789abcdef0123456789abcdef.tmp", true)]
    [InlineData(".step-00000121.0123456789abcdef0123456789abcdef.tmp", true)]
    [InlineData("vocab.json.4242.0123456789abcdef0123456789abcdef.tmp", true)]
    [InlineData("regression-task.json.0123456789abcdef0123456789abcdef.tmp", true)]
    [InlineData(".tokenizer-4242-0123456789abcdef0123456789abcdef", true)]
    [InlineData("notes.tmp", false)]
    [InlineData(".x.csv.tmp", false)]
    [InlineData(".x.csv.0123456789ABCDEF0123456789ABCDEF.tmp", false)]
    [InlineData(".iclps.lock", false)]
    [InlineData("x.csv", false)]
    public void Knows_its_own_temporary_names_only(string name, bool ours) => Assert.Equal(ours, TempFiles.IsTempName(name));

    [Fact]
    public void Removes_old_unheld_temporary_files_and_keeps_held_young_and_foreign_ones()
    {
        string Temp(string target, TimeSpan age)
        {
            var path = _root.File(TempFiles.NewName(target), "partial");
            Backdate(path, age);
            return path;
        }
        var dead = Temp("x.csv", TimeSpan.FromMinutes(5));
        var young = Temp("y.csv", TimeSpan.Zero);
        var held = Temp("z.csv", TimeSpan.FromMinutes(5));
        var foreign = _root.File("notes.tmp", "mine");
        Backdate(foreign, TimeSpan.FromDays(1));

        using (new FileStream(held, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            var removed = TempFiles.RemoveStale(_root.Path);
            var entry = Assert.Single(removed);
            Assert.Equal(dead, entry.Path);
            Assert.Contains("no writer holds it", entry.Message);
            Assert.False(entry.IsWarning);
        }
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(young) && File.Exists(held) && File.Exists(foreign));
        // With its writer gone and old enough, the held one goes next time; the young one only once it is old.
        Assert.Equal([held], TempFiles.RemoveStale(_root.Path).Select(c => c.Path));
        Assert.Equal([young], TempFiles.RemoveStale(_root.Path, TimeSpan.Zero).Select(c => c.Path));
        Assert.True(File.Exists(foreign));
    }

    [Fact]
    public void A_lockless_staging_folder_is_removed_only_once_old()
    {
        var stage = _root.File(TempFiles.NewName("step-00000121"));
        Directory.CreateDirectory(Path.Combine(stage, "new"));
        File.WriteAllText(Path.Combine(stage, "new", "config.json"), "{}");
        Assert.Empty(TempFiles.RemoveStale(_root.Path));
        Assert.True(Directory.Exists(stage));
        Backdate(stage, TimeSpan.FromMinutes(5));
        Assert.Equal([stage], TempFiles.RemoveStale(_root.Path).Select(c => c.Path));
        Assert.False(Directory.Exists(stage));
    }

    [Fact]
    public void A_missing_folder_has_nothing_to_remove() => Assert.Empty(TempFiles.RemoveStale(_root.File("missing")));
}
