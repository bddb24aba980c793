using System.Management.Automation;

namespace IclPs.Module.Tests;

[Collection(ModuleCollection.Name)]
public sealed class ImportIclModelTests(ModuleFixture module) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iclps-import-model-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string SavedCheckpoint(string name, int seed = 3)
    {
        var folder = Path.Combine(_dir, name);
        module.Run($"New-IclModel -Seed {seed} | Save-IclModel -Path '{folder}'").Succeeded();
        return folder;
    }

    [Fact]
    public void Name_dtype_and_verbose_and_progress_are_applied()
    {
        var folder = SavedCheckpoint("named");
        var result = module.Run($"Import-IclModel -Path '{folder}' -Name mine -DType bfloat16 -Device cpu -Verbose").Succeeded();
        var model = Assert.Single(result.Output);
        Assert.Equal("IclPs.Engine.Models.IclModel", model.TypeNames[0]);
        Assert.Equal("mine", model.Properties["Name"].Value);
        Assert.Equal(folder, model.Properties["Source"].Value);
        var info = module.Run($"Import-IclModel '{folder}' -DType bfloat16 | Get-IclModelInfo").Succeeded();
        Assert.Equal("bfloat16", info.Property("DType"));
        Assert.Equal("cpu", info.Property("Device"));
        Assert.Contains(result.Verbose, v => v.Message.StartsWith("Reading model.safetensors", StringComparison.Ordinal));
        Assert.Contains(result.Verbose, v => v.Message.StartsWith($"Loaded mine from '{folder}'", StringComparison.Ordinal) && v.Message.Contains("as bfloat16"));
        Assert.Contains(result.Progress, p => p.Activity == $"Importing model from {folder}" && p.StatusDescription.StartsWith("Reading model.safetensors", StringComparison.Ordinal));
        Assert.Contains(result.Progress, p => p.RecordType == ProgressRecordType.Completed);
    }

    [Fact]
    public void Folders_bind_from_the_pipeline_by_FullName_and_a_config_path_stands_for_its_folder()
    {
        var a = SavedCheckpoint("a", seed: 1);
        var b = SavedCheckpoint("b", seed: 2);
        var result = module.Run($"[System.IO.DirectoryInfo]::new('{a}'), [System.IO.FileInfo]::new('{b}/config.json') | Import-IclModel | ForEach-Object {{ $_.Name }}").Succeeded();
        Assert.Equal(["a", "b"], result.Output.Select(o => (string)o.BaseObject));
    }

    [Fact]
    public void Missing_folder_is_a_per_item_error_and_the_next_folder_still_loads()
    {
        var good = SavedCheckpoint("good");
        var missing = Path.Combine(_dir, "missing");
        var result = module.Run($"'{missing}', '{good}' | Import-IclModel | ForEach-Object {{ $_.Name }}");
        Assert.Null(result.TerminatingError);
        Assert.Equal("good", result.Single());
        var error = Assert.Single(result.Errors);
        Assert.Equal("CheckpointNotFound,IclPs.Cmdlets.ImportIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal(missing, error.TargetObject);
    }

    [Fact]
    public void Several_paths_in_one_argument_fail_independently()
    {
        var good = SavedCheckpoint("good");
        var result = module.Run($"Import-IclModel -Path '{_dir}/nope1', '{good}', '{_dir}/nope2' | ForEach-Object {{ $_.Name }}");
        Assert.Equal("good", result.Single());
        Assert.Equal([Path.Combine(_dir, "nope1"), Path.Combine(_dir, "nope2")], result.Errors.Select(e => (string)e.TargetObject));
    }

    public static TheoryData<string, string, ErrorCategory, string> Damage => new()
    {
        // damage, error id, category, target: "" the folder, "file:NAME" a file in it, else a tensor name (the engine's target
        // when one tensor is at fault; the message then names the file)
        { "delete config.json", "ModelConfigNotFound", ErrorCategory.ObjectNotFound, "file:config.json" },
        { "delete tokenizer", "TokenizerNotFound", ErrorCategory.ObjectNotFound, "" },
        { "delete weights", "CheckpointWeightsNotFound", ErrorCategory.ObjectNotFound, "" },
        { "truncate weights", "SafetensorsTruncated", ErrorCategory.InvalidData, "transformer.wte.weight" },
        { "corrupt header", "SafetensorsHeaderNotJson", ErrorCategory.InvalidData, "file:model.safetensors" },
        { "cut inside the header", "SafetensorsHeaderTruncated", ErrorCategory.InvalidData, "file:model.safetensors" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void Damaged_checkpoint_is_an_error_with_the_engine_id_category_and_target(string damage, string errorId, ErrorCategory category, string target)
    {
        var folder = SavedCheckpoint("damaged");
        var weights = Path.Combine(folder, "model.safetensors");
        switch (damage)
        {
            case "delete config.json":
                File.Delete(Path.Combine(folder, "config.json"));
                break;
            case "delete tokenizer":
                foreach (var file in Directory.GetFiles(folder, "*tokenizer*")) File.Delete(file);
                break;
            case "delete weights":
                File.Delete(weights);
                break;
            case "truncate weights":
                using (var stream = File.OpenWrite(weights)) stream.SetLength(stream.Length - 100);
                break;
            case "corrupt header":
                using (var stream = File.OpenWrite(weights))
                {
                    stream.Position = 8;
                    stream.Write("#not json#"u8);
                }
                break;
            case "cut inside the header":
                using (var stream = File.OpenWrite(weights)) stream.SetLength(20);
                break;
        }
        var result = module.Run($"Import-IclModel '{folder}'; 'continued'");
        Assert.Null(result.TerminatingError);
        Assert.Equal("continued", result.Single());
        var error = Assert.Single(result.Errors);
        Assert.Equal($"{errorId},IclPs.Cmdlets.ImportIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal(category, error.CategoryInfo.Category);
        var expected = target == "" ? folder : target.StartsWith("file:", StringComparison.Ordinal) ? Path.Combine(folder, target[5..]) : target;
        Assert.Equal(expected, error.TargetObject);
        Assert.Contains(folder, error.Exception.Message);
    }

    [Fact]
    public void Cuda_without_a_cuda_build_stops_the_command_naming_the_device()
    {
        var folder = SavedCheckpoint("cuda");
        var result = module.Run($$"""
            if ([TorchSharp.torch+cuda]::is_available()) { (Import-IclModel '{{folder}}' -Device cuda).Network.Device.ToString() }
            else { Import-IclModel '{{folder}}' -Device cuda }
            """);
        if (result.Output.Count == 1)
        {
            Assert.StartsWith("cuda", (string)result.Single());
            return;
        }
        var error = result.TerminatingError ?? Assert.Single(result.Errors);
        Assert.Equal("CudaNotAvailable,IclPs.Cmdlets.ImportIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        Assert.Equal("cuda", error.TargetObject);
    }

    [Fact]
    public void Device_and_dtype_are_validated_at_binding_like_New_IclModel()
    {
        var result = module.Run("Import-IclModel x -DType float64");
        var error = Assert.Single(result.Errors);
        Assert.Equal("ParameterArgumentValidationError,IclPs.Cmdlets.ImportIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal("DType", Assert.IsAssignableFrom<ParameterBindingException>(error.Exception).ParameterName);
    }
}
