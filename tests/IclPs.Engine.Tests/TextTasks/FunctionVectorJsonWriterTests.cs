using IclPs.Engine.Data;
using IclPs.Engine.Tests.Data;
using IclPs.Engine.TextTasks;

namespace IclPs.Engine.Tests.TextTasks;

public class FunctionVectorJsonWriterTests
{
    [Fact]
    public void ExportedTasksLoadBackWithTheSameNameAndItems()
    {
        var family = new SymbolicTaskFamily();
        using var folder = new TempFolder();
        var tasks = new[] { family.Task("heldout-perm-003"), family.Task("heldout-cat-000"), family.Task("constant-a") };
        var paths = family.Export(Path.Combine(folder.Path, "tasks"), tasks);
        for (var i = 0; i < tasks.Length; i++)
        {
            var loaded = DatasetLoader.LoadJson(paths[i]);
            Assert.Equal(tasks[i].Name, loaded.Name);
            Assert.Equal(tasks[i].Examples, loaded.Items);
        }
        Assert.Equal(tasks.Length, Directory.GetFiles(Path.Combine(folder.Path, "tasks")).Length);
    }

    [Fact]
    public void WritingReplacesAnExistingFileWholeAndEscapesJsonText()
    {
        using var folder = new TempFolder();
        var path = folder.File("odd.json", "[ {\"input\": \"old\", \"output\": \"old\"}, {\"input\": \"x\", \"output\": \"y\"} ]");
        var dataset = new IclDataset("odd", [new IclExample("say \"hi\"\\", "é\tü")]);
        Assert.Equal(path, FunctionVectorJsonWriter.Write(dataset, path));
        Assert.Equal(dataset.Items, DatasetLoader.LoadJson(path).Items);
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void AFailedWriteLeavesNoFileAndNamesThePath()
    {
        using var folder = new TempFolder();
        var target = Path.Combine(folder.Path, "taken");
        Directory.CreateDirectory(target);
        var e = Assert.Throws<IclPsException>(() => FunctionVectorJsonWriter.Write(new IclDataset("d", [new IclExample("a", "b")]), target));
        Assert.Equal("DatasetWriteFailed", e.ErrorId);
        Assert.Equal(target, e.Target);
        Assert.Empty(Directory.GetFiles(folder.Path));
        Assert.Equal("EmptyDataset", Assert.Throws<IclPsException>(() => FunctionVectorJsonWriter.Write(new IclDataset("d", []), Path.Combine(folder.Path, "e.json"))).ErrorId);
    }
}
