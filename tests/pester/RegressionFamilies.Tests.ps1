#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Garg et al.'s function classes through Start-IclTraining -TaskFamily and Measure-IclRegression (their baselines, Lasso
# among them), and the Delta(model, Ridge) / Delta(model, dMMSE) columns of the training progress rows.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    function New-TestFolder { (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName }

    # An untrained regression-tiny model on the given class: the baselines' numbers do not depend on it.
    function New-FamilyModel([hashtable]$Task) {
        @(Start-IclTraining @Task -Steps 1 -BatchSize 2 -EvaluationSamples 2 -EvaluateEvery 0 -Device cpu -PassThru)[-1]
    }

    # Runs $Script in a fresh runspace with the module imported, outside any try block, so that every error it writes
    # (statement-terminating or not) is counted as a user's script would see it.
    function Invoke-InFreshRunspace([string]$Script) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$((Get-Module IclPs).Path)' -ErrorAction Stop").AddStatement()
            $null = $ps.AddScript($Script)
            $terminating = $null
            $output = try { $ps.Invoke() } catch { $terminating = $_.Exception.InnerException.ErrorRecord }
            [pscustomobject]@{ Output = @($output); Errors = @($ps.Streams.Error); Terminating = $terminating }
        }
        finally { $ps.Dispose() }
    }

    # Error at position $Position of method $Method among per-position rows.
    function Get-Error($Rows, [string]$Method, [int]$Position) {
        @($Rows | Where-Object { $_.Method -eq $Method -and $_.Position -eq $Position })[0].Error
    }
}

Describe 'Start-IclTraining and Measure-IclRegression -TaskFamily' {
    It 'records <Family> with the run and measures it against <Expected>' -ForEach @(
        @{ Family = 'SparseLinear'; Task = @{ Dimension = 4; Sparsity = 2 }; Expected = 'least-squares, lasso, 3-nn, averaging' }
        @{ Family = 'DecisionTree'; Task = @{ Dimension = 4; Depth = 2 }; Expected = 'least-squares, 3-nn, averaging' }
        @{ Family = 'ReluNet'; Task = @{ Dimension = 4; Hidden = 8 }; Expected = 'least-squares, 3-nn, averaging' }
    ) {
        $folder = New-TestFolder
        $rows = @(Start-IclTraining -TaskFamily $Family @Task -Points 9 -Steps 4 -BatchSize 8 -EvaluateEvery 2 -EvaluationSamples 16 -Path $folder -Device cpu)
        $rows.Step | Should -Be @(2, 4)
        foreach ($row in $rows) {
            $row.PretrainError | Should -BeGreaterThan 0
            $row.PretrainDeltaRidge | Should -BeNullOrEmpty    # Ridge and dMMSE are estimators of linear tasks only
            $row.FreshDeltaDmmse | Should -BeNullOrEmpty
        }
        $recorded = Get-Content (Join-Path $folder 'regression-task.json') -Raw | ConvertFrom-Json
        $recorded.family | Should -BeExactly ([regex]::Replace($Family, '(?<=[a-z])(?=[A-Z])', '-').ToLowerInvariant())

        $measured = @(Measure-IclRegression -Path $folder -Samples 20 -TaskSource fresh -Device cpu)
        ($measured | Where-Object Position -eq 1).Method -join ', ' | Should -BeExactly "model, $Expected"
        $summary = Measure-IclRegression -Path $folder -Samples 20 -TaskSource fresh -Summary -Device cpu
        $summary.DeltaLeastSquares | Should -BeGreaterThan 0
        if ($Family -eq 'SparseLinear') { $summary.DeltaLasso | Should -BeGreaterThan 0 } else { $summary.DeltaLasso | Should -BeNullOrEmpty }
        $summary.DeltaRidge | Should -BeNullOrEmpty
    }

    It 'draws <Family> tasks whose zero prediction scores E[y^2] / D = <Expected> (closed form)' -ForEach @(
        # Sparse: s of D standard normal weights on N(0, I) inputs, E[y^2] = s. Tree: one N(0, 1) leaf, E[y^2] = 1.
        # ReLU net: sqrt(2/H) sum_h a_h ReLU(w_h.x), E[y^2] = 2 E[ReLU(N(0, |x|^2))^2] = E|x|^2 = D.
        @{ Family = 'SparseLinear'; Task = @{ Sparsity = 2 }; Expected = 0.5; Tolerance = 0.08 }
        @{ Family = 'DecisionTree'; Task = @{ Depth = 3 }; Expected = 0.25; Tolerance = 0.025 }
        @{ Family = 'ReluNet'; Task = @{ Hidden = 50 }; Expected = 1.0; Tolerance = 0.12 }
    ) {
        # Tolerances are 4 standard errors of a mean over 4000 sequences.
        $model = New-FamilyModel (@{ TaskFamily = $Family; Dimension = 4; Points = 3 } + $Task)
        $rows = @(Measure-IclRegression $model -Samples 4000 -TaskSource fresh -Baseline Averaging -Seed 5)
        Get-Error $rows 'averaging' 1 | Should -BeGreaterThan ($Expected - $Tolerance)
        Get-Error $rows 'averaging' 1 | Should -BeLessThan ($Expected + $Tolerance)
    }

    It 'solves noiseless sparse tasks exactly with least squares once K - 1 reaches D, and with Lasso before' {
        # Compressed sensing: s = 2 nonzero weights of D = 8 are recovered from 6 noiseless pairs by the l1 penalty, not
        # by the minimum-norm least-squares solution, which needs 8.
        $model = New-FamilyModel @{ TaskFamily = 'SparseLinear'; Dimension = 8; Sparsity = 2; Points = 10 }
        $rows = @(Measure-IclRegression $model -Samples 200 -TaskSource fresh -Baseline LeastSquares, Lasso -LassoAlpha 0.001 -Seed 2)
        Get-Error $rows 'least-squares' 9 | Should -BeLessThan 1e-10
        Get-Error $rows 'least-squares' 7 | Should -BeGreaterThan 0.02
        Get-Error $rows 'lasso' 7 | Should -BeLessThan (0.2 * (Get-Error $rows 'least-squares' 7))
    }

    It 'defaults the noise of the non-linear classes to 0 and keeps an explicit -NoiseVariance' {
        (New-FamilyModel @{ TaskFamily = 'DecisionTree'; Dimension = 2; Points = 4 }).Task.NoiseVariance | Should -Be 0
        (New-FamilyModel @{ TaskFamily = 'DecisionTree'; Dimension = 2; Points = 4; NoiseVariance = 0.5 }).Task.NoiseVariance | Should -Be 0.5
        (New-FamilyModel @{ Dimension = 2; Points = 4 }).Task.NoiseVariance | Should -Be 0.25
    }

    It 'completes -TaskFamily with the four classes' {
        foreach ($command in 'Start-IclTraining', 'Measure-IclRegression') {
            $line = "$command -TaskFamily "
            $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
            $completions | Should -Be @('DecisionTree', 'Linear', 'ReluNet', 'SparseLinear') -Because $command
        }
    }

    It 'reports <Case> as <ErrorId>' -ForEach @(
        @{ Case = 'a sparsity above D'; ErrorId = 'RegressionInvalidOption,IclPs.Cmdlets.StartIclTrainingCommand'
           Script = 'Start-IclTraining -TaskFamily SparseLinear -Dimension 4 -Sparsity 5 -Steps 1' }
        @{ Case = 'a task pool for trees'; ErrorId = 'RegressionInvalidOption,IclPs.Cmdlets.StartIclTrainingCommand'
           Script = 'Start-IclTraining -TaskFamily DecisionTree -TaskPoolSize 8 -Steps 1' }
        @{ Case = 'dMMSE on ReLU nets'; ErrorId = 'RegressionInvalidOption,IclPs.Cmdlets.MeasureIclRegressionCommand'
           Script = '@(Start-IclTraining -TaskFamily ReluNet -Dimension 2 -Points 4 -Steps 1 -BatchSize 2 -PassThru)[-1] | Measure-IclRegression -Baseline Dmmse -Samples 4' }
    ) {
        $run = Invoke-InFreshRunspace $Script
        $run.Terminating | Should -BeNullOrEmpty
        $run.Errors | Should -HaveCount 1
        $run.Errors[0].FullyQualifiedErrorId | Should -BeExactly $ErrorId
    }
}

