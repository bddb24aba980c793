using System.Management.Automation;

namespace IclPs.Module.Tests;

/// <summary>Invoke-IclPrompt and Compare-IclGradientDescent through real script text.</summary>
[Collection(ModuleCollection.Name)]
public sealed class RegressionPromptTests(ModuleFixture module)
{
    private const string Model = "$model = @(Start-IclTraining -Dimension 2 -Points 4 -TaskPoolSize 3 -Steps 4 -BatchSize 4 -EvaluateEvery 0 -Device cpu -PassThru)[-1]\n";

    private static double? Number(PSObject o, string name) => o.Properties[name].Value as double?;

    [Fact]
    public void Piped_queries_get_the_model_and_baseline_predictions_of_the_same_engine_calls()
    {
        var result = module.Run(Model + """
            $queries = @(
                [pscustomobject]@{ X = @(@(1, 0), @(0, 1), @(1, 1)); Y = @(2, -1) }
                [pscustomobject]@{ X = @(@(1, 0), @(0, 1), @(1, 1)); Y = @(2, -1, 1) }
                [pscustomobject]@{ X = @(@(0.5, 0.5), @(1, -1)); Y = @(3); Expected = 0.5 }
            )
            $queries | Invoke-IclPrompt -RegressionModel $model -Baseline Ridge, LeastSquares, Averaging
            # The engine directly on the same prompt.
            $p = [IclPs.Engine.Regression.Prompting.RegressionPrompt]::Create(0, [double[][]]@(@(1, 0), @(0, 1), @(1, 1)), [double[]](2, -1), $null)
            $runner = [IclPs.Engine.Regression.Prompting.RegressionPromptRunner]::new($model, [IclPs.Engine.Regression.Baselines.IRegressionBaseline[]]@([IclPs.Engine.Regression.Baselines.RidgeBaseline]::new(0.25)), 16)
            $d = $runner.Run([IclPs.Engine.Regression.Prompting.RegressionPrompt[]]@($p), $null, [System.Threading.CancellationToken]::None)[0]
            [pscustomobject]@{ DirectPrediction = $d.Prediction; DirectRidge = $d.Ridge }
            """).Succeeded();
        var rows = result.Output.Take(3).ToList();
        Assert.All(rows, r => Assert.Equal("IclPs.Engine.Regression.Prompting.RegressionPromptResult", r.TypeNames[0]));
        Assert.Equal(new object[] { 0, 1, 2 }, rows.Select(r => r.Properties["Index"].Value));
        Assert.Equal(Number(result.Output[3], "DirectPrediction"), Number(rows[0], "Prediction"));
        Assert.Equal(Number(result.Output[3], "DirectRidge"), Number(rows[0], "Ridge"));
        Assert.Equal(Number(rows[0], "Prediction"), Number(rows[1], "Prediction"));   // y_K is not context
        Assert.Null(Number(rows[0], "Expected"));
        Assert.Equal(1.0, Number(rows[1], "Expected"));
        Assert.Equal(1.0, Number(rows[1], "LeastSquares")!.Value, 1e-9);            // x_K = x_1 + x_2 and y_1 + y_2 = 1
        Assert.Equal(0.5, Number(rows[2], "Expected"));
        Assert.Equal(Math.Pow(Number(rows[2], "Prediction")!.Value - 0.5, 2), Number(rows[2], "SquaredError")!.Value, 1e-12);
        Assert.Null(Number(rows[2], "Dmmse"));
    }

    [Fact]
    public void Generated_prompts_use_the_recorded_tasks_and_repeat_with_the_seed()
    {
        var result = module.Run(Model + """
            $a = @($model | Invoke-IclPrompt -Samples 6 -Seed 4 -Baseline Dmmse, Ridge, NearestNeighbours -Verbose)
            $b = @(Invoke-IclPrompt $model -Samples 6 -Seed 4 -Baseline Dmmse, Ridge, NearestNeighbours)
            [pscustomobject]@{ Count = $a.Count; Points = $a[0].Points; Dimension = $a[0].Dimension; Seed = $a[0].Seed
                               Same = ($a.Prediction -join ',') -eq ($b.Prediction -join ','); HasDmmse = $null -ne $a[0].Dmmse; HasExpected = $null -ne $a[5].Expected }
            """).Succeeded();
        Assert.Equal((6, 4, 2, 4L), ((int)result.Property("Count")!, (int)result.Property("Points")!, (int)result.Property("Dimension")!, (long)result.Property("Seed")!));
        Assert.Equal(true, result.Property("Same"));
        Assert.Equal(true, result.Property("HasDmmse"));
        Assert.Equal(true, result.Property("HasExpected"));
        Assert.Contains(result.Verbose, v => v.Message.Contains("6 pretrain prompts of linear D=2 K=4 M=3"));
    }

