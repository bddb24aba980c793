#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Invoke-IclPrompt on numeric prompts (-RegressionModel / -Path): piped queries, generated prompts, per-query errors and
# setups that fail once, before any query.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Fqid = ',IclPs.Cmdlets.InvokeIclPromptCommand'
    $script:TinyRun = @{ Dimension = 2; Points = 4; TaskPoolSize = 3; Steps = 4; BatchSize = 4; EvaluateEvery = 0; Device = 'cpu' }
    # A regression model briefly trained on a pool of 3 tasks at D = 2, K = 4.
    $script:model = @(Start-IclTraining @TinyRun -PassThru)[-1]
    function New-Query { [pscustomobject]@{ X = @(@(1, 0), @(0, 1)); Y = @(2) } }
}

Describe 'Invoke-IclPrompt -RegressionModel' {
    It 'answers piped queries with the model and baseline predictions of the same engine calls' {
        $queries = @(
            [pscustomobject]@{ X = @(@(1, 0), @(0, 1), @(1, 1)); Y = @(2, -1) }
            [pscustomobject]@{ X = @(@(1, 0), @(0, 1), @(1, 1)); Y = @(2, -1, 1) }
            [pscustomobject]@{ X = @(@(0.5, 0.5), @(1, -1)); Y = @(3); Expected = 0.5 }
        )
        $rows = @($queries | Invoke-IclPrompt -RegressionModel $model -Baseline Ridge, LeastSquares, Averaging)
        # The engine directly on the first prompt.
        $prompt = [IclPs.Engine.Regression.Prompting.RegressionPrompt]::Create(0, [double[][]]@(@(1, 0), @(0, 1), @(1, 1)), [double[]](2, -1), $null)
        $ridge = [IclPs.Engine.Regression.Baselines.IRegressionBaseline[]]@([IclPs.Engine.Regression.Baselines.RidgeBaseline]::new(0.25))
        $runner = [IclPs.Engine.Regression.Prompting.RegressionPromptRunner]::new($model, $ridge, 16)
        $direct = $runner.Run([IclPs.Engine.Regression.Prompting.RegressionPrompt[]]@($prompt), $null, [System.Threading.CancellationToken]::None)[0]

        $rows | Should -HaveCount 3
        foreach ($row in $rows) { $row.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Regression.Prompting.RegressionPromptResult' }
        $rows.Index | Should -Be @(0, 1, 2)
        $rows[0].Prediction | Should -Be $direct.Prediction
        $rows[0].Ridge | Should -Be $direct.Ridge
        # y_K is not context: the expected value changes nothing in the prediction.
        $rows[1].Prediction | Should -Be $rows[0].Prediction
        $rows[0].Expected | Should -BeNullOrEmpty
        $rows[1].Expected | Should -Be 1.0
        # x_K = x_1 + x_2 and y_1 + y_2 = 1.
        [Math]::Abs($rows[1].LeastSquares - 1.0) | Should -BeLessThan 1e-9
        $rows[2].Expected | Should -Be 0.5
        [Math]::Abs($rows[2].SquaredError - [Math]::Pow($rows[2].Prediction - 0.5, 2)) | Should -BeLessThan 1e-12
        # Only the baselines asked for are computed.
        $rows[2].Dmmse | Should -BeNullOrEmpty
        $rows[2].Averaging | Should -Not -BeNullOrEmpty
    }

    It 'generates prompts from the recorded training tasks and repeats them with -Seed' {
        $records = @($model | Invoke-IclPrompt -Samples 6 -Seed 4 -Baseline Dmmse, Ridge, NearestNeighbours -Verbose 4>&1)
        $a = @($records | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $b = @(Invoke-IclPrompt $model -Samples 6 -Seed 4 -Baseline Dmmse, Ridge, NearestNeighbours)

        $a | Should -HaveCount 6
        $a[0].Points | Should -Be 4
        $a[0].Dimension | Should -Be 2
        $a[0].Seed | Should -BeOfType [long]
        $a[0].Seed | Should -Be 4
        $a.Prediction | Should -Be $b.Prediction
        $a[0].Dmmse | Should -Not -BeNullOrEmpty
        $a[5].Expected | Should -Not -BeNullOrEmpty
        @($verbose | Where-Object { $_.Contains('6 pretrain prompts of linear D=2 K=4 M=3') }) | Should -HaveCount 1
    }

    It 'reports a bad query (<Case>) as <ErrorId> naming it, and runs the others' -ForEach @(
        @{ Case = 'ragged rows'; ErrorId = 'RegressionPromptRaggedInputs' }
        @{ Case = 'too many targets'; ErrorId = 'RegressionPromptTargetCount' }
        @{ Case = 'wrong dimension'; ErrorId = 'RegressionPromptWrongDimension' }
        @{ Case = 'too many points'; ErrorId = 'RegressionPromptTooManyPoints' }
        @{ Case = 'text expected value'; ErrorId = 'RegressionPromptExpectedNotANumber' }
    ) {
        $bad = switch ($Case) {
            'ragged rows' { [pscustomobject]@{ X = @(@(1, 0), @(1)); Y = @(2) } }
            'too many targets' { [pscustomobject]@{ X = @(@(1, 0), @(0, 1)); Y = @(2, 3, 4) } }
            'wrong dimension' { [pscustomobject]@{ X = @(@(1, 0, 1, 1, 1), @(0, 1, 1, 1, 1)); Y = @(2) } }
            'too many points' { [pscustomobject]@{ X = @(1..33 | ForEach-Object { , [double[]](1, 0) }); Y = @(1..32) } }
            'text expected value' { [pscustomobject]@{ X = @(@(1, 0), @(0, 1)); Y = @(2); Expected = 'two' } }
        }
        $bad | Should -Not -BeNullOrEmpty
        $rows = @((New-Query), $bad, (New-Query) | Invoke-IclPrompt -RegressionModel $model -ErrorVariable problems -ErrorAction SilentlyContinue)
        $rows.Index | Should -Be @(0, 2)
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeExactly "$ErrorId$Fqid"
        $problems[0].Exception.Message | Should -BeLike 'Query 1:*'
    }

    It 'does not bind text prompt parameters to a regression model' {
        $script:output = $null
        { $script:output = Invoke-IclPrompt -RegressionModel $model -Samples 2 -Template 'Q: {input}' } |
            Should -Throw -ErrorId 'AmbiguousParameterSet*'
        $script:output | Should -BeNullOrEmpty
    }

    It 'takes no -Expected value for generated prompts' {
        $script:output = $null
        { $script:output = Invoke-IclPrompt -RegressionModel $model -Samples 2 -Expected 1.5 } |
            Should -Throw -ErrorId "RegressionPromptExpectedWithoutQuery$Fqid"
        $script:output | Should -BeNullOrEmpty
    }

    It 'fails a bad setup (<Case>) once with <ErrorId>, before any query, and the script goes on' -ForEach @(
        # Fresh tasks (-TaskPoolSize 0) leave dMMSE without a pool.
        @{ Case = 'dMMSE without a task pool'; ErrorId = 'RegressionInvalidOption' }
        # A text model's vector does not fit a regression model.
        @{ Case = 'a text model''s task vector'; ErrorId = 'TaskVectorShapeMismatch' }
    ) {
        $parameters = if ($ErrorId -eq 'RegressionInvalidOption') { @{ Baseline = 'Dmmse'; TaskPoolSize = 0 } } else {
            $ds = Import-IclDataset $AntonymPath
            @{ TaskVector = New-TaskVector -Model (New-IclModel) -Dataset $ds -Method TaskVector -Shots 2 -Prompts 2 -ValidationPrompts 2 -Layer 0 }
        }
        $run = Invoke-InFreshRunspace -Parameters @{ model = $model; queries = @((New-Query), (New-Query), (New-Query)); parameters = $parameters } -Script '
            param($model, $queries, $parameters)
            $queries | Invoke-IclPrompt -RegressionModel $model @parameters
            ''after''
        '
        # Statement-terminating: no query ran, and the script goes on with its next statement.
        $run.Terminating | Should -BeNullOrEmpty
        $run.Output | Should -Be @('after')
        $run.Errors | Should -HaveCount 1
        $run.Errors[0].FullyQualifiedErrorId | Should -BeExactly "$ErrorId$Fqid"
        $run.Errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'serves every piped query from a good setup read from a checkpoint path' {
        $folder = Join-Path $TestDrive ([guid]::NewGuid())
        $null = Start-IclTraining @TinyRun -Path $folder
        $rows = @((New-Query), (New-Query), (New-Query) | Invoke-IclPrompt -Path $folder -Device cpu -Baseline Dmmse, Ridge)
        $rows.Index | Should -Be @(0, 1, 2)
        foreach ($row in $rows) {
            $row.Dmmse | Should -Not -BeNullOrEmpty
            $row.Ridge | Should -Not -BeNullOrEmpty
        }
    }
}
