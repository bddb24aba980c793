using System.Management.Automation;

namespace IclPs.Module.Tests;

[Collection(ModuleCollection.Name)]
public sealed class NewIclModelTests(ModuleFixture module) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iclps-module-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Default_is_the_gpt2_tiny_preset_on_cpu_in_float32()
    {
        var result = module.Run("""
            $m = New-IclModel
            [pscustomobject]@{
                Type        = $m.GetType().FullName
                SameConfig  = $m.Config -eq [IclPs.Engine.Models.ModelConfig]::Presets['gpt2-tiny']
                Name        = $m.Name
                Source      = $m.Source
                Identity    = $m.Network.Identity
                Device      = $m.Network.Device.ToString()
                DType       = $m.Network.DType.ToString()
                VocabSize   = $m.Tokenizer.VocabSize
                RoundTrip   = $m.Tokenizer.Decode($m.Tokenizer.Encode('héllo'))
            }
            """).Succeeded();
        Assert.Equal("IclPs.Engine.Models.IclModel", result.Property("Type"));
        Assert.Equal(true, result.Property("SameConfig"));
        Assert.Equal("gpt2-tiny", result.Property("Name"));
        Assert.Equal("preset:gpt2-tiny seed:0", result.Property("Source"));
        Assert.Equal("preset:gpt2-tiny seed:0", result.Property("Identity"));
        Assert.Equal("cpu", result.Property("Device"));
        Assert.Equal("Float32", result.Property("DType"));
        Assert.Equal(260, result.Property("VocabSize"));
        Assert.Equal("héllo", result.Property("RoundTrip"));
    }

    [Theory]
    [InlineData("llama-tiny", "Llama", 2, 64, 4)]
    [InlineData("gpt2-mini", "Gpt2", 4, 128, 4)]
    public void Preset_sets_the_architecture(string preset, string family, int layers, int dModel, int heads)
    {
        var result = module.Run($"New-IclModel -Preset {preset} -Name custom | Get-IclModelInfo").Succeeded();
        Assert.Equal("IclPs.ModelInfo", Assert.Single(result.Output).TypeNames[0]);
        Assert.Equal("custom", result.Property("Name"));
        Assert.Equal(family, result.Property("Family")!.ToString());
        Assert.Equal(layers, result.Property("Layers"));
        Assert.Equal(dModel, result.Property("DModel"));
        Assert.Equal(heads, result.Property("Heads"));
        Assert.Equal($"preset:{preset} seed:0", result.Property("Source"));
    }

    [Fact]
    public void Reported_parameter_count_matches_the_allocated_tensors()
    {
        var result = module.Run("""
            $m = New-IclModel -Preset llama-tiny
            $n = 0L
            foreach ($p in $m.Network.CheckpointTensors()) { $n += $p.Item2.numel() }
            [pscustomobject]@{ Counted = $n; Reported = ($m | Get-IclModelInfo).Parameters }
            """).Succeeded();
        Assert.Equal(result.Property("Counted"), result.Property("Reported"));
    }

    [Fact]
    public void Same_seed_gives_identical_parameters_and_another_seed_does_not()
    {
        var result = module.Run("""
            function Get-Parameters($m) { @($m.Network.CheckpointTensors() | ForEach-Object { $_.Item2 }) }
            $a = Get-Parameters (New-IclModel -Seed 7)
            $b = Get-Parameters (New-IclModel -Seed 7)
            $c = Get-Parameters (New-IclModel -Seed 8)
            [pscustomobject]@{
                Count        = $a.Count
                AllEqualSame = @(0..($a.Count - 1) | Where-Object { -not $a[$_].allclose($b[$_], 0, 0) }).Count -eq 0
                AnyDiffer    = @(0..($a.Count - 1) | Where-Object { -not $a[$_].allclose($c[$_], 0, 0) }).Count -gt 0
                FirstA       = $a[0].flatten().narrow(0, 0, 8).data[float]().ToArray()
                FirstB       = $b[0].flatten().narrow(0, 0, 8).data[float]().ToArray()
                FirstC       = $c[0].flatten().narrow(0, 0, 8).data[float]().ToArray()
            }
            """).Succeeded();
        Assert.True((int)result.Property("Count")! > 10);
        Assert.Equal(true, result.Property("AllEqualSame"));
        Assert.Equal(true, result.Property("AnyDiffer"));
        var firstA = (float[])result.Property("FirstA")!;
        Assert.Equal(firstA, (float[])result.Property("FirstB")!);
        Assert.NotEqual(firstA, (float[])result.Property("FirstC")!);
        Assert.Contains(firstA, v => v != 0f);
    }

    [Fact]
    public void DType_is_applied_and_reported_in_the_parameter_word()
    {
        var result = module.Run("New-IclModel -DType bfloat16 | Get-IclModelInfo").Succeeded();
        Assert.Equal("bfloat16", result.Property("DType"));
    }

    [Fact]
    public void Config_path_builds_that_architecture_named_after_its_folder()
    {
        var folder = Path.Combine(_dir, "my-llama");
        var result = module.Run($$"""
            $null = [System.IO.Directory]::CreateDirectory('{{folder}}')
            [System.IO.File]::WriteAllText('{{folder}}/config.json', [IclPs.Engine.Models.ModelConfig]::Presets['llama-tiny'].ToHfJson())
            $m = New-IclModel -ConfigPath '{{folder}}/config.json' -Seed 3
            [pscustomobject]@{ Name = $m.Name; Same = $m.Config -eq [IclPs.Engine.Models.ModelConfig]::Presets['llama-tiny']; Source = $m.Source }
            """).Succeeded();
        Assert.Equal("my-llama", result.Property("Name"));
        Assert.Equal(true, result.Property("Same"));
        Assert.Equal($"config:{Path.Combine(folder, "config.json")} seed:3", result.Property("Source"));
    }

    [Fact]
    public void Missing_config_path_is_a_per_item_error_naming_the_resolved_file()
    {
        // Relative paths resolve against the PowerShell location, not the process directory.
        var result = module.Run($$"""
            $null = $ExecutionContext.SessionState.Path.SetLocation('{{_dir}}')
            New-IclModel -ConfigPath missing/config.json
            'continued'
            """);
        Assert.Null(result.TerminatingError);
        Assert.Equal("continued", result.Single());
        var error = Assert.Single(result.Errors);
        Assert.Equal("ModelConfigNotFound,IclPs.Cmdlets.NewIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal(Path.Combine(_dir, "missing", "config.json"), error.TargetObject);
        Assert.Equal("IclPs.Engine.IclPsException", error.Exception.GetType().BaseType!.FullName);
    }

    [Fact]
    public void Piped_config_paths_yield_a_model_per_good_file_and_an_error_per_bad_one()
    {
        var good = Path.Combine(_dir, "good", "config.json");
        var bad = Path.Combine(_dir, "bad", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(good)!);
        Directory.CreateDirectory(Path.GetDirectoryName(bad)!);
        File.WriteAllText(good, """{"model_type":"gpt2","vocab_size":300,"n_positions":32,"n_embd":32,"n_layer":1,"n_head":4}""");
        File.WriteAllText(bad, """{"model_type":"gpt2","vocab_size":300,"n_positions":32,"n_embd":32,"n_layer":1,"n_head":5}""");
        // A FileInfo binds through the FullName alias, as Get-ChildItem output does.
        var result = module.Run($"'{bad}', [System.IO.FileInfo]::new('{good}') | New-IclModel | ForEach-Object {{ $_.Name }}");
        Assert.Null(result.TerminatingError);
        Assert.Equal("good", result.Single());
        var error = Assert.Single(result.Errors);
        Assert.Equal("InvalidModelConfigField,IclPs.Cmdlets.NewIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Equal("n_head", error.TargetObject);
    }

    [Fact]
    public void Vocabulary_smaller_than_the_byte_tokenizer_is_rejected()
    {
        var path = Path.Combine(_dir, "small", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, """{"model_type":"gpt2","vocab_size":100,"n_positions":32,"n_embd":32,"n_layer":1,"n_head":4}""");
        var result = module.Run($"New-IclModel -ConfigPath '{path}'");
        var error = Assert.Single(result.Errors);
        Assert.Equal("TokenizerVocabularyTooLarge,IclPs.Cmdlets.NewIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Equal($"config:{path}", error.TargetObject);
        Assert.Empty(result.Output);
    }

    [Fact]
    public void Unknown_preset_fails_parameter_binding()
    {
        var result = module.Run("New-IclModel -Preset gpt9-huge; 'next statement'");
        // A binding failure ends its statement, not the script.
        Assert.Equal("next statement", result.Single());
        var error = Assert.Single(result.Errors);
        Assert.Equal("ParameterArgumentValidationError,IclPs.Cmdlets.NewIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Equal("Preset", Assert.IsAssignableFrom<ParameterBindingException>(error.Exception).ParameterName);
        Assert.Contains("gpt2-tiny", error.Exception.Message);
    }

    [Fact]
    public void Cuda_without_a_cuda_build_is_an_error_naming_the_device()
    {
        var result = module.Run("""
            if ([TorchSharp.torch+cuda]::is_available()) { (New-IclModel -Device cuda).Network.Device.ToString() }
            else { New-IclModel -Device cuda }
            """);
        if (result.Output.Count == 1)
        {
            // A CUDA build on a GPU machine: the model must really be there.
            Assert.StartsWith("cuda", (string)result.Single());
            return;
        }
        var error = Assert.Single(result.Errors);
        Assert.Equal("CudaNotAvailable,IclPs.Cmdlets.NewIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        Assert.Equal("cuda", error.TargetObject);
    }

    [Fact]
    public void Preset_completion_offers_the_engine_presets()
    {
        var result = module.Run("""
            (TabExpansion2 -inputScript 'New-IclModel -Preset gpt2-' -cursorColumn 26).CompletionMatches | ForEach-Object { $_.CompletionText }
            """).Succeeded();
        Assert.Equal(["gpt2-mini", "gpt2-small", "gpt2-tiny"], result.Output.Select(o => o.ToString()).Order().ToArray());
    }
}