    [Theory]
    [InlineData("[pscustomobject]@{ X = @(@(1, 0), @(1)); Y = @(2) }", "RegressionPromptRaggedInputs")]
    [InlineData("[pscustomobject]@{ X = @(@(1, 0), @(0, 1)); Y = @(2, 3, 4) }", "RegressionPromptTargetCount")]
    [InlineData("[pscustomobject]@{ X = @(@(1, 0, 1, 1, 1), @(0, 1, 1, 1, 1)); Y = @(2) }", "RegressionPromptWrongDimension")]
    [InlineData("[pscustomobject]@{ X = @(1..33 | ForEach-Object { , [double[]](1, 0) }); Y = @(1..32) }", "RegressionPromptTooManyPoints")]
    [InlineData("[pscustomobject]@{ X = @(@(1, 0), @(0, 1)); Y = @(2); Expected = 'two' }", "RegressionPromptExpectedNotANumber")]
    public void A_bad_query_is_an_error_naming_it_and_the_others_still_run(string bad, string errorId)
    {
        var result = module.Run(Model + $$"""
            @([pscustomobject]@{ X = @(@(1, 0), @(0, 1)); Y = @(2) }, {{bad}}, [pscustomobject]@{ X = @(@(1, 0), @(0, 1)); Y = @(2) }) |
                Invoke-IclPrompt -RegressionModel $model
            """);
        Assert.Equal(new object[] { 0, 2 }, result.Output.Select(r => r.Properties["Index"].Value));
        var error = Assert.Single(result.Errors);
        Assert.Equal(errorId + ",IclPs.Cmdlets.InvokeIclPromptCommand", error.FullyQualifiedErrorId);
        Assert.StartsWith("Query 1:", error.Exception.Message);
    }

    [Fact]
    public void Text_prompt_parameters_do_not_bind_to_a_regression_model_and_generated_prompts_take_no_expected_value()
    {
        var text = module.Run(Model + "Invoke-IclPrompt -RegressionModel $model -Samples 2 -Template 'Q: {input}'");
        Assert.Empty(text.Output);
        Assert.StartsWith("AmbiguousParameterSet", Assert.Single(text.Errors).FullyQualifiedErrorId);

        var expected = module.Run(Model + "Invoke-IclPrompt -RegressionModel $model -Samples 2 -Expected 1.5");
        Assert.Empty(expected.Output);
        Assert.Equal("RegressionPromptExpectedWithoutQuery,IclPs.Cmdlets.InvokeIclPromptCommand", Assert.Single(expected.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Compare_IclGradientDescent_trains_a_layer_and_compares_it_with_tuned_gd()
    {
        var result = module.Run("""
            Compare-IclGradientDescent -Dimension 3 -ContextPoints 4 -Steps 300 -BatchSize 128 -LearningRate 1e-2 -EvaluationSamples 2000 -Device cpu -Verbose
            """).Succeeded();
        var r = Assert.Single(result.Output);
        Assert.Equal("IclPs.Engine.Regression.GradientDescent.GradientDescentExperimentResult", r.TypeNames[0]);
        double P(string n) => (double)r.Properties[n].Value;
        Assert.True(P("GdHalfMse") < P("ZeroHalfMse"));
        Assert.True(P("ModelHalfMse") < P("GdHalfMse") + 0.02, $"LSA {P("ModelHalfMse")} vs GD {P("GdHalfMse")}");
        Assert.True(P("GradientCosine") > 0.95, $"cosine {P("GradientCosine")}");
        Assert.Contains(result.Verbose, v => v.Message.Contains("tuned GD learning rate"));
    }
}
