using System.Management.Automation;

namespace IclPs.Module.Tests;

[Collection(ModuleCollection.Name)]
public sealed class ExportIclResultTests(ModuleFixture module) : IDisposable
{
    // Import-Csv is absent from a hosted runspace; the file is read back with CsvHelper (loaded by the module) as an
    // RFC 4180 reader, one string[] per line, header first.
    private const string ReadCsvFunction = """
        function Read-Csv($path) {
            $options = [CsvHelper.CsvReaderOptions]::new()
            $options.HasHeader = $true
            $options.MalformedData = 'Throw'
            $reader = [CsvHelper.CsvReader]::FromFile($path, $options, 'None')
            try {
                , [string[]]@($reader.Headers)
                while ($reader.Read()) { , [string[]]@(for ($i = 0; $i -lt $reader.FieldCount; $i++) { $reader.GetString($i) }) }
            }
            finally { $reader.Dispose() }
        }
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("iclps-export-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[][] Rows(ScriptResult result) => result.Output.Select(o => (string[])o.BaseObject).ToArray();

    private string[] LeftoverTempFiles() => Directory.GetFiles(_dir, ".*.tmp");

    [Fact]
    public void Objects_become_rows_in_property_order_with_invariant_culture()
    {
        var path = Path.Combine(_dir, "results.csv");
        var result = module.Run($$"""
            {{ReadCsvFunction}}
            [System.Threading.Thread]::CurrentThread.CurrentCulture = 'de-DE'
            @(
                [pscustomobject]@{ Query = 'hot'; Score = 0.25; Correct = $true; Tokens = @(1, 2, 3); Note = 'a, "quoted"
            line'; When = [datetime]::new(2024, 5, 6, 7, 8, 9, [System.DateTimeKind]::Utc); Nested = [pscustomobject]@{ k = 1 } }
                [pscustomobject]@{ Query = 'big'; Score = 1234.5; Correct = $false; Tokens = @(); Note = $null; When = $null; Nested = $null }
            ) | Export-IclResult '{{path}}'
            Read-Csv '{{path}}'
            """).Succeeded();
        var rows = Rows(result);
        Assert.Equal(["Query", "Score", "Correct", "Tokens", "Note", "When", "Nested"], rows[0]);
        Assert.Equal(["hot", "0.25", "True", "1;2;3", "a, \"quoted\"\nline", "2024-05-06T07:08:09.0000000Z", "@{k=1}"], rows[1]);
        Assert.Equal(["big", "1234.5", "False", "", "", "", ""], rows[2]);
        Assert.Equal(3, rows.Length);
        Assert.StartsWith("Query,Score,Correct,Tokens,Note,When,Nested\r\n", File.ReadAllText(path));
    }

    [Fact]
    public void Vectors_are_summarised_unless_FlattenVectors()
    {
        var summary = Path.Combine(_dir, "summary.csv");
        var flat = Path.Combine(_dir, "flat.csv");
        var result = module.Run($$"""
            {{ReadCsvFunction}}
            $rows = @(
                [pscustomobject]@{ Layer = 1; Vector = [float[]]@(3, 4); Weights = [double[]]@(0.5, -1) }
                [pscustomobject]@{ Layer = 2; Vector = [float[]]@(0, 1); Weights = [double[]]@(2, 0) }
            )
            $rows | Export-IclResult '{{summary}}'
            $rows | Export-IclResult '{{flat}}' -FlattenVectors
            Read-Csv '{{summary}}'
            Read-Csv '{{flat}}'
            """).Succeeded();
        var rows = Rows(result);
        Assert.Equal(["Layer", "Vector", "Weights"], rows[0]);
        Assert.Equal(["1", "dim=2;norm=5", "dim=2;norm=1.11803"], rows[1]);
        Assert.Equal(["2", "dim=2;norm=1", "dim=2;norm=2"], rows[2]);
        Assert.Equal(["Layer", "Vector_0", "Vector_1", "Weights_0", "Weights_1"], rows[3]);
        Assert.Equal(["1", "3", "4", "0.5", "-1"], rows[4]);
        Assert.Equal(["2", "0", "1", "2", "0"], rows[5]);
    }

    [Fact]
    public void Engine_objects_export_their_properties()
    {
        var path = Path.Combine(_dir, "train.csv");
        var antonyms = Path.GetFullPath(Path.Combine(module.RepositoryRoot, "..", "shared", "data", "function-vectors", "antonym.json"));
        var result = module.Run($$"""
            {{ReadCsvFunction}}
            $ds = Import-IclDataset '{{antonyms}}'
            $ds.Train.Items | Export-IclResult '{{path}}'
            $rows = @(Read-Csv '{{path}}')
            [pscustomobject]@{
                Header = $rows[0]
                Count  = $rows.Count - 1
                Same   = @(for ($i = 0; $i -lt $ds.Train.Count; $i++) {
                             $item = $ds.Train.Items[$i]
                             if ($rows[$i + 1][0] -cne $item.Input -or $rows[$i + 1][1] -cne $item.Output) { $i } }).Count -eq 0
            }
            """).Succeeded();
        Assert.Equal(["Input", "Output"], (string[])result.Property("Header")!);
        Assert.Equal(1679, result.Property("Count"));
        Assert.Equal(true, result.Property("Same"));
    }

    [Fact]
    public void Error_mid_pipeline_leaves_the_existing_file_untouched()
    {
        var path = Path.Combine(_dir, "keep.csv");
        File.WriteAllText(path, "n\r\n41\r\n42\r\n");
        var before = File.ReadAllBytes(path);
        var result = module.Run($$"""
            1..5 | ForEach-Object { if ($_ -eq 3) { throw 'upstream failure' }; [pscustomobject]@{ n = $_ } } | Export-IclResult '{{path}}'
            """);
        Assert.NotNull(result.TerminatingError);
        Assert.Contains("upstream failure", result.TerminatingError!.Exception.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(LeftoverTempFiles());
    }

    [Fact]
    public void Stopping_the_pipeline_leaves_the_existing_file_untouched()
    {
        var path = Path.Combine(_dir, "stopped.csv");
        File.WriteAllText(path, "n\r\n1\r\n");
        var before = File.ReadAllBytes(path);
        using var runspace = module.OpenRunspace();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript($"1..100000000 | ForEach-Object {{ [pscustomobject]@{{ n = $_ }} }} | Export-IclResult '{path}'");
        var running = ps.BeginInvoke();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        // Wait until rows are being staged, as when a user presses Ctrl+C during a long export.
        while (LeftoverTempFiles().Length == 0 || new FileInfo(LeftoverTempFiles()[0]).Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the export never started staging rows");
            Thread.Sleep(20);
        }
        Thread.Sleep(100);
        ps.Stop();
        Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(running));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(LeftoverTempFiles());
    }

    [Fact]
    public void Append_adds_rows_under_the_same_header_and_refuses_a_different_one()
    {
        var path = Path.Combine(_dir, "append.csv");
        var first = module.Run($$"""
            {{ReadCsvFunction}}
            [pscustomobject]@{ Model = 'a'; Accuracy = 0.5 } | Export-IclResult '{{path}}'
            [pscustomobject]@{ Model = 'b'; Accuracy = 0.75 }, [pscustomobject]@{ Model = 'c'; Accuracy = 1 } | Export-IclResult '{{path}}' -Append
            Read-Csv '{{path}}'
            """).Succeeded();
        Assert.Equal([["Model", "Accuracy"], ["a", "0.5"], ["b", "0.75"], ["c", "1"]], Rows(first));

        var before = File.ReadAllBytes(path);
        // One error, not one per row: the mismatch stops the command.
        var mismatch = module.Run($"[pscustomobject]@{{ Model = 'd'; Loss = 2 }}, [pscustomobject]@{{ Model = 'e'; Loss = 3 }} | Export-IclResult '{path}' -Append; 'next'");
        Assert.Equal("next", mismatch.Single());
        var error = Assert.Single(mismatch.Errors);
        Assert.Equal("CsvHeaderMismatch,IclPs.Cmdlets.ExportIclResultCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Equal(path, error.TargetObject);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(LeftoverTempFiles());
    }

    [Fact]
    public void Row_with_a_column_outside_the_header_is_reported_and_the_rest_written()
    {
        var path = Path.Combine(_dir, "ragged.csv");
        var result = module.Run($$"""
            {{ReadCsvFunction}}
            [pscustomobject]@{ a = 1; b = 2 }, [pscustomobject]@{ a = 3; c = 4 }, [pscustomobject]@{ b = 6 } | Export-IclResult '{{path}}'
            Read-Csv '{{path}}'
            """);
        Assert.Null(result.TerminatingError);
        var error = Assert.Single(result.Errors);
        Assert.Equal("CsvRowColumnMismatch,IclPs.Cmdlets.ExportIclResultCommand", error.FullyQualifiedErrorId);
        Assert.Equal("c", error.TargetObject);
        Assert.Equal([["a", "b"], ["1", "2"], ["", "6"]], Rows(result));
    }

    [Fact]
    public void WhatIf_writes_nothing()
    {
        var fresh = Path.Combine(_dir, "fresh.csv");
        var existing = Path.Combine(_dir, "existing.csv");
        File.WriteAllText(existing, "x\r\n1\r\n");
        var result = module.Run($$"""
            [pscustomobject]@{ x = 2 } | Export-IclResult '{{fresh}}' -WhatIf -PassThru
            [pscustomobject]@{ x = 3 } | Export-IclResult '{{existing}}' -WhatIf
            [pscustomobject]@{ x = 4 } | Export-IclResult '{{existing}}' -Append -WhatIf
            """).Succeeded();
        Assert.Empty(result.Output);
        Assert.False(File.Exists(fresh));
        Assert.Equal("x\r\n1\r\n", File.ReadAllText(existing));
        Assert.Empty(LeftoverTempFiles());
    }

    [Fact]
    public void PassThru_emits_the_file_verbose_counts_rows_and_no_input_writes_nothing()
    {
        var result = module.Run($$"""
            $null = $ExecutionContext.SessionState.Path.SetLocation('{{_dir}}')
            $file = 1..3 | ForEach-Object { [pscustomobject]@{ i = $_ } } | Export-IclResult out.csv -PassThru -Verbose
            @() | Export-IclResult empty.csv -PassThru
            [pscustomobject]@{ Type = $file.GetType().FullName; FullName = $file.FullName }
            """).Succeeded();
        Assert.Equal("System.IO.FileInfo", result.Property("Type"));
        Assert.Equal(Path.Combine(_dir, "out.csv"), result.Property("FullName"));
        Assert.Contains(result.Verbose, v => v.Message == $"Wrote 3 row(s) of 1 column(s) to '{Path.Combine(_dir, "out.csv")}'.");
        Assert.False(File.Exists(Path.Combine(_dir, "empty.csv")));
    }

    [Fact]
    public void Missing_folder_stops_the_command_with_the_engine_error()
    {
        var path = Path.Combine(_dir, "no-such-folder", "r.csv");
        // A cmdlet's terminating error ends its statement; the script goes on.
        var result = module.Run($"[pscustomobject]@{{ a = 1 }} | Export-IclResult '{path}'; 'next'");
        Assert.Equal("next", result.Single());
        var error = Assert.Single(result.Errors);
        Assert.Equal("OutputDirectoryNotFound,IclPs.Cmdlets.ExportIclResultCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal(path, error.TargetObject);
    }
}
