using System.Management.Automation;
using System.Text.Json;

namespace IclPs.Module.Tests;

[Collection(ModuleCollection.Name)]
public sealed class ImportIclDatasetTests(ModuleFixture module) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iclps-dataset-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string FunctionVectors(string file) => Path.GetFullPath(Path.Combine(module.RepositoryRoot, "..", "shared", "data", "function-vectors", file));

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Antonyms_split_70_15_15_with_seed_0_into_disjoint_parts_covering_the_file()
    {
        var file = FunctionVectors("antonym.json");
        var result = module.Run($$"""
            $ds = Import-IclDataset '{{file}}'
            [pscustomobject]@{
                Type      = $ds.GetType().FullName
                Name      = $ds.Train.Name
                Source    = $ds.Test.SourceFile
                Seed      = $ds.Seed
                Counts    = @($ds.Train.Count, $ds.Valid.Count, $ds.Test.Count)
                Parts     = @($ds.Train.Partition, $ds.Valid.Partition, $ds.Test.Partition)
                Pairs     = @(foreach ($part in $ds.Train, $ds.Valid, $ds.Test) { foreach ($item in $part.Items) { "$($item.Input)`t$($item.Output)" } })
                FirstTest = $ds.Test.Items[0].Input
                Inputs    = @($ds.Test.Items.Input).Count
            }
            """).Succeeded();
        Assert.Equal("IclPs.Engine.Data.IclDatasetSplit", result.Property("Type"));
        Assert.Equal("antonym", result.Property("Name"));
        Assert.Equal(file, result.Property("Source"));
        Assert.Equal(0, result.Property("Seed"));
        Assert.Equal(new object[] { 1679, 360, 359 }, (object[])result.Property("Counts")!);
        Assert.Equal(new object[] { "train", "valid", "test" }, (object[])result.Property("Parts")!);
        Assert.Equal(359, result.Property("Inputs"));
        Assert.False(string.IsNullOrEmpty((string?)result.Property("FirstTest")));

        // Together the parts hold every item of the file exactly once.
        using var json = JsonDocument.Parse(File.ReadAllBytes(file));
        var expected = json.RootElement.EnumerateArray().Select(e => $"{e.GetProperty("input").GetString()}\t{e.GetProperty("output").GetString()}").Order(StringComparer.Ordinal);
        var actual = ((object[])result.Property("Pairs")!).Select(o => o.ToString()!).Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Seed_and_fractions_choose_the_parts_reproducibly()
    {
        var file = FunctionVectors("country-capital.json");
        var result = module.Run($$"""
            function Get-TestInputs($ds) { , [string[]]@($ds.Test.Items.Input) }
            [pscustomobject]@{
                A      = Get-TestInputs (Import-IclDataset '{{file}}' -Seed 11)
                B      = Get-TestInputs (Import-IclDataset '{{file}}' -Seed 11)
                C      = Get-TestInputs (Import-IclDataset '{{file}}' -Seed 12)
                Counts = (Import-IclDataset '{{file}}' -TrainFraction 0.5 -ValidFraction 0) | ForEach-Object { @($_.Train.Count, $_.Valid.Count, $_.Test.Count) }
            }
            """).Succeeded();
        var a = (string[])result.Property("A")!;
        Assert.Equal(29, a.Length);
        Assert.Equal(a, (string[])result.Property("B")!);
        Assert.NotEqual(a, (string[])result.Property("C")!);
        // 197 items: round(98.5) = 99 train (midpoint away from zero), none valid, 98 test.
        Assert.Equal(new object[] { 99, 0, 98 }, (object[])result.Property("Counts")!);
    }

    [Fact]
    public void Files_bind_from_the_pipeline_by_FullName_and_Name_overrides_the_file_name()
    {
        var result = module.Run($$"""
            [System.IO.FileInfo]::new('{{FunctionVectors("antonym.json")}}'), [System.IO.FileInfo]::new('{{FunctionVectors("country-capital.json")}}') |
                Import-IclDataset | ForEach-Object { "$($_.Train.Name) $($_.Train.Count + $_.Valid.Count + $_.Test.Count)" }
            (Import-IclDataset '{{FunctionVectors("antonym.json")}}' -Name opposites).Valid.Name
            """).Succeeded();
        Assert.Equal(["antonym 2398", "country-capital 197", "opposites"], result.Output.Select(o => (string)o.BaseObject));
    }

    [Fact]
    public void Csv_columns_delimiters_quotes_and_number_text_are_read_as_written()
    {
        var csv = Write("words.csv", "id,Word,opposite\r\n1,hot,cold\r\n2,\"big, very\",\"small \"\"tiny\"\"\"\r\n3,3.50,\"two\r\nlines\"\r\n");
        var semicolons = Write("words.txt", "input;output\nup;down\n");
        var tabs = Write("words.tsv", "input\toutput\nleft\tright\n");
        var result = module.Run($$"""
            $csv = Import-IclDataset '{{csv}}' -InputColumn word -OutputColumn opposite -TrainFraction 1 -ValidFraction 0
            $csv.Train.Items | ForEach-Object { "$($_.Input)|$($_.Output)" }
            (Import-IclDataset '{{semicolons}}' -Format Csv -Delimiter ';' -TrainFraction 1 -ValidFraction 0).Train.Items | ForEach-Object { "$($_.Input)|$($_.Output)" }
            (Import-IclDataset '{{tabs}}' -TrainFraction 1 -ValidFraction 0).Train.Items | ForEach-Object { "$($_.Input)|$($_.Output)" }
            """).Succeeded();
        Assert.Equal(["hot|cold", "big, very|small \"tiny\"", "3.50|two\r\nlines", "up|down", "left|right"], result.Output.Select(o => (string)o.BaseObject));
    }

    public static TheoryData<string, string, string, int?> BadFiles => new()
    {
        // file name, content, error id, line the message must name
        { "missing-output.json", "[\n  {\"input\": \"a\", \"output\": \"b\"},\n  {\"input\": \"c\"}\n]", "DataItemMissingField", 3 },
        { "broken.json", "[\n  {\"input\": \"a\", \"output\": \"b\"},\n  {\"input\": \"c\", \"output\": }\n]", "InvalidJson", 3 },
        { "not-array.json", "{\"input\": \"a\"}", "DataNotAnArray", 1 },
        { "short-row.csv", "input,output\na,b\nc\n", "CsvFieldCountMismatch", 3 },
        { "empty-value.csv", "input,output\na,b\nc,\n", "DataItemEmptyValue", 3 },
        { "no-column.csv", "question,answer\na,b\n", "CsvMissingColumn", 1 },
        { "empty.json", "", "EmptyDataFile", null },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Bad_file_is_an_error_naming_file_and_line_and_the_next_file_still_loads(string name, string content, string errorId, int? line)
    {
        var bad = Write(name, content);
        var good = FunctionVectors("country-capital.json");
        var result = module.Run($"'{bad}', '{good}' | Import-IclDataset | ForEach-Object {{ $_.Train.Name }}");
        Assert.Null(result.TerminatingError);
        Assert.Equal("country-capital", result.Single());
        var error = Assert.Single(result.Errors);
        Assert.Equal($"{errorId},IclPs.Cmdlets.ImportIclDatasetCommand", error.FullyQualifiedErrorId);
        Assert.Equal(bad, error.TargetObject);
        Assert.Contains(bad, error.Exception.Message);
        if (line is int l) Assert.Contains($"line {l}", error.Exception.Message);
        Assert.Equal(errorId == "CsvMissingColumn" ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidData, error.CategoryInfo.Category);
    }

    [Fact]
    public void Missing_file_unknown_extension_and_bad_fractions_are_errors()
    {
        var unknown = Write("data.dat", "[{\"input\": \"a\", \"output\": \"b\"}]");
        var result = module.Run($$"""
            $null = $ExecutionContext.SessionState.Path.SetLocation('{{_dir}}')
            Import-IclDataset missing.json
            Import-IclDataset data.dat
            (Import-IclDataset data.dat -Format Json -TrainFraction 1 -ValidFraction 0).Train.Items[0].Output
            Import-IclDataset data.dat -Format Json -TrainFraction 0.9 -ValidFraction 0.2
            """);
        Assert.Null(result.TerminatingError);
        Assert.Equal("b", result.Single());
        Assert.Equal(3, result.Errors.Count);
        Assert.Equal("DataFileNotFound,IclPs.Cmdlets.ImportIclDatasetCommand", result.Errors[0].FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, result.Errors[0].CategoryInfo.Category);
        Assert.Equal(Path.Combine(_dir, "missing.json"), result.Errors[0].TargetObject);
        Assert.Equal("UnknownDataFormat,IclPs.Cmdlets.ImportIclDatasetCommand", result.Errors[1].FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, result.Errors[1].CategoryInfo.Category);
        Assert.Equal(unknown, result.Errors[1].TargetObject);
        Assert.Equal("InvalidSplitFraction,IclPs.Cmdlets.ImportIclDatasetCommand", result.Errors[2].FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, result.Errors[2].CategoryInfo.Category);
    }

    [Fact]
    public void Verbose_reports_the_counts()
    {
        var result = module.Run($"Import-IclDataset '{FunctionVectors("antonym.json")}' -Verbose").Succeeded();
        Assert.Contains(result.Verbose, v => v.Message.EndsWith("as JSON; seed 0 split 1679 train / 360 valid / 359 test.", StringComparison.Ordinal));
    }

    [Fact]
    public void Split_prints_through_its_table_view()
    {
        var (exitCode, stdout, stderr) = module.RunHost(["-Command",
            $"Import-IclDataset '{FunctionVectors("antonym.json")}' -Seed 4; (Import-IclDataset '{FunctionVectors("antonym.json")}').Test | Out-Default"]);
        Assert.True(exitCode == 0, stderr);
        var lines = stdout.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains(lines, l => l.StartsWith("Name", StringComparison.Ordinal) && l.Contains("Train") && l.Contains("Valid") && l.Contains("Test") && l.Contains("Seed") && l.Contains("SourceFile"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^antonym\s+1679\s+360\s+359\s+4\s+\S*antonym\.json$"));
        // A part alone prints through the IclDataset view (Out-Default: a second type in one output stream would be shown as a list).
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^antonym\s+test\s+359\s+\S*antonym\.json$"));
    }
}