Describe 'Start-IclTraining progress rows: Delta to Ridge and dMMSE' {
    It 'logs Delta(model, Ridge) and Delta(model, dMMSE) per source as Measure-IclRegression measures them, and into the CSV' {
        $common = @{ Dimension = 3; Points = 6; TaskPoolSize = 4; Steps = 20; BatchSize = 16; EvaluateEvery = 10; EvaluationSamples = 64; Seed = 4; Device = 'cpu' }
        $out = @(Start-IclTraining @common -PassThru)
        $rows, $model = $out[0..1], $out[-1]
        foreach ($row in $rows) {
            foreach ($name in 'PretrainDeltaRidge', 'PretrainDeltaDmmse', 'FreshDeltaRidge', 'FreshDeltaDmmse') { $row.$name | Should -BeGreaterThan 0 -Because $name }
        }
        # The last row was measured on the final model: the same sequences (-EvaluationSamples from -Seed) as Measure-IclRegression's.
        $summary = @(Measure-IclRegression $model -Samples 64 -Seed 4 -Baseline Ridge, Dmmse -Summary)
        $pretrain = $summary | Where-Object TaskSource -eq 'pretrain'
        $fresh = $summary | Where-Object TaskSource -eq 'fresh'
        $rows[1].PretrainDeltaRidge | Should -BeGreaterThan ($pretrain.DeltaRidge * (1 - 1e-4))
        $rows[1].PretrainDeltaRidge | Should -BeLessThan ($pretrain.DeltaRidge * (1 + 1e-4))
        $rows[1].FreshDeltaDmmse | Should -BeGreaterThan ($fresh.DeltaDmmse * (1 - 1e-4))
        $rows[1].FreshDeltaDmmse | Should -BeLessThan ($fresh.DeltaDmmse * (1 + 1e-4))
        # Delta is a squared distance between predictors, so sqrt(Delta) bounds the gap between their root errors.
        [math]::Sqrt($pretrain.DeltaDmmse) | Should -BeGreaterThan ([math]::Abs([math]::Sqrt($pretrain.ModelError) - [math]::Sqrt($pretrain.DmmseError)) - 1e-9)
        # Delta(Ridge, dMMSE) is the same squared distance between the two baselines, so its root obeys the triangle inequality
        # with the model's distances to each, and it is reported only where both baselines ran.
        foreach ($s in $summary) {
            [math]::Sqrt($s.DeltaRidgeDmmse) | Should -BeLessOrEqual ([math]::Sqrt($s.DeltaRidge) + [math]::Sqrt($s.DeltaDmmse) + 1e-9)
            [math]::Sqrt($s.DeltaRidge) | Should -BeLessOrEqual ([math]::Sqrt($s.DeltaRidgeDmmse) + [math]::Sqrt($s.DeltaDmmse) + 1e-9)
            $s.DeltaRidgeDmmse | Should -BeGreaterThan 0
        }
        foreach ($s in @(Measure-IclRegression $model -Samples 64 -Seed 4 -Baseline Ridge -Summary)) { $s.DeltaRidgeDmmse | Should -BeNullOrEmpty }

        $csv = Join-Path (New-TestFolder) 'training.csv'
        $rows | Export-IclResult -Path $csv
        $logged = @(Import-Csv $csv)
        $logged | Should -HaveCount 2
        [double]$logged[1].FreshDeltaRidge | Should -BeGreaterThan 0
        [double]$logged[1].PretrainDeltaDmmse | Should -Be ([double]$rows[1].PretrainDeltaDmmse.ToString('R', [cultureinfo]::InvariantCulture))
    }

    It 'leaves Delta(model, dMMSE) empty without a task pool' {
        $rows = @(Start-IclTraining -Dimension 2 -Points 4 -Steps 4 -BatchSize 8 -EvaluateEvery 2 -EvaluationSamples 16 -Device cpu)
        $rows | Should -HaveCount 2
        foreach ($row in $rows) {
            $row.PretrainDeltaDmmse | Should -BeNullOrEmpty
            $row.FreshDeltaDmmse | Should -BeNullOrEmpty
            $row.FreshDeltaRidge | Should -BeGreaterThan 0
        }
    }
}

