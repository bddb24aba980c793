namespace IclPs.Module.Tests;

/// <summary>The table views of Invoke-IclPrompt and Measure-HiddenSimilarity results, as iclps-host renders them.</summary>
[Collection(ModuleCollection.Name)]
public sealed class PromptingViewTests(ModuleFixture module)
{
    [Fact]
    public void Results_and_similarity_rows_print_as_tables_with_their_key_columns()
    {
        // Out-Default per command, so each type gets its own table rather than the second falling back to a list.
        var (exitCode, stdout, stderr) = module.RunHost(["-Command", $"""
            $m = New-IclModel
            $ds = [IclPs.Engine.Data.DatasetLoader]::LoadJson('{module.RepositoryRoot}/../shared/data/function-vectors/antonym.json').Split(0.7, 0.15, 0)
            Invoke-IclPrompt $m $ds -First 2 -MaxNewTokens 2 | Out-Default
            Measure-HiddenSimilarity $m $ds -First 2 | Out-Default
            """]);
        Assert.True(exitCode == 0, stderr);
        var lines = stdout.Split('\n').Select(l => l.TrimEnd()).ToArray();

        var promptHeader = Assert.Single(lines, l => l.Contains("Predicted", StringComparison.Ordinal));
        Assert.Equal(["QueryIndex", "Query", "Expected", "Predicted", "FirstTokenCorrect", "ExactMatch", "ExpectedLogProb", "ExpectedRank", "Shots"],
            promptHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        // Log-probabilities with three decimals, e.g. "-49.723".
        Assert.Equal(2, lines.Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+\d+ \S+.*\s-\d+\.\d{3}\s+\d+\s+5$")));

        var similarityHeader = Assert.Single(lines, l => l.Contains("MeanCosine", StringComparison.Ordinal));
        Assert.Equal(["Layer", "ConditionA", "ConditionB", "MeanCosine", "StdCosine", "N", "Hook"], similarityHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, lines.Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+\d ZeroShot\s+Icl\s+-?\d\.\d{4}\s+\d\.\d{4}\s+2 blocks\.\d\.hook_resid_post$")));
    }
}
