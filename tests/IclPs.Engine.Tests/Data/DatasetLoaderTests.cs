using IclPs.Engine.Data;

namespace IclPs.Engine.Tests.Data;

public class DatasetLoaderTests
{
    [Theory]
    [InlineData("antonym.json", 2398)]
    [InlineData("capitalize.json", 813)]
    [InlineData("country-capital.json", 197)]
    [InlineData("english-french.json", 4698)]
    public void LoadsTheFunctionVectorDatasets(string file, int count)
    {
        var dataset = DatasetLoader.LoadJson(TestData.FunctionVectors(file));
        Assert.Equal(count, dataset.Count);
        Assert.Equal(Path.GetFileNameWithoutExtension(file), dataset.Name);
        Assert.Equal(TestData.FunctionVectors(file), dataset.SourceFile);
        Assert.All(dataset.Items, x => Assert.False(string.IsNullOrWhiteSpace(x.Input) || string.IsNullOrWhiteSpace(x.Output)));
    }

    [Fact]
    public void KeepsValuesAndUnicodeAsWritten()
    {
        Assert.Equal(new IclExample("flawed", "perfect"), DatasetLoader.LoadJson(TestData.FunctionVectors("antonym.json")).Items[0]);
        Assert.Equal(new IclExample("dependent", "d\u00e9pendant"), DatasetLoader.LoadJson(TestData.FunctionVectors("english-french.json")).Items[0]);
        // Field order differs in this file ("output" before "input").
        Assert.Equal(new IclExample("Afghanistan", "Kabul"), DatasetLoader.LoadJson(TestData.FunctionVectors("country-capital.json")).Items[0]);
    }

    [Fact]
    public void NumbersAreKeptAsTheirJsonText()
    {
        using var dir = new TempFolder();
        var path = dir.File("numbers.json", "\uFEFF[{\"input\": 3.50, \"output\": \"x\", \"note\": {\"a\": [1]}}, {\"input\": \"y\", \"output\": -2e3}]");
        var items = DatasetLoader.LoadJson(path).Items;
        Assert.Equal(new[] { new IclExample("3.50", "x"), new IclExample("y", "-2e3") }, items);
    }

    [Theory]
    [InlineData("", "EmptyDataFile", null, null)]
    [InlineData("  \n ", "EmptyDataFile", null, null)]
    [InlineData("[]", "EmptyDataset", null, null)]
    [InlineData("[\n  {\"input\": \"a\", \"output\": \"b\"},\n  {\"input\": \"c\" \"output\": \"d\"}\n]", "InvalidJson", 3, null)]
    [InlineData("hello", "InvalidJson", 1, null)]
    [InlineData("\n{\"input\": \"a\", \"output\": \"b\"}", "DataNotAnArray", 2, null)]
    [InlineData("[\n {\"input\": \"a\", \"output\": \"b\"},\n \"loose\"\n]", "DataItemNotObject", 3, 1)]
    [InlineData("[\n {\"input\": \"a\", \"output\": \"b\"},\n {\"input\": \"c\",\n  \"outptu\": \"d\"}\n]", "DataItemMissingField", 3, 1)]
    [InlineData("[\n {\"input\": \"a\",\n  \"output\": true}\n]", "DataItemWrongType", 3, 0)]
    [InlineData("[\n {\"input\": null, \"output\": \"b\"}\n]", "DataItemWrongType", 2, 0)]
    [InlineData("[\n {\"input\": \"a\", \"output\": \"b\"},\n {\"input\": \" \", \"output\": \"b\"}\n]", "DataItemEmptyValue", 3, 1)]
    [InlineData("[\n {\"input\": \"a\", \"input\": \"b\", \"output\": \"c\"}\n]", "DataItemDuplicateField", 2, 0)]
    [InlineData("[{\"input\": \"a\", \"output\": \"b\"}]\n[]", "InvalidJson", 2, null)]
    public void BadJsonNamesFileLineAndItem(string content, string errorId, int? line, int? item)
    {
        using var dir = new TempFolder();
        var path = dir.File("bad.json", content);
        var ex = Assert.Throws<DataFileException>(() => DatasetLoader.LoadJson(path));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(path, ex.File);
        Assert.Equal(line, ex.Line);
        Assert.Equal(item, ex.ItemIndex);
        Assert.Contains(path, ex.Message);
        if (line is int l) Assert.Contains($"line {l}", ex.Message);
        if (item is int i) Assert.Contains($"item {i}", ex.Message);
    }

    [Fact]
    public void MissingFileIsObjectNotFound()
    {
        var ex = Assert.Throws<DataFileException>(() => DatasetLoader.LoadJson("/no/such/file.json"));
        Assert.Equal("DataFileNotFound", ex.ErrorId);
        Assert.Equal(IclErrorKind.ObjectNotFound, ex.Kind);
    }

    [Fact]
    public void CsvReadsQuotedFieldsAndNamedColumns()
    {
        using var dir = new TempFolder();
        var path = dir.File("pairs.csv", "id;Word;answer\n1;\"a;b\";\"say \"\"hi\"\"\"\n2;\"two\nlines\";x\n");
        var dataset = DatasetLoader.LoadCsv(path, "word", "answer", ';');
        Assert.Equal("pairs", dataset.Name);
        Assert.Equal(new[] { new IclExample("a;b", "say \"hi\""), new IclExample("two\nlines", "x") }, dataset.Items);
    }

    [Fact]
    public void CsvMissingColumnNamesTheColumnsFound()
    {
        using var dir = new TempFolder();
        var path = dir.File("pairs.csv", "question,answer\nq,a\n");
        var ex = Assert.Throws<DataFileException>(() => DatasetLoader.LoadCsv(path));
        Assert.Equal("CsvMissingColumn", ex.ErrorId);
        Assert.Contains("'input'", ex.Message);
        Assert.Contains("'question', 'answer'", ex.Message);
    }

    [Theory]
    [InlineData("input,output\na,b\nc,d,e\n", "CsvFieldCountMismatch", 3, 1)]
    [InlineData("input,output\n\"multi\nline\",b\nc\n", "CsvFieldCountMismatch", 4, 1)]
    [InlineData("input,output\na,b\nc,\n", "DataItemEmptyValue", 3, 1)]
    [InlineData("input,output\n", "EmptyDataset", null, null)]
    [InlineData("", "EmptyDataFile", null, null)]
    public void BadCsvNamesFileAndLine(string content, string errorId, int? line, int? item)
    {
        using var dir = new TempFolder();
        var path = dir.File("bad.csv", content);
        var ex = Assert.Throws<DataFileException>(() => DatasetLoader.LoadCsv(path));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(line, ex.Line);
        Assert.Equal(item, ex.ItemIndex);
        Assert.Contains(path, ex.Message);
    }
}
