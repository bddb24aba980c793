using System.Management.Automation;

namespace IclPs.Module.Tests;

/// <summary>Parameters and errors of the task-vector cmdlets: where -Loss lives, -Layer's check, Export-TaskVector's write failures.</summary>
[Collection(ModuleCollection.Name)]
public sealed class TaskVectorCmdletTests(ModuleFixture module)
{
    private string Setup => module.AntonymSetup;

    [Fact]
    public void Loss_belongs_to_New_TaskVector_on_regression_models_only()
    {
        var result = module.Run("""
            $loss = (Get-Command New-TaskVector).Parameters['Loss']
            [string]::Join(',', [string[]]@($loss.ParameterSets.Keys))
            (Get-Command Measure-HeadEffect).Parameters.ContainsKey('Loss')
            """).Succeeded();
        Assert.Equal(["Regression", "False"], result.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Start_IclTraining_completes_model_presets_like_New_IclModel()
    {
        var result = module.Run("""
            $attributes = (Get-Command Start-IclTraining).Parameters['ModelPreset'].Attributes
            $found = $false
            foreach ($a in $attributes) { if ($a -is [System.Management.Automation.ArgumentCompleterAttribute]) { $found = $a.Type.Name } }
            $found
            """).Succeeded();
        Assert.Equal("PresetCompleter", result.Single());
    }

    [Theory]
    [InlineData("TaskVector")]
    [InlineData("FunctionVector")]
    public void A_layer_outside_the_model_is_the_methods_option_error(string method)
    {
        var result = module.Run(Setup + $"""
            New-TaskVector -Model $m -Dataset $ds -Method {method} -Shots 2 -Prompts 2 -ValidationPrompts 2 -EffectPrompts 2 -Layer 99
            """);
        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal("InvalidTaskVectorOption,IclPs.Cmdlets.NewTaskVectorCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal(99, error.TargetObject);
    }

    [Fact]
    public void Export_TaskVector_reports_a_write_failure_with_its_id_and_path()
    {
        var blocker = Path.GetTempFileName();   // a file where the export wants a folder
        try
        {
            var result = module.Run(Setup + $"""
                $tv = New-TaskVector -Model $m -Dataset $ds -Method TaskVector -Shots 2 -Prompts 2 -ValidationPrompts 2 -Layer 0
                $tv, $tv | Export-TaskVector '{blocker}/tv' -PassThru
                'after'
                """);
            Assert.Null(result.TerminatingError);
            Assert.Equal("after", Assert.Single(result.Output).ToString());
            Assert.Equal(2, result.Errors.Count);
            Assert.All(result.Errors, e =>
            {
                Assert.Equal("TaskVectorWriteFailed,IclPs.Cmdlets.ExportTaskVectorCommand", e.FullyQualifiedErrorId);
                Assert.Equal(ErrorCategory.WriteError, e.CategoryInfo.Category);
                Assert.Equal(Path.Combine(blocker, "tv.json"), e.TargetObject);
            });
        }
        finally
        {
            File.Delete(blocker);
        }
    }
}
