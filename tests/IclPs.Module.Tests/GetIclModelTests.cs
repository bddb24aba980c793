using System.Management.Automation;

namespace IclPs.Module.Tests;

/// <summary>Get-IclModel over the models the module ships (module/models, copied beside IclPs.dll by the build).</summary>
[Collection(ModuleCollection.Name)]
public sealed class GetIclModelTests(ModuleFixture module)
{
    private const string InfoType = "IclPs.Engine.Models.Shipped.ShippedModelInfo";

    [Fact]
    public void Lists_the_shipped_regression_models_with_their_manifests()
    {
        var result = module.Run("Get-IclModel").Succeeded();

        Assert.All(result.Output, o => Assert.Equal(InfoType, o.TypeNames[0]));
        var byName = result.Output.ToDictionary(o => (string)o.Properties["Name"].Value);
        foreach (var name in new[] { "linear-d8", "linear-d8-pool" })
        {
            var info = byName[name];
            Assert.Equal("Regression", info.Properties["Kind"].Value.ToString());
            Assert.Equal(Path.Combine(module.ModulePath, "models", name), info.Properties["Path"].Value);
            Assert.True((int)info.Properties["Steps"].Value > 0);
            Assert.Contains("=", (string)info.Properties["KeyMetrics"].Value);
        }
    }

    [Fact]
    public void Names_filter_with_wildcards_and_bind_from_the_pipeline()
    {
        var result = module.Run("""
            [pscustomobject]@{
                Wildcard   = @(Get-IclModel -Name 'linear-d8*' | ForEach-Object Name) -join ','
                Exact      = @(Get-IclModel 'LINEAR-D8' | ForEach-Object Name) -join ','
                ByProperty = @([pscustomobject]@{ Name = 'linear-d8-pool' } | Get-IclModel | ForEach-Object Name) -join ','
                Twice      = @(Get-IclModel -Name 'linear-d8', 'linear-*' | ForEach-Object Name) -join ','
                NoMatch    = @(Get-IclModel -Name 'nothing-like-this-*').Count
            }
            """).Succeeded();
        Assert.Equal("linear-d8,linear-d8-pool", result.Property("Wildcard"));
        Assert.Equal("linear-d8", result.Property("Exact"));
        Assert.Equal("linear-d8-pool", result.Property("ByProperty"));
        Assert.Equal("linear-d8,linear-d8-pool", result.Property("Twice"));
        Assert.Equal(0, result.Property("NoMatch"));
    }

    [Theory]
    [InlineData("linear-d8")]
    [InlineData("linear-d8-pool")]
    public void A_loaded_regression_model_predicts_closer_to_ridge_than_to_zero(string name)
    {
        // Prompts of 15 context pairs from the tasks the model was trained on; a model that learned nothing predicts ~0.
        var result = module.Run($$"""
            $model = Get-IclModel -Name {{name}} -Load
            $rows = @($model | Invoke-IclPrompt -Samples 32 -Seed 7 -Baseline Ridge)
            $toRidge = 0.0; $toZero = 0.0
            foreach ($r in $rows) { $toRidge += [Math]::Pow($r.Prediction - $r.Ridge, 2); $toZero += [Math]::Pow($r.Prediction, 2) }
            [pscustomobject]@{ Type = $model.GetType().FullName; Name = $model.Name; Points = $model.Task.Points; Count = $rows.Count; ToRidge = $toRidge; ToZero = $toZero }
            $model.Dispose()
            """).Succeeded();
        Assert.Equal("IclPs.Engine.Regression.Runs.IclRegressionModel", result.Property("Type"));
        Assert.Equal((name, 16, 32), ((string)result.Property("Name")!, (int)result.Property("Points")!, (int)result.Property("Count")!));
        var toRidge = (double)result.Property("ToRidge")!;
        var toZero = (double)result.Property("ToZero")!;
        Assert.True(toRidge < 0.5 * toZero, $"{name}: squared distance to ridge {toRidge:0.000}, to zero {toZero:0.000}");
    }

    [Fact]
    public void An_unknown_name_is_an_error_naming_it_and_the_other_names_still_list()
    {
        var result = module.Run("Get-IclModel -Name no-such-model, linear-d8");

        Assert.Equal("linear-d8", Assert.Single(result.Output).Properties["Name"].Value);
        var error = Assert.Single(result.Errors);
        Assert.Equal("ShippedModelNotFound,IclPs.Cmdlets.GetIclModelCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("no-such-model", error.TargetObject);
    }

    [Fact]
    public void A_folder_with_a_malformed_manifest_is_reported_and_the_others_list()
    {
        var root = Directory.CreateTempSubdirectory("iclps-shipped-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "good"));
            File.WriteAllText(Path.Combine(root, "good", "iclps-model.json"), """
                { "name": "good", "kind": "Text", "description": "d", "command": "c", "seed": 1, "steps": 2, "batchSize": 3,
                  "trainingSeconds": 4.5, "metrics": { "accuracy": 0.5 }, "commit": "abc" }
                """);
            Directory.CreateDirectory(Path.Combine(root, "bad"));
            var bad = Path.Combine(root, "bad", "iclps-model.json");
            File.WriteAllText(bad, """{ "name": "bad", "kind": "Text" }""");

            var result = module.Run($"Get-IclModel -Path '{root}'");

            var info = Assert.Single(result.Output);
            Assert.Equal(("good", "accuracy=0.5"), ((string)info.Properties["Name"].Value, (string)info.Properties["KeyMetrics"].Value));
            var error = Assert.Single(result.Errors);
            Assert.Equal("ShippedModelInvalidManifest,IclPs.Cmdlets.GetIclModelCommand", error.FullyQualifiedErrorId);
            Assert.Equal(bad, error.TargetObject);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
