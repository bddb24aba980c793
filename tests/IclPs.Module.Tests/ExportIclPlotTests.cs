using System.Buffers.Binary;

namespace IclPs.Module.Tests;

[Collection(ModuleCollection.Name)]
public sealed class ExportIclPlotTests(ModuleFixture module) : IDisposable
{
    // Similarity-style rows: two series over four layers with standard deviations.
    private const string SimilarityRows = """
        $rows = foreach ($pair in 'Icl', 'OtherModel') { foreach ($layer in 0..3) {
            [pscustomobject]@{ Layer = $layer; ConditionB = $pair; MeanCosine = $(if ($pair -eq 'Icl') { 0.9 - 0.05 * $layer } else { 0.2 + 0.1 * $layer }); StdCosine = 0.05 }
        } }
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("iclps-plot-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>Width and height from the PNG's IHDR chunk, after checking the signature.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    /// <summary>Variance of the decoded pixel bytes, decoded by the SkiaSharp the module loaded: 0 for a blank image.</summary>
    private double PixelVariance(string path)
    {
        var result = module.Run($"[SkiaSharp.SKBitmap]::Decode('{path}').Bytes").Succeeded();
        var bytes = result.Output.Select(o => Convert.ToDouble(o.BaseObject)).ToArray();
        Assert.NotEmpty(bytes);
        var mean = bytes.Average();
        return bytes.Select(b => (b - mean) * (b - mean)).Average();
    }

    [Fact]
    public void Line_plot_of_similarity_rows_has_the_requested_size_and_content()
    {
        var path = PathOf("similarity.png");
        var result = module.Run($$"""
            {{SimilarityRows}}
            $rows | Export-IclPlot '{{path}}' -X Layer -Y MeanCosine -Series ConditionB -ErrorBar StdCosine -Title 'Similarity' -Width 640 -Height 400 -PassThru -Verbose
            """).Succeeded();
        var file = Assert.IsType<FileInfo>(result.Single());
        Assert.Equal(path, file.FullName);
        Assert.Equal((640, 400), PngSize(path));
        Assert.True(PixelVariance(path) > 0);
        Assert.Contains(result.Verbose, v => v.Message.Contains("8 point(s) in 2 series"));
        Assert.Contains(result.Verbose, v => v.Message.Contains("SkiaSharp and HarfBuzzSharp natives resolved from"));
        Assert.Empty(Directory.GetFiles(_dir, ".*.tmp"));
    }

    [Fact]
    public void Different_data_gives_a_different_image()
    {
        var a = PathOf("a.png");
        var b = PathOf("b.png");
        module.Run($$"""
            {{SimilarityRows}}
            $rows | Export-IclPlot '{{a}}' -X Layer -Y MeanCosine -Series ConditionB
            $rows | ForEach-Object { $_.MeanCosine = -$_.MeanCosine; $_ } | Export-IclPlot '{{b}}' -X Layer -Y MeanCosine -Series ConditionB
            """).Succeeded();
        Assert.NotEqual(File.ReadAllBytes(a), File.ReadAllBytes(b));
    }

    [Fact]
    public void Heatmap_of_layer_by_head_rows_accepts_numbers_written_as_text()
    {
        // Import-Csv gives every value as a string; numbers in invariant text must plot.
        var path = PathOf("heads.png");
        module.Run($$"""
            $(foreach ($layer in 0..2) { foreach ($head in 0..3) { [pscustomobject]@{ Layer = "$layer"; Head = $head; Theta = "$($layer * 0.5 - $head * 0.25)" } } }) |
                Export-IclPlot '{{path}}' -Kind Heatmap -Row Layer -Column Head -Value Theta -Width 500 -Height 300
            """).Succeeded();
        Assert.Equal((500, 300), PngSize(path));
        Assert.True(PixelVariance(path) > 0);
    }

    [Fact]
    public void Log2_x_axis_plots_a_task_diversity_sweep()
    {
        var path = PathOf("sweep.png");
        module.Run($$"""
            0..8 | ForEach-Object { [pscustomobject]@{ M = [math]::Pow(2, $_); Loss = 1 / ($_ + 1) } } | Export-IclPlot '{{path}}' -X M -Y Loss -LogX
            """).Succeeded();
        Assert.Equal((800, 500), PngSize(path));
    }

    [Fact]
    public void Missing_property_stops_with_an_error_naming_it_and_writes_nothing()
    {
        var path = PathOf("missing.png");
        var result = module.Run($$"""
            {{SimilarityRows}}
            $rows | Export-IclPlot '{{path}}' -X Layer -Y MeanCosin
            """);
        var error = Assert.Single(result.Errors);
        Assert.Equal("PlotPropertyNotFound,IclPs.Cmdlets.ExportIclPlotCommand", error.FullyQualifiedErrorId);
        Assert.Equal("MeanCosin", error.TargetObject);
        Assert.Contains("'MeanCosin'", error.Exception.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Non_numeric_value_is_an_error_for_that_row_and_the_rest_are_plotted()
    {
        var path = PathOf("partial.png");
        var result = module.Run($$"""
            [pscustomobject]@{ x = 1; y = 2 }, [pscustomobject]@{ x = 2; y = 'high' }, [pscustomobject]@{ x = 3; y = 1 } |
                Export-IclPlot '{{path}}' -X x -Y y -Verbose
            """);
        Assert.Null(result.TerminatingError);
        var error = Assert.Single(result.Errors);
        Assert.Equal("PlotValueNotNumeric,IclPs.Cmdlets.ExportIclPlotCommand", error.FullyQualifiedErrorId);
        Assert.Equal("high", error.TargetObject);
        Assert.Contains(result.Verbose, v => v.Message.Contains("2 point(s) in 1 series"));
        Assert.True(File.Exists(path));

        var none = module.Run($"[pscustomobject]@{{ x = 'a'; y = 1 }} | Export-IclPlot '{PathOf("none.png")}' -X x -Y y");
        Assert.Equal(["PlotValueNotNumeric,IclPs.Cmdlets.ExportIclPlotCommand", "PlotNoRows,IclPs.Cmdlets.ExportIclPlotCommand"], none.Errors.Select(e => e.FullyQualifiedErrorId));
        Assert.False(File.Exists(PathOf("none.png")));
    }

    [Fact]
    public void WhatIf_writes_nothing_and_leaves_an_existing_file()
    {
        var fresh = PathOf("fresh.png");
        var existing = PathOf("existing.png");
        File.WriteAllText(existing, "keep");
        module.Run($$"""
            {{SimilarityRows}}
            $rows | Export-IclPlot '{{fresh}}' -X Layer -Y MeanCosine -WhatIf
            $rows | Export-IclPlot '{{existing}}' -X Layer -Y MeanCosine -WhatIf
            """).Succeeded();
        Assert.False(File.Exists(fresh));
        Assert.Equal("keep", File.ReadAllText(existing));
        Assert.Equal([existing], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Kind_must_match_the_property_parameters()
    {
        var result = module.Run($"[pscustomobject]@{{ x = 1; y = 2 }} | Export-IclPlot '{PathOf("k.png")}' -Kind Heatmap -X x -Y y");
        Assert.Equal("PlotKindParameterMismatch,IclPs.Cmdlets.ExportIclPlotCommand", Assert.Single(result.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Plot_similarity_example_runs_with_core_cmdlets_only()
    {
        using var runspace = module.OpenRunspace();
        var script = Path.Combine(module.RepositoryRoot, "examples", "plot-similarity.ps1");
        var result = ModuleFixture.Run(runspace, $"& '{script}' -Preset gpt2-tiny -Queries 4 -Shots 2 -OutDir '{_dir}'").Succeeded();
        Assert.StartsWith("wrote ", (string)result.Single());
        Assert.Equal((800, 500), PngSize(PathOf("similarity.png")));
        Assert.True(File.Exists(PathOf("similarity.csv")));
    }

    [Fact]
    public void Module_folder_carries_the_plotting_natives()
    {
        Assert.True(File.Exists(Path.Combine(module.ModulePath, "IclPs.Plotting.dll")));
        if (OperatingSystem.IsLinux())
        {
            var native = Path.Combine(module.ModulePath, "runtimes", "linux-x64", "native");
            Assert.True(File.Exists(Path.Combine(native, "libSkiaSharp.so")));
            Assert.True(File.Exists(Path.Combine(native, "libHarfBuzzSharp.so")));
        }
    }
}
