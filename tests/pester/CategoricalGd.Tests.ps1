#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Categorical ICL as functional gradient descent (docs/science.md §4): Start-IclCategoricalTraining, Measure-IclCategorical
# and Test-IclCategoricalStationaryPoint on tiny settings (training, evaluation, checkpoint resume, bad settings as error
# records with ids), and the committed docs/results/categorical-gd.csv against every claim docs/results/README.md makes of it.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:StartFqid = ',IclPs.Cmdlets.StartIclCategoricalTrainingCommand'
    # Tiny but real: 64 training contexts of N = 40 points, batches of 16.
    $script:Tiny = @{ TrainContexts = 64; ValidationContexts = 32; BatchSize = 16; Device = 'cpu' }
}

Describe 'Start-IclCategoricalTraining' {
    It 'trains a GD model, writing a progress row per evaluation and the model last with -PassThru' {
        $out = @(Start-IclCategoricalTraining @Tiny -Layers 2 -Steps 12 -EvaluateEvery 4 -LearningRate 0.02 -PassThru)
        $out | Should -HaveCount 4
        $rows = $out[0..2]
        $rows.Step | Should -Be @(4, 8, 12)
        foreach ($r in $rows) {
            $r.PSObject.TypeNames[0] | Should -Be 'IclPs.CategoricalTrainingProgress'
            $r.Kind | Should -Be 'Gd'
            $r.Layers | Should -Be 2
            $r.ValidationLoss | Should -BeGreaterThan 0
            $r.ValidationAccuracy | Should -BeGreaterOrEqual 0
            $r.ValidationAccuracy | Should -BeLessOrEqual 1
        }
        # The loss starts near ln 25 and falls with lr 0.02.
        $rows[-1].ValidationLoss | Should -BeLessThan $rows[0].ValidationLoss
        $model = $out[-1]
        $model.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Regression.Categorical.CategoricalModel'
        $model.Kind | Should -Be 'Gd'
        $model.Eraser | Should -Be 'Exact'
        $model.ContextPoints | Should -Be 40
        $model.TrainContexts | Should -Be 64
        $model.Steps | Should -Be 12
        $model.BestStep | Should -Be ($rows | Sort-Object ValidationLoss | Select-Object -First 1).Step
        # alpha [2, 5] + beta + W_e [5, 25].
        $model.ParameterCount | Should -Be 136
    }

    It 'trains the transformer with every projection free' {
        $model = @(Start-IclCategoricalTraining @Tiny -ModelKind Transformer -Layers 1 -Steps 4 -EvaluateEvery 2 -PassThru)[-1]
        $model.Kind | Should -Be 'Transformer'
        $model.Eraser | Should -Be 'Learned'
        # Per layer 4 self-attention [2, 25, 25] + cross [25, 25] x 2 + [25, 5] x 2, and W_e [5, 25].
        $model.ParameterCount | Should -Be (4 * 2 * 625 + 2 * 625 + 2 * 125 + 125)
    }

    It 'resumes a checkpointed run exactly where it stopped' {
        $straight = New-TestFolder
        $split = New-TestFolder
        $common = $Tiny + @{ Layers = 1; EvaluateEvery = 4; LearningRate = 0.02; Seed = 3 }
        $full = @(Start-IclCategoricalTraining @common -Steps 16 -Path $straight -PassThru)[-1]
        $first = @(Start-IclCategoricalTraining @common -Steps 8 -Path $split)
        $first.Step | Should -Be @(4, 8)
        (Get-ChildItem $split -Directory).Name | Should -Be 'step-00000008'
        $rest = @(Start-IclCategoricalTraining @common -Steps 16 -Path $split -Resume -PassThru)
        $rest[0..1].Step | Should -Be @(12, 16)
        $resumed = $rest[-1]
        $a = Measure-IclCategorical -Model $full -EvaluationContexts 128
        $b = Measure-IclCategorical -Model $resumed -EvaluationContexts 128
        $b.Nll | Should -Be $a.Nll
        $b.Accuracy | Should -Be $a.Accuracy
        # The run folder reads back as the same model.
        $c = Measure-IclCategorical -Path $split -EvaluationContexts 128
        $c.Nll | Should -Be $a.Nll
        $c.BestStep | Should -Be $full.BestStep
        # A finished run resumes as a no-op.
        @(Start-IclCategoricalTraining @common -Steps 16 -Path $split -Resume) | Should -BeNullOrEmpty
    }

    It 'writes nothing with -WhatIf' {
        $folder = Join-Path (New-TestFolder) 'whatif'
        Start-IclCategoricalTraining @Tiny -Steps 2 -Path $folder -PassThru -WhatIf | Should -BeNullOrEmpty
        $folder | Should -Not -Exist
    }

    It 'reports <Case> as <ErrorId>, naming <Target>' -ForEach @(
        @{ Case = 'too few context points for the categories'; ErrorId = 'CategoricalTooFewContextPoints'; Target = 3
           Script = 'Start-IclCategoricalTraining -ContextPoints 3 -Steps 1' }
        @{ Case = 'more categories per context than categories'; ErrorId = 'CategoricalTooManyClusters'; Target = 30
           Script = 'Start-IclCategoricalTraining -Clusters 30 -Steps 1' }
        @{ Case = 'zero layers'; ErrorId = 'CategoricalInvalidLayers'; Target = 0
           Script = 'Start-IclCategoricalTraining -Layers 0 -Steps 1' }
        @{ Case = 'an unknown kernel'; ErrorId = 'CategoricalUnknownKernel'; Target = 'cosine'
           Script = 'Start-IclCategoricalTraining -Kernel cosine -Steps 1' }
        @{ Case = 'an unknown model kind'; ErrorId = 'CategoricalUnknownModelKind'; Target = 'Lstm'
           Script = 'Start-IclCategoricalTraining -ModelKind Lstm -Steps 1' }
        @{ Case = 'an eraser on the transformer'; ErrorId = 'CategoricalUnknownEraser'; Target = 'Exact'
           Script = 'Start-IclCategoricalTraining -ModelKind Transformer -Eraser Exact -Steps 1' }
    ) {
        $run = Invoke-InFreshRunspace $Script
        $run.Terminating | Should -BeNullOrEmpty
        $run.Errors | Should -HaveCount 1
        $run.Errors[0].FullyQualifiedErrorId | Should -BeExactly "$ErrorId$StartFqid"
        "$($run.Errors[0].TargetObject)" | Should -Be "$Target"
        $run.Errors[0].Exception.Message | Should -Match ([regex]::Escape("$Target"))
    }

    It 'refuses to resume a checkpoint of the other model kind, naming it' {
        $folder = New-TestFolder
        $null = Start-IclCategoricalTraining @Tiny -Layers 1 -Steps 2 -Path $folder
        $rows = Start-IclCategoricalTraining @Tiny -ModelKind Transformer -Layers 1 -Steps 4 -Path $folder -Resume -ErrorVariable problems -ErrorAction SilentlyContinue
        $rows | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeExactly "CategoricalModelKindMismatch$StartFqid"
        $problems[0].TargetObject | Should -Be 'Gd'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'refuses a resume with other settings, naming the field' {
        $folder = New-TestFolder
        $null = Start-IclCategoricalTraining @Tiny -Layers 1 -Steps 2 -Path $folder
        $null = Start-IclCategoricalTraining @Tiny -Layers 1 -Steps 4 -Path $folder -Resume -LearningRate 0.5 -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeExactly "CategoricalResumeMismatch$StartFqid"
        $problems[0].TargetObject | Should -Be 'options.learning_rate'
    }

    It 'refuses a fresh run into a folder that holds checkpoints' {
        $folder = New-TestFolder
        $null = Start-IclCategoricalTraining @Tiny -Layers 1 -Steps 2 -Path $folder
        $null = Start-IclCategoricalTraining @Tiny -Layers 1 -Steps 2 -Path $folder -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeExactly "CategoricalCheckpointsExist$StartFqid"
    }
}

Describe 'Measure-IclCategorical' {
    BeforeAll {
        $script:Gd = @(Start-IclCategoricalTraining @Tiny -Layers 3 -Steps 6 -LearningRate 0.02 -PassThru)[-1]
    }

    It 'writes one row per model and one Bayes row per data setting' {
        $rows = @($Gd, $Gd | Measure-IclCategorical -EvaluationContexts 256 -Bayes)
        $rows | Should -HaveCount 3
        $rows.Model | Should -Be @('Gd', 'Bayes', 'Gd')
        $rows[0].PSObject.TypeNames[0] | Should -Be 'IclPs.CategoricalEvaluation'
        foreach ($r in $rows) {
            $r.N | Should -Be 40
            $r.Samples | Should -Be 256
            $r.Accuracy | Should -BeGreaterOrEqual 0
            $r.Accuracy | Should -BeLessOrEqual 1
        }
        $rows[0].Contexts | Should -Be 64
        $rows[0].Layers | Should -Be 3
        $rows[0].Nll | Should -Be $rows[2].Nll
        # The Bayes-optimal predictor knows each context's centres: far above chance and the barely trained model.
        $rows[1].Accuracy | Should -BeGreaterThan 0.5
        $rows[1].Accuracy | Should -BeGreaterThan $rows[0].Accuracy
        $rows[1].Nll | Should -BeLessThan $rows[0].Nll
    }

    It 're-scores GD weights with the authors'' eraser and reports how often it picks another token' {
        $exact = Measure-IclCategorical -Model $Gd -EvaluationContexts 256
        $authors = Measure-IclCategorical -Model $Gd -EvaluationContexts 256 -Eraser Authors
        $authors.Eraser | Should -Be 'Authors'
        [double]::IsNaN($exact.OtherTokenShare) | Should -BeTrue
        $authors.OtherTokenShare | Should -BeGreaterThan 0
        $authors.OtherTokenShare | Should -BeLessThan 0.5
        # Three layers: the E that block 2's head leaves feeds block 3's step, so the logits change.
        $authors.Nll | Should -Not -Be $exact.Nll
    }

    It 'reports a missing run folder and an eraser for a transformer as errors' {
        $run = Invoke-InFreshRunspace 'Measure-IclCategorical -Path ./no-such-run'
        $run.Errors[0].FullyQualifiedErrorId | Should -BeExactly 'CategoricalInvalidCheckpoint,IclPs.Cmdlets.MeasureIclCategoricalCommand'
        $tf = @(Start-IclCategoricalTraining @Tiny -ModelKind Transformer -Layers 1 -Steps 2 -PassThru)[-1]
        $null = Measure-IclCategorical -Model $tf -Eraser Authors -EvaluationContexts 32 -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeExactly 'CategoricalUnknownEraser,IclPs.Cmdlets.MeasureIclCategoricalCommand'
    }
}

Describe 'Test-IclCategoricalStationaryPoint' {
    It 'measures the gradient at the construction against its noise floor and states a verdict' {
        $gd = @(Start-IclCategoricalTraining @Tiny -Layers 1 -Steps 6 -LearningRate 0.02 -PassThru)[-1]
        $r = Test-IclCategoricalStationaryPoint -Model $gd -EvaluationContexts 256 -Perturbation 0.01, 1 -Directions 1 -ContinueSteps 2 -TrainContexts 64 -BatchSize 16
        $r.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Regression.Categorical.CategoricalStationaryPointResult'
        $r.EvaluationContexts | Should -Be 256
        $r.GradientNorm | Should -BeGreaterThan 0
        $r.NoiseFloor | Should -BeGreaterThan 0
        $r.GradientOverNoise | Should -Be ($r.GradientNorm / $r.NoiseFloor)
        $r.Perturbations | Should -HaveCount 2
        $r.Parts.Weight | Should -Contain 'self_value'
        $r.Verdict | Should -Match 'noise floor'
        $r.Stationary | Should -Be ($r.GradientWithinNoise -and -not $r.LossFallsBeyondNoise)
    }

    It 'refuses a transformer, naming its kind' {
        $tf = @(Start-IclCategoricalTraining @Tiny -ModelKind Transformer -Layers 1 -Steps 2 -PassThru)[-1]
        $null = Test-IclCategoricalStationaryPoint -Model $tf -EvaluationContexts 32 -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeExactly 'CategoricalModelKindMismatch,IclPs.Cmdlets.TestIclCategoricalStationaryPointCommand'
        $problems[0].TargetObject | Should -Be 'Transformer'
    }
}

Describe 'examples/categorical-gd.ps1' {
    It 'runs small with -Quick and writes the results table, the eraser and stationary tables and both plots' {
        $out = Join-Path $TestDrive 'categorical-quick'
        $log = & (Join-Path $RepositoryRoot 'examples/categorical-gd.ps1') -Quick -ResultDir $out 6>&1 | Out-String
        foreach ($file in 'categorical-gd.csv', 'categorical-gd-erasers.csv', 'categorical-gd-stationary.csv', 'categorical-gd-layers.png', 'categorical-gd-contexts.png') {
            Join-Path $out $file | Should -Exist
        }
        $rows = @(Import-Csv (Join-Path $out 'categorical-gd.csv'))
        foreach ($column in 'Model', 'Layers', 'Contexts', 'Seed', 'Accuracy', 'Nll', 'N') { $rows[0].PSObject.Properties.Name | Should -Contain $column }
        @($rows.Model | Sort-Object -Unique) | Should -Be @('Bayes', 'Gd', 'Transformer')
        $log | Should -Match 'wrote .*categorical-gd.csv'
        # Each training part is a sweep of one unit per model.
        $log | Should -Match 'TfFew unit 3 \(Seed=1, Layers=2\): Completed'
    }

    It 'trains each part as a sweep: a second run skips every finished model and the training log is merged in unit order' {
        $runs = Join-Path $TestDrive 'categorical-sweep'
        $tiny = @{ RunDir = $runs; ResultDir = (Join-Path $runs 'results'); Part = 'Gd'; GdLayers = 1, 2; FewContexts = 128; GdSteps = 10
            BatchSize = 64; ValidationContexts = 128; EvaluateEvery = 5 }
        $first = & (Join-Path $RepositoryRoot 'examples/categorical-gd.ps1') @tiny 6>&1 | Out-String
        $first | Should -Match 'Gd unit 0 \(Layers=1, Eraser=Exact\): Completed'
        $first | Should -Match 'Gd unit 1 \(Layers=2, Eraser=Exact\): Completed'
        $log = @(Import-Csv (Join-Path $runs 'Gd-training.csv'))
        @($log.Name | Select-Object -Unique) | Should -Be @('gd-exact-L1-c128', 'gd-exact-L2-c128')
        @($log | Where-Object Name -EQ 'gd-exact-L1-c128' | ForEach-Object { [int]$_.Step }) | Should -Be @(5, 10)
        $bytes = [IO.File]::ReadAllBytes((Join-Path $runs 'Gd-training.csv'))
        $again = & (Join-Path $RepositoryRoot 'examples/categorical-gd.ps1') @tiny 6>&1 | Out-String
        ([regex]::Matches($again, 'Gd unit \d \([^)]*\): Skipped')).Count | Should -Be 2
        [IO.File]::ReadAllBytes((Join-Path $runs 'Gd-training.csv')) | Should -Be $bytes
    }
}

# Every claim the "Categorical ICL" section of docs/results/README.md makes of the committed results, rechecked from the
# committed CSVs, so a rerun that no longer supports one fails here instead of leaving the README wrong.
Describe 'The committed categorical results support the claims of docs/results/README.md' {
    BeforeAll {
        $results = Join-Path $RepositoryRoot 'docs/results'
        $script:Rows = @(Import-Csv (Join-Path $results 'categorical-gd.csv'))
        $script:Erasers = @(Import-Csv (Join-Path $results 'categorical-gd-erasers.csv'))
        $script:Stationary = Import-Csv (Join-Path $results 'categorical-gd-stationary.csv')
        function Num([string]$Text) { [double]::Parse($Text, [cultureinfo]::InvariantCulture) }
        function Select-Rows([string]$Model, [int]$Layers, [int]$Contexts, [string]$Eraser) {
            @($Rows | Where-Object { $_.Model -eq $Model -and [int]$_.Layers -eq $Layers -and [int]$_.Contexts -eq $Contexts -and (-not $Eraser -or $_.Eraser -eq $Eraser) })
        }
        function Get-Mean($Selected, [string]$Column = 'Accuracy') { ($Selected | ForEach-Object { Num $_.$Column } | Measure-Object -Average).Average }
        function Get-Sd($Selected) {
            $values = @($Selected | ForEach-Object { Num $_.Accuracy })
            $mean = ($values | Measure-Object -Average).Average
            [math]::Sqrt((($values | ForEach-Object { ($_ - $mean) * ($_ - $mean) }) | Measure-Object -Sum).Sum / ($values.Count - 1))
        }
        $script:Gd = @{}
        foreach ($l in 1..6) { $Gd[$l] = Num (Select-Rows Gd $l 2048 Exact)[0].Accuracy }
        $script:Bayes = $Rows | Where-Object Model -eq 'Bayes'
        $script:TfFew = @{}
        foreach ($l in 1..3) { $TfFew[$l] = Select-Rows Transformer $l 2048 }
        $script:TfMany = Select-Rows Transformer 2 32768
    }

    It 'holds the rows the README reports: GD at 1-6 layers, transformers at 3 seeds, one Bayes row, N = 40' {
        foreach ($l in 1..6) { Select-Rows Gd $l 2048 Exact | Should -HaveCount 1 }
        foreach ($l in 1..3) { $TfFew[$l] | Should -HaveCount 3 }
        $TfMany | Should -HaveCount 3
        $Bayes | Should -HaveCount 1
        $Rows.N | Sort-Object -Unique | Should -Be '40'
        $Rows.Samples | Sort-Object -Unique | Should -Be '4096'
    }

    It 'has every model above chance (1/25, ln 25) and below the Bayes-optimal ceiling' {
        foreach ($r in $Rows | Where-Object Model -ne 'Bayes') {
            Num $r.Accuracy | Should -BeGreaterThan (1 / 25)
            Num $r.Accuracy | Should -BeLessThan (Num $Bayes.Accuracy) -Because $r.Name
            Num $r.Nll | Should -BeLessThan ([math]::Log(25))
            Num $r.Nll | Should -BeGreaterThan (Num $Bayes.Nll) -Because $r.Name
        }
        # The ceiling leaves a wide margin: more than 0.1 above the best model.
        (Num $Bayes.Accuracy) - (($Rows | Where-Object Model -ne 'Bayes' | ForEach-Object { Num $_.Accuracy } | Measure-Object -Maximum).Maximum) | Should -BeGreaterThan 0.1
    }

    It 'has the GD model rise from 1 layer to 2-3 layers and then flatten' {
        $peak = [math]::Max($Gd[2], $Gd[3])
        $peak - $Gd[1] | Should -BeGreaterThan 0.01
        foreach ($l in 4..6) {
            $Gd[$l] | Should -BeLessOrEqual ($peak + 0.01) -Because "L = $l is not better than the 2-3 layer peak"
            $Gd[$l] | Should -BeGreaterOrEqual ($peak - 0.03) -Because "L = $l stays near the peak"
        }
    }

    It 'has the transformer trained on 2048 contexts well below the GD model at 2 layers, in every seed' {
        foreach ($r in $TfFew[2]) { Num $r.Accuracy | Should -BeLessThan ($Gd[2] - 0.05) }
        (Get-Mean $TfFew[2] Nll) - (Num (Select-Rows Gd 2 2048 Exact)[0].Nll) | Should -BeGreaterThan 0.4
    }

    It 'has 16 times more training contexts bring the transformer level with the GD model in accuracy, not in NLL' {
        $many = Get-Mean $TfMany
        $gdMany = Select-Rows Gd 2 32768 Exact
        ($TfMany | ForEach-Object { Num $_.Accuracy } | Measure-Object -Minimum).Minimum | Should -BeGreaterThan (($TfFew[2] | ForEach-Object { Num $_.Accuracy } | Measure-Object -Maximum).Maximum + 0.1)
        # Level: the seeds' mean within one seed sd of GD (the README: 0.624 +- 0.006 against 0.623).
        [math]::Abs($many - (Num $gdMany[0].Accuracy)) | Should -BeLessThan (Get-Sd $TfMany)
        [math]::Round($many, 3) | Should -Be 0.624
        (Get-Mean $TfMany Nll) - (Num $gdMany[0].Nll) | Should -BeGreaterThan 0.03
        # After 3000 updates, the longest run the README reports.
        ($TfMany | ForEach-Object { [int]$_.Steps } | Measure-Object -Maximum).Maximum | Should -Be 3000
    }

    It 'has the transformer on 2048 contexts not improve with depth' {
        (Get-Mean $TfFew[2]) | Should -BeLessOrEqual ((Get-Mean $TfFew[1]) + (Get-Sd $TfFew[1]))
        (Get-Mean $TfFew[3]) | Should -BeLessThan (Get-Mean $TfFew[1])
        (Get-Mean $TfFew[3]) | Should -BeLessOrEqual ((Get-Mean $TfFew[2]) + (Get-Sd $TfFew[2]))
    }

    It 'has the authors'' erase head pick another token for about 5% of context tokens at a cost within noise' {
        foreach ($r in $Rows | Where-Object Eraser -eq 'Authors') { Num $r.OtherTokenShare | Should -BeGreaterThan 0.02; Num $r.OtherTokenShare | Should -BeLessThan 0.1 }
        foreach ($l in 3, 4) {
            $exact = $Erasers | Where-Object { [int]$_.Layers -eq $l -and $_.TrainedWith -eq 'Exact' -and $_.ScoredWith -eq 'Exact' }
            foreach ($other in $Erasers | Where-Object { [int]$_.Layers -eq $l -and $_.ScoredWith -eq 'Authors' }) {
                [math]::Abs((Num $other.Accuracy) - (Num $exact.Accuracy)) | Should -BeLessThan 0.01
                [math]::Abs((Num $other.Nll) - (Num $exact.Nll)) | Should -BeLessThan 0.02
            }
        }
    }

    It 'finds the GD construction stationary within sampling noise, with the gradient growing under perturbation' {
        Num $Stationary.GradientOverNoise | Should -BeLessOrEqual 2
        $Stationary.GrowsWithPerturbation | Should -Be 'True'
        Num $Stationary.'GradientNormAt0.1' | Should -BeGreaterThan (10 * (Num $Stationary.GradientNorm))
        Num $Stationary.LossDrop | Should -BeLessOrEqual (2 * (Num $Stationary.LossDropStandardError))
        $Stationary.Stationary | Should -Be 'True'
    }
}
