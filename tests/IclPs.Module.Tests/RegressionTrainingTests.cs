using System.Management.Automation;

namespace IclPs.Module.Tests;

/// <summary>Start-IclTraining and Measure-IclRegression through real script text, on regression-tiny with D = 2..4.</summary>
[Collection(ModuleCollection.Name)]
public sealed class RegressionTrainingTests(ModuleFixture module) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iclps-regression-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A short run that reaches below the zero predictor: a pool of 4 tasks at D = 4, K = 8.</summary>
    private const string Common = """
        $common = @{ Dimension = 4; Points = 8; TaskPoolSize = 4; Steps = 150; BatchSize = 32; LearningRate = 3e-3
                     Schedule = 'Cosine'; WarmupSteps = 15; EvaluateEvery = 50; EvaluationSamples = 128; Seed = 3; Device = 'cpu' }
        """;

    private static object?[] Values(PSObject row, params string[] names) => names.Select(n => row.Properties[n].Value).ToArray();

    [Fact]
    public void The_same_seed_gives_identical_rows_and_the_trained_model_beats_the_zero_predictor()
    {
        var result = module.Run(Common + """

            $first = @(Start-IclTraining @common)
            $second = @(Start-IclTraining @common -PassThru)
            $model = $second[-1]
            $rows = @(Measure-IclRegression $model -Samples 200)
            $summary = @(Measure-IclRegression $model -Samples 200 -Summary)
            $first; $second[0..($second.Count - 2)]; $rows; $summary
            [pscustomobject]@{ Type = $model.GetType().FullName; Name = $model.Name; DIn = $model.Config.InputDim; Pool = $model.Task.PoolSize }
            """).Succeeded();
        var progress = result.Output.Where(o => o.TypeNames[0] == "IclPs.RegressionTrainingProgress").ToList();
        Assert.Equal(6, progress.Count);
        var names = new[] { "Step", "Loss", "LearningRate", "PretrainError", "FreshError" };
        for (var i = 0; i < 3; i++) Assert.Equal(Values(progress[i], names), Values(progress[i + 3], names));
        Assert.Equal(new object[] { 50, 100, 150 }, progress.Take(3).Select(p => p.Properties["Step"].Value));

        var model = result.Output[^1];
        Assert.Equal(["IclPs.Engine.Regression.Runs.IclRegressionModel", "regression-tiny", 5, 4], Values(model, "Type", "Name", "DIn", "Pool"));

        var rows = result.Output.Where(o => o.TypeNames[0] == "IclPs.Engine.Regression.Evaluation.RegressionErrorRow").ToList();
        // 2 task sources x 8 positions x (model + ridge, dmmse, least squares, 3-nn, averaging).
        Assert.Equal(2 * 8 * 6, rows.Count);
        var summaries = result.Output.Where(o => o.TypeNames[0] == "IclPs.Engine.Regression.Evaluation.RegressionSummary").ToList();
        Assert.Equal(2, summaries.Count);
        var pretrain = summaries.Single(s => (string)s.Properties["TaskSource"].Value == "pretrain");
        // Measured: 1.135 against 1.308; the mean over positions includes the first ones, where no context helps.
        // Every baseline predicts 0 for the first point: its error there is the zero predictor's.
        var zero = rows.Where(r => (string)r.Properties["TaskSource"].Value == "pretrain" && (int)r.Properties["Position"].Value == 1 && (string)r.Properties["Method"].Value == "ridge")
            .Select(r => (double)r.Properties["Error"].Value).Single();
        var modelError = (double)pretrain.Properties["ModelError"].Value;
        Assert.True(modelError < 0.9 * zero, $"pretrain error/D {modelError:0.000} should be below the zero predictor's {zero:0.000}");
        Assert.NotNull(pretrain.Properties["DeltaDmmse"].Value);
    }

    [Fact]
    public void Resume_continues_exactly_and_measure_reads_the_task_settings_from_the_run_folder()
    {
        var (straight, broken) = (Path.Combine(_dir, "straight"), Path.Combine(_dir, "broken"));
        var result = module.Run($$"""
            $run = @{ Dimension = 2; Points = 4; TaskPoolSize = 3; TaskSeed = 5; Steps = 20; BatchSize = 8; EvaluateEvery = 10
                      EvaluationSamples = 32; Seed = 1; Device = 'cpu'; CheckpointEvery = 10 }
            $a = @(Start-IclTraining @run -Path '{{straight}}')
            $null = Start-IclTraining @run -Path '{{broken}}'
            [System.IO.Directory]::Delete('{{broken}}/step-00000020', $true)
            $b = @(Start-IclTraining @run -Path '{{broken}}' -Resume -Verbose)
            $m = @(Measure-IclRegression -Path '{{broken}}' -Samples 20 -Summary)
            [pscustomobject]@{
                Straight = $a[-1].PretrainError, $a[-1].FreshError
                Resumed  = $b[-1].PretrainError, $b[-1].FreshError
                ResumedRows = $b.Count
                TaskFile = [System.IO.File]::Exists('{{broken}}/regression-task.json')
                Dimension = $m[0].Dimension; Points = $m[0].Points; HasDmmse = $null -ne $m[0].DeltaDmmse; Sources = $m.Count
            }
            """).Succeeded();
        Assert.Equal(result.Property("Straight"), result.Property("Resumed"));
        Assert.Equal(1, result.Property("ResumedRows"));
        Assert.Contains(result.Verbose, v => v.Message.Contains("Resumed from update 10"));
        Assert.Equal(true, result.Property("TaskFile"));
        Assert.Equal((2, 4, true, 2), ((int)result.Property("Dimension")!, (int)result.Property("Points")!, (bool)result.Property("HasDmmse")!, (int)result.Property("Sources")!));
    }

    [Fact]
    public void WhatIf_writes_nothing_and_trains_nothing()
    {
        var folder = Path.Combine(_dir, "whatif");
        var result = module.Run($"Start-IclTraining -Dimension 2 -Points 4 -Steps 5 -BatchSize 4 -Path '{folder}' -PassThru -WhatIf").Succeeded();
        Assert.Empty(result.Output);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void The_curriculum_trains_and_reports()
    {
        var result = module.Run("Start-IclTraining -Dimension 4 -Points 8 -Steps 12 -BatchSize 4 -Curriculum -EvaluateEvery 6 -EvaluationSamples 16 -Device cpu -Verbose").Succeeded();
        Assert.Equal(2, result.Output.Count);
        Assert.Contains(result.Verbose, v => v.Message.Contains("Curriculum: dimensions 1->4 by 1"));
    }

    [Theory]
    [InlineData("Start-IclTraining -Curriculum -TaskPoolSize 4 -Steps 1", "RegressionInvalidOption,IclPs.Cmdlets.StartIclTrainingCommand")]
    [InlineData("Start-IclTraining -Dimension 4 -Points 40 -Steps 1", "RegressionModelTooSmall,IclPs.Cmdlets.StartIclTrainingCommand")]
    [InlineData("Start-IclTraining -Resume -Steps 1", "TrainingInvalidOption,IclPs.Cmdlets.StartIclTrainingCommand")]
    [InlineData("Start-IclTraining -Dimension 2 -Points 4 -Steps 2 -BatchSize 2 -LearningRate 1e9 -Schedule Constant -EvaluateEvery 0", "TrainingDiverged,IclPs.Cmdlets.StartIclTrainingCommand")]
    [InlineData("Measure-IclRegression -Path ./no-such-run", "RegressionCheckpointNotFound,IclPs.Cmdlets.MeasureIclRegressionCommand")]
    [InlineData("@(Start-IclTraining -Dimension 2 -Points 4 -Steps 2 -BatchSize 2 -PassThru)[-1] | Measure-IclRegression -Baseline Dmmse -Samples 4", "RegressionInvalidOption,IclPs.Cmdlets.MeasureIclRegressionCommand")]
    public void Bad_parameters_are_errors_with_stable_ids(string script, string errorId)
    {
        var result = module.Run(script);
        var error = Assert.Single(result.Errors);
        Assert.Equal(errorId, error.FullyQualifiedErrorId);
    }

    [Fact]
    public void A_run_folder_refuses_other_tasks()
    {
        var folder = Path.Combine(_dir, "run");
        var result = module.Run($"""
            $null = Start-IclTraining -Dimension 2 -Points 4 -Steps 2 -BatchSize 2 -Path '{folder}'
            Start-IclTraining -Dimension 3 -Points 4 -Steps 2 -BatchSize 2 -Path '{folder}' -Resume
            """);
        Assert.Equal("RegressionTaskMismatch,IclPs.Cmdlets.StartIclTrainingCommand", Assert.Single(result.Errors).FullyQualifiedErrorId);
    }
}
