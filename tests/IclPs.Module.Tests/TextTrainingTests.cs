using System.Management.Automation;

namespace IclPs.Module.Tests;

/// <summary>Start-IclTraining -TextFamily through real script text: a few updates of gpt2-tiny on keyed lookups.</summary>
[Collection(ModuleCollection.Name)]
public sealed class TextTrainingTests(ModuleFixture module) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iclps-text-training-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Common = """
        $common = @{ TextFamily = 'KeyedLookup'; TrainTasks = 40; HeldOutTasks = 4; Steps = 6; BatchSize = 8; LearningRate = 3e-3
                     EvaluateEvery = 3; EvaluationTasks = 2; Seed = 2; Device = 'cpu' }
        """;

    private static object?[] Values(PSObject row, params string[] names) => names.Select(n => row.Properties[n].Value).ToArray();

    [Fact]
    public void Typed_rows_repeat_with_the_seed_and_PassThru_gives_a_model_Invoke_IclPrompt_runs()
    {
        var result = module.Run(Common + """

            $first = @(Start-IclTraining @common)
            $second = @(Start-IclTraining @common -PassThru -Verbose)
            $model = $second[-1]
            $queries = @([pscustomobject]@{ Input = 'a1'; Output = 'r' }, [pscustomobject]@{ Input = 'b2'; Output = 's' })
            $answers = @($queries | Invoke-IclPrompt -Model $model -Demonstrations $queries -Shots 1 -Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ',')
            $first; $second[0..($second.Count - 2)]
            [pscustomobject]@{ Type = $model.GetType().FullName; Name = $model.Name; Tokenizer = $model.Tokenizer.Name; Answers = $answers.Count; Prompt = $answers[0].PromptTokens }
            """).Succeeded();
        var rows = result.Output.Where(o => o.TypeNames[0] == "IclPs.TextTrainingProgress").ToList();
        Assert.Equal(4, rows.Count);
        var names = new[] { "Step", "Loss", "LearningRate", "Shots", "TrainAccuracy", "HeldOutAccuracy" };
        for (var i = 0; i < 2; i++) Assert.Equal(Values(rows[i], names), Values(rows[i + 2], names));
        Assert.Equal(new object[] { 3, 6 }, rows.Take(2).Select(p => p.Properties["Step"].Value));
        Assert.All(rows, r => Assert.InRange((double)r.Properties["HeldOutAccuracy"].Value, 0.0, 1.0));
        Assert.Equal(8, rows[0].Properties["Shots"].Value);

        var model = result.Output[^1];
        Assert.Equal("IclPs.Engine.Models.IclModel", model.Properties["Type"].Value);
        Assert.Equal("gpt2-tiny", model.Properties["Name"].Value);
        Assert.Equal(2, model.Properties["Answers"].Value);
        // BOS + "b2=s," + "a1=".
        Assert.Equal(1 + 5 + 3, model.Properties["Prompt"].Value);
        Assert.Contains(result.Verbose, v => v.Message.Contains("40 training and 4 held-out maps"));
        Assert.Contains(result.Verbose, v => v.Message.Contains("best possible 0.975"));
    }

    [Fact]
    public void Resume_continues_exactly_and_WhatIf_writes_nothing()
    {
        var (straight, broken, whatIf) = (Path.Combine(_dir, "straight"), Path.Combine(_dir, "broken"), Path.Combine(_dir, "whatif"));
        var result = module.Run(Common + $$"""

            $a = @(Start-IclTraining @common -Path '{{straight}}' -CheckpointEvery 3)
            $null = Start-IclTraining @common -Path '{{broken}}' -CheckpointEvery 3
            [System.IO.Directory]::Delete('{{broken}}/step-00000006', $true)
            $b = @(Start-IclTraining @common -Path '{{broken}}' -CheckpointEvery 3 -Resume -Verbose)
            $w = @(Start-IclTraining @common -Path '{{whatIf}}' -PassThru -WhatIf)
            [pscustomobject]@{ Straight = $a[-1].Loss, $a[-1].HeldOutAccuracy; Resumed = $b[-1].Loss, $b[-1].HeldOutAccuracy; ResumedRows = $b.Count; WhatIf = $w.Count }
            """).Succeeded();
        Assert.Equal(result.Property("Straight"), result.Property("Resumed"));
        Assert.Equal(1, result.Property("ResumedRows"));
        Assert.Equal(0, result.Property("WhatIf"));
        Assert.Contains(result.Verbose, v => v.Message.Contains("Resumed from update 3"));
        Assert.False(Directory.Exists(whatIf));
    }

    [Theory]
    [InlineData("Start-IclTraining -TextFamily KeyedLookup -Keys ab -Outputs xa -Steps 1", "SymbolSetsOverlap,IclPs.Cmdlets.StartIclTrainingCommand")]
    [InlineData("Start-IclTraining -TextFamily KeyedLookup -TrainTasks 700 -Steps 1", "TooManyTasks,IclPs.Cmdlets.StartIclTrainingCommand")]
    [InlineData("Start-IclTraining -TextFamily KeyedLookup -Shots 27 -Steps 1", "InvalidShots,IclPs.Cmdlets.StartIclTrainingCommand")]
    [InlineData("Start-IclTraining -TextFamily KeyedLookup -Resume -Steps 1", "TrainingInvalidOption,IclPs.Cmdlets.StartIclTrainingCommand")]
    public void Bad_parameters_are_errors_with_stable_ids(string script, string errorId)
    {
        var result = module.Run(script);
        Assert.Equal(errorId, Assert.Single(result.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Regression_parameters_do_not_bind_in_the_text_set()
    {
        var result = module.Run("Start-IclTraining -TextFamily KeyedLookup -Dimension 4 -Steps 1");
        Assert.Contains("AmbiguousParameterSet", Assert.Single(result.Errors).FullyQualifiedErrorId);
    }
}
