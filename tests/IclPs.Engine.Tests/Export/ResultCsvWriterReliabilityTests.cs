using IclPs.Engine.Export;
using IclPs.Engine.Storage;
using IclPs.Engine.Tests.Storage;

namespace IclPs.Engine.Tests.Export;

/// <summary>
/// The results file is replaced whole or not at all: refused paths, a failed final move, a bad row, concurrent writers
/// (replaces: last whole file wins; appends: all land) and leftovers of dead writers.
/// </summary>
public sealed class ResultCsvWriterReliabilityTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose()
    {
        foreach (var file in Directory.GetFiles(_dir.Path, "*", SearchOption.AllDirectories)) File.SetAttributes(file, FileAttributes.Normal);
        _dir.Dispose();
    }

    private static KeyValuePair<string, object?>[] Row(params (string Column, object? Value)[] cells) =>
        cells.Select(c => new KeyValuePair<string, object?>(c.Column, c.Value)).ToArray();

    private string[] TempFilesLeft() => StorageTestFiles.Leftovers(_dir.Path);

    [Fact]
    public void A_path_that_is_a_folder_is_refused_at_open()
    {
        var folder = Directory.CreateDirectory(_dir.File("results.csv")).FullName;
        var error = Assert.Throws<IclPsException>(() => ResultCsvWriter.Open(folder));
        Assert.Equal(("ResultPathIsDirectory", IclErrorKind.InvalidArgument, folder), (error.ErrorId, error.Kind, error.Target));
        Assert.Empty(TempFilesLeft());
    }

    [Fact]
    public void A_read_only_file_is_refused_at_open_and_left_as_it_is()
    {
        var path = _dir.File("results.csv", "n\r\n1\r\n");
        File.SetAttributes(path, FileAttributes.ReadOnly);
        var error = Assert.Throws<IclPsException>(() => ResultCsvWriter.Open(path));
        Assert.Equal(("ResultFileReadOnly", IclErrorKind.WriteError, path), (error.ErrorId, error.Kind, error.Target));
        Assert.Equal("n\r\n1\r\n", File.ReadAllText(path));
        Assert.Empty(TempFilesLeft());
    }

    [Fact]
    public void A_failed_final_move_removes_the_temporary_file()
    {
        var path = _dir.File("results.csv");
        using var writer = ResultCsvWriter.Open(path);
        writer.WriteRow(Row(("n", 1)));
        // Something takes the name before the commit: the move cannot replace a folder.
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "inside"), "x");
        Assert.ThrowsAny<Exception>(() => writer.Commit());
        Assert.Empty(TempFilesLeft());
        Assert.Equal("x", File.ReadAllText(Path.Combine(path, "inside")));
    }

    [Fact]
    public void A_bad_row_leaves_the_original_untouched()
    {
        var original = "a,b\r\n1,2\r\n3,4\r\n5,6\r\n";
        var path = _dir.File("results.csv", original);
        var error = Assert.Throws<IclPsException>(() => ResultCsvWriter.Write(path, [Row(("a", 7), ("b", 8)), Row(("a", 9), ("c", 10)), Row(("a", 11))]));
        Assert.Equal(("CsvRowColumnMismatch", "c"), (error.ErrorId, error.Target));
        Assert.Equal(original, File.ReadAllText(path));
        Assert.Empty(TempFilesLeft());
    }

    [Fact]
    public void Concurrent_appends_all_land()
    {
        var path = _dir.File("results.csv", "writer,row\r\n");
        const int writers = 6, rows = 40;
        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
        {
            using var writer = ResultCsvWriter.Open(path, new CsvWriteOptions { Append = true });
            for (var r = 0; r < rows; r++)
            {
                writer.WriteRow(Row(("writer", w), ("row", r)));
                if (r % 10 == 0) Thread.Sleep(1);
            }
            writer.Commit();
        });
        var lines = File.ReadAllLines(path);
        Assert.Equal("writer,row", lines[0]);
        Assert.Equal(writers * rows, lines.Length - 1);
        Assert.Equal(writers * rows, lines.Skip(1).Distinct().Count());
        Assert.Empty(TempFilesLeft());
        Assert.False(File.Exists(WriterLock.FileLockPath(path)));
    }

    [Fact]
    public void Concurrent_replaces_leave_one_writers_whole_file()
    {
        var path = _dir.File("results.csv", "old\r\n1\r\n");
        const int writers = 6;
        var outputs = new string[writers];
        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
        {
            ResultCsvWriter.Write(path, Enumerable.Range(0, 200).Select(r => Row(("writer", w), ("row", r))));
            outputs[w] = "writer,row\r\n" + string.Concat(Enumerable.Range(0, 200).Select(r => $"{w},{r}\r\n"));
        });
        Assert.Contains(File.ReadAllText(path), outputs);
        Assert.Empty(TempFilesLeft());
    }

    [Fact]
    public async Task A_commit_waits_for_another_writers_commit_and_gives_up_with_FileInUse()
    {
        var path = _dir.File("results.csv", "n\r\n0\r\n");
        var saved = ResultCsvWriter.CommitLockWait;
        using (var other = WriterLock.AcquireFile(path, "another commit"))
        {
            try
            {
                ResultCsvWriter.CommitLockWait = TimeSpan.FromMilliseconds(200);
                var error = Assert.Throws<WriterLockException>(() => ResultCsvWriter.Write(path, [Row(("n", 1))], new CsvWriteOptions { Append = true }));
                Assert.Equal((StorageErrorIds.FileInUse, IclErrorKind.ResourceBusy, path), (error.ErrorId, error.Kind, error.Target));
                Assert.Equal(Environment.ProcessId, error.Holder!.ProcessId);
            }
            finally
            {
                ResultCsvWriter.CommitLockWait = saved;
            }
            Assert.Equal("n\r\n0\r\n", File.ReadAllText(path));
            Assert.Empty(TempFilesLeft());

            var waiting = Task.Run(() => ResultCsvWriter.Write(path, [Row(("n", 2))], new CsvWriteOptions { Append = true }));
            Thread.Sleep(300);
            Assert.False(waiting.IsCompleted);
            other.Dispose();
            Assert.Equal(1, await waiting);
        }
        Assert.Equal("n\r\n0\r\n2\r\n", File.ReadAllText(path));
    }

    [Fact]
    public void An_append_adds_to_the_file_as_it_is_at_commit()
    {
        var path = _dir.File("results.csv");
        using var writer = ResultCsvWriter.Open(path, new CsvWriteOptions { Append = true });
        writer.WriteRow(Row(("n", 1)));
        // Another export creates the file meanwhile.
        ResultCsvWriter.Write(path, [Row(("n", 0))], new CsvWriteOptions { Append = true });
        writer.Commit();
        Assert.Equal("n\r\n0\r\n1\r\n", File.ReadAllText(path));

        using var other = ResultCsvWriter.Open(path, new CsvWriteOptions { Append = true });
        other.WriteRow(Row(("n", 2)));
        File.WriteAllText(path, "m\r\n9\r\n");
        Assert.Equal("CsvHeaderMismatch", Assert.Throws<IclPsException>(() => other.Commit()).ErrorId);
        Assert.Equal("m\r\n9\r\n", File.ReadAllText(path));
        Assert.Empty(TempFilesLeft());
    }

    [Fact]
    public void Open_removes_temporary_files_of_dead_writers_but_not_of_live_ones()
    {
        var path = _dir.File("results.csv");
        using var live = ResultCsvWriter.Open(path);
        live.WriteRow(Row(("n", 1)));
        var liveTemp = Assert.Single(TempFilesLeft());
        StorageTestFiles.Backdate(liveTemp, TimeSpan.FromMinutes(10));
        var dead = _dir.File(TempFiles.NewName("results.csv"), "n\r\n1\r\n");
        StorageTestFiles.Backdate(dead, TimeSpan.FromMinutes(10));

        using var next = ResultCsvWriter.Open(_dir.File("other.csv"));
        Assert.Equal([dead], next.Cleaned.Select(c => c.Path));
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(liveTemp));
    }
}
