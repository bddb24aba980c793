using System.Management.Automation;

namespace IclPs.Module.Tests;

/// <summary>Invoke-IclPrompt on piped numeric queries: a setup the runner cannot take fails once, before any query.</summary>
[Collection(ModuleCollection.Name)]
public sealed class RegressionPromptSetupTests(ModuleFixture module)
{
    private const string Model = "$model = @(Start-IclTraining -Dimension 2 -Points 4 -TaskPoolSize 3 -Steps 4 -BatchSize 4 -EvaluateEvery 0 -Device cpu -PassThru)[-1]\n";

    private const string Queries = """
        $queries = @(
            [pscustomobject]@{ X = @(@(1, 0), @(0, 1)); Y = @(2) }
            [pscustomobject]@{ X = @(@(1, 0), @(0, 1)); Y = @(2) }
            [pscustomobject]@{ X = @(@(1, 0), @(0, 1)); Y = @(2) }
        )

        """;

    [Theory]
    // Fresh tasks (-TaskPoolSize 0) leave dMMSE without a pool.
    [InlineData("", "-Baseline Dmmse -TaskPoolSize 0", "RegressionInvalidOption")]
    // A text model's vector does not fit a regression model.
    [InlineData("""
        $ds = [IclPs.Engine.Data.DatasetLoader]::LoadJson("$root/../shared/data/function-vectors/antonym.json").Split(0.7, 0.15, 0)
        $tv = New-TaskVector -Model (New-IclModel) -Dataset $ds -Method TaskVector -Shots 2 -Prompts 2 -ValidationPrompts 2 -Layer 0
        """, "-TaskVector $tv", "TaskVectorShapeMismatch")]
    public void A_bad_setup_is_one_terminating_error_with_the_engine_id_not_one_per_query(string setup, string parameters, string errorId)
    {
        var result = module.Run(Model + Queries + $$"""
            $root = '{{module.RepositoryRoot}}'
            {{setup}}
            $queries | Invoke-IclPrompt -RegressionModel $model {{parameters}}
            'after'
            """);
        // Statement-terminating: no query ran, and the script goes on with its next statement.
        Assert.Equal("after", Assert.Single(result.Output).ToString());
        var error = Assert.Single(result.Errors);
        Assert.Equal(errorId + ",IclPs.Cmdlets.InvokeIclPromptCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
    }

    [Fact]
    public void A_good_setup_from_a_checkpoint_path_serves_every_piped_query()
    {
        var folder = Path.Combine(Path.GetTempPath(), "iclps-setup-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = module.Run(Queries + $"""
                $null = Start-IclTraining -Dimension 2 -Points 4 -TaskPoolSize 3 -Steps 4 -BatchSize 4 -EvaluateEvery 0 -Device cpu -Path '{folder}'
                $queries | Invoke-IclPrompt -Path '{folder}' -Device cpu -Baseline Dmmse, Ridge
                """).Succeeded();
            Assert.Equal(new object[] { 0, 1, 2 }, result.Output.Select(r => r.Properties["Index"].Value));
            Assert.All(result.Output, r => Assert.NotNull(r.Properties["Dmmse"].Value));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