Describe 'examples/garg-function-classes.ps1 and tools/Plot-Results.ps1' {
    It 'runs the four classes small and writes their curves, training log and plots' {
        $out = (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName
        $log = @(& (Join-Path $RepositoryRoot 'examples/garg-function-classes.ps1') -Dimension 3 -Points 6 -Sparsity 2 -Depth 2 -Hidden 4 `
            -Steps 4 -BatchSize 8 -Samples 20 -OutDir (Join-Path $out 'runs') -ResultDir $out)
        $log[-1] | Should -BeLike 'wrote *'
        $rows = @(Import-Csv (Join-Path $out 'garg-function-classes.csv'))
        ($rows.Family | Select-Object -Unique) | Should -Be @('Linear', 'SparseLinear', 'DecisionTree', 'ReluNet')
        @($rows | Where-Object { $_.Family -eq 'SparseLinear' -and $_.Method -eq 'Lasso' }) | Should -HaveCount 6
        @($rows | Where-Object Examples -eq '0' | ForEach-Object { $_.Error } | Select-Object -Unique).Count | Should -BeGreaterThan 1
        @(Import-Csv (Join-Path $out 'garg-function-classes-training.csv')) | Should -HaveCount 4
        foreach ($class in 'linear', 'sparselinear', 'decisiontree', 'relunet') { Join-Path $out "garg-$class.png" | Should -Exist }
    }

    It 'redraws the committed figures from copies of their CSVs' {
        $out = (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName
        foreach ($csv in 'task-diversity.csv', 'task-diversity-d8.csv', 'task-diversity-d8-threshold.csv', 'linear-regression-curve.csv', 'garg-function-classes.csv') {
            Copy-Item (Join-Path $RepositoryRoot "docs/results/$csv") $out
        }
        $log = @(& (Join-Path $RepositoryRoot 'tools/Plot-Results.ps1') -ResultDir $out)
        # 2 task-diversity, 7 transient (one per M) + its threshold, 1 curve, 4 Garg classes.
        $log | Should -HaveCount 15
        foreach ($png in 'task-diversity-pretrain', 'task-diversity-fresh', 'task-diversity-d8-M-32', 'task-diversity-d8-M-inf',
            'task-diversity-d8-threshold', 'linear-regression-curve', 'garg-linear', 'garg-relunet') {
            Join-Path $out "$png.png" | Should -Exist
        }
    }
}
