using System.Management.Automation;

namespace IclPs.Module.Tests;

[Collection(ModuleCollection.Name)]
public sealed class SaveIclModelTests(ModuleFixture module) : IDisposable
{
    // Logits of one prompt as a flat float[]: the model's behaviour, compared exactly across a save and load.
    private const string LogitsFunction = """
        function Get-Logits($m) {
            $ids = [long[]]@($m.Tokenizer.Encode('hot -> cold; big ->'))
            # The comma keeps the array whole; a function's output is otherwise unrolled into object[].
            , $m.Network.Forward([TorchSharp.torch]::tensor($ids).unsqueeze(0)).to_type('Float32').flatten().data[float]().ToArray()
        }
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("iclps-save-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Saved_model_imports_with_the_same_logits_config_and_tokenizer()
    {
        var folder = Path.Combine(_dir, "seed3");
        var result = module.Run($$"""
            {{LogitsFunction}}
            $original = New-IclModel -Seed 3
            $original | Save-IclModel -Path '{{folder}}'
            $loaded = Import-IclModel '{{folder}}'
            [pscustomobject]@{
                Original   = Get-Logits $original
                Loaded     = Get-Logits $loaded
                Other      = Get-Logits (New-IclModel -Seed 4)
                SameConfig = $loaded.Config -eq $original.Config
                Tokenizer  = $loaded.Tokenizer.Name -eq $original.Tokenizer.Name
                Name       = $loaded.Name
                Source     = $loaded.Source
            }
            """).Succeeded();
        var original = (float[])result.Property("Original")!;
        Assert.True(original.Length > 260, "one logit row per prompt position");
        Assert.Equal(original, (float[])result.Property("Loaded")!);
        Assert.NotEqual(original, (float[])result.Property("Other")!);
        Assert.Equal(true, result.Property("SameConfig"));
        Assert.Equal(true, result.Property("Tokenizer"));
        Assert.Equal("seed3", result.Property("Name"));
        Assert.Equal(folder, result.Property("Source"));
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(folder, "config.json")));
    }

    [Fact]
    public void WhatIf_writes_nothing()
    {
        var folder = Path.Combine(_dir, "whatif");
        var result = module.Run($"New-IclModel | Save-IclModel -Path '{folder}' -WhatIf -PassThru").Succeeded();
        Assert.Empty(result.Output);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void Existing_checkpoint_is_kept_unless_Force()
    {
        var folder = Path.Combine(_dir, "existing");
        module.Run($"New-IclModel -Seed 1 | Save-IclModel '{folder}'").Succeeded();
        var weights = Path.Combine(folder, "model.safetensors");
        var before = File.ReadAllBytes(weights);

        var refused = module.Run($"New-IclModel -Seed 2 | Save-IclModel '{folder}' -PassThru; 'continued'");
        Assert.Null(refused.TerminatingError);
        Assert.Equal("continued", refused.Single());
        var error = Assert.Single(refused.Errors);
        Assert.Equal("CheckpointExists,IclPs.Cmdlets.SaveIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, error.CategoryInfo.Category);
        Assert.Equal(folder, error.TargetObject);
        Assert.Contains("-Force", error.Exception.Message);
        Assert.Equal(before, File.ReadAllBytes(weights));

        var forced = module.Run($$"""
            {{LogitsFunction}}
            New-IclModel -Seed 2 | Save-IclModel '{{folder}}' -Force
            [pscustomobject]@{ Loaded = Get-Logits (Import-IclModel '{{folder}}'); Seed2 = Get-Logits (New-IclModel -Seed 2) }
            """).Succeeded();
        Assert.NotEqual(before, File.ReadAllBytes(weights));
        Assert.Equal((float[])forced.Property("Seed2")!, (float[])forced.Property("Loaded")!);
    }

    [Fact]
    public void Small_shard_size_writes_shards_that_import_identically_and_PassThru_emits_the_folder()
    {
        var folder = Path.Combine(_dir, "sharded");
        var result = module.Run($$"""
            {{LogitsFunction}}
            $model = New-IclModel -Preset llama-tiny -Seed 5
            $saved = $model | Save-IclModel -Path '{{folder}}' -MaxShardSize 64KB -PassThru
            [pscustomobject]@{
                Type     = $saved.GetType().FullName
                FullName = $saved.FullName
                Original = Get-Logits $model
                Loaded   = Get-Logits (Import-IclModel $saved)
            }
            """).Succeeded();
        Assert.Equal("System.IO.DirectoryInfo", result.Property("Type"));
        Assert.Equal(folder, result.Property("FullName"));
        Assert.Equal((float[])result.Property("Original")!, (float[])result.Property("Loaded")!);
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors.index.json")));
        Assert.False(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.True(Directory.GetFiles(folder, "model-*-of-*.safetensors").Length > 1);
        Assert.Contains(result.Progress, p => p.Activity.StartsWith("Saving model llama-tiny", StringComparison.Ordinal) && p.StatusDescription.StartsWith("Writing model-", StringComparison.Ordinal));
        Assert.Contains(result.Progress, p => p.RecordType == ProgressRecordType.Completed && p.Activity.StartsWith("Saving model", StringComparison.Ordinal));
    }

    [Fact]
    public void Relative_path_resolves_against_the_PowerShell_location_and_verbose_says_what_was_saved()
    {
        var result = module.Run($$"""
            $null = $ExecutionContext.SessionState.Path.SetLocation('{{_dir}}')
            New-IclModel -Name rel | Save-IclModel relative -Verbose
            """).Succeeded();
        Assert.True(File.Exists(Path.Combine(_dir, "relative", "config.json")));
        Assert.Contains(result.Verbose, v => v.Message.StartsWith($"Saved rel (", StringComparison.Ordinal) && v.Message.Contains(Path.Combine(_dir, "relative")));
    }

    [Fact]
    public void Path_that_is_a_file_is_an_error()
    {
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "keep me");
        var result = module.Run($"New-IclModel | Save-IclModel '{file}'");
        var error = Assert.Single(result.Errors);
        Assert.Equal("CheckpointPathIsFile,IclPs.Cmdlets.SaveIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal(file, error.TargetObject);
        Assert.Equal("keep me", File.ReadAllText(file));
    }
}
