#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Each claim docs/results/README.md states, rechecked from the committed CSV it rests on: a regenerated CSV that no longer
# supports a sentence fails here, and the sentence (or the run) must change with it. The categorical claims are guarded by
# CategoricalGd.Tests.ps1. Tolerances are the rounding of the numbers as the README prints them.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Results = Join-Path $RepositoryRoot 'docs/results'

    function Read-Result([string]$Name) { @(Import-Csv (Join-Path $Results $Name)) }
    function Num([string]$Text) { [double]::Parse($Text, [cultureinfo]::InvariantCulture) }
    function Mean([double[]]$Values) { ($Values | Measure-Object -Average).Average }

    # Error of $Method at $Examples in rows with Method, Examples, Error columns.
    function Get-Curve($Rows, [string]$Method) {
        $curve = @{}
        foreach ($r in $Rows | Where-Object Method -eq $Method) { $curve[[int]$r.Examples] = Num $r.Error }
        $curve
    }
}

Describe 'Task diversity (task-diversity.csv, task-diversity-training.csv)' {
    BeforeAll {
        $rows = Read-Result 'task-diversity.csv'
        function Get-Row([string]$M, [string]$Source) { $rows | Where-Object { $_.M -eq $M -and $_.TaskSource -eq $Source } }
        $finite = @($rows | Where-Object M -ne 'inf')
    }

    It 'M = 2 is dMMSE-like: matches dMMSE on pool tasks and is worse than predicting zero on fresh ones' {
        $pool = Get-Row '2' 'pretrain'
        Num $pool.DeltaDmmse | Should -BeLessThan 0.005
        Num $pool.DeltaDmmse | Should -BeLessThan ((Num $pool.DeltaRidge) / 10)
        Num (Get-Row '2' 'fresh').ModelError | Should -BeGreaterThan 1.0
    }

    It 'from M = 8 on the model is closer to Ridge than to dMMSE on both sources, so the switch lies between 2^1 and 2^3' {
        foreach ($r in $finite | Where-Object { (Num $_.M) -ge 8 }) {
            Num $r.DeltaRidge | Should -BeLessOrEqual (Num $r.DeltaDmmse) -Because "M = $($r.M) $($r.TaskSource)"
        }
        foreach ($source in 'pretrain', 'fresh') { Num (Get-Row '2' $source).DeltaDmmse | Should -BeLessThan (Num (Get-Row '2' $source).DeltaRidge) }
    }

    It 'above M ~ 2^11 the two Deltas meet' {
        foreach ($r in $finite | Where-Object { (Num $_.M) -ge 2048 }) {
            [math]::Abs((Num $r.DeltaRidge) - (Num $r.DeltaDmmse)) | Should -BeLessThan 0.02 -Because "M = $($r.M) $($r.TaskSource)"
        }
    }

    It 'the models are not Ridge-optimal: DeltaRidge stays near 0.065 and the error near 0.36 against Ridge 0.29' {
        (($rows.DeltaRidge | ForEach-Object { Num $_ }) | Measure-Object -Minimum).Minimum | Should -BeGreaterThan 0.06
        $fresh = @($rows | Where-Object TaskSource -eq 'fresh' | ForEach-Object { Num $_.ModelError })
        ($fresh | Measure-Object -Minimum).Minimum | Should -BeGreaterThan 0.355
        $ridge = Get-Curve (Read-Result 'linear-regression-curve.csv') 'ridge'
        Mean $ridge.Values | Should -BeLessThan 0.3
    }

    It 'the M = 8192 model is the single-seed bump (DeltaRidge about 0.097 against about 0.065)' {
        Num (Get-Row '8192' 'pretrain').DeltaRidge | Should -BeGreaterThan (1.3 * (Num (Get-Row '2048' 'pretrain').DeltaRidge))
    }

    It 'the M = 8 model was still moving towards Ridge when training stopped (fresh error 1.11 -> 0.59 -> 0.53)' {
        $log = Read-Result 'task-diversity-training.csv' | Where-Object M -eq '8'
        $at = @{}; foreach ($r in $log) { $at[[int]$r.Step] = Num $r.FreshError }
        [math]::Round($at[1000], 2), [math]::Round($at[3000], 2), [math]::Round($at[6000], 2) | Should -Be @(1.11, 0.59, 0.53)
    }
}

Describe 'The linear-regression curve (linear-regression-curve.csv)' {
    BeforeAll {
        $rows = Read-Result 'linear-regression-curve.csv'
        $model, $ridge, $ls, $knn, $avg = 'transformer', 'ridge', 'least squares', '3-NN', 'averaging' | ForEach-Object { Get-Curve $rows $_ }
    }

    It 'the transformer learns in context: its error falls with k and stays below 3-NN and averaging at every k' {
        foreach ($k in 1..15) {
            $model[$k] | Should -BeLessThan ($model[$k - 1] + 0.005) -Because "k = $k"
            $model[$k] | Should -BeLessThan $knn[$k] -Because "k = $k"
            $model[$k] | Should -BeLessThan $avg[$k] -Because "k = $k"
        }
        $model[15] | Should -BeLessThan ($model[0] / 5)
    }

    It 'follows Ridge 0.05-0.12 above it from k = 3, beats least squares below k = D = 4, and has no spike where least squares has one' {
        foreach ($k in 3..15) {
            $model[$k] - $ridge[$k] | Should -BeGreaterThan 0.05 -Because "k = $k"
            $model[$k] - $ridge[$k] | Should -BeLessThan 0.12 -Because "k = $k"
        }
        foreach ($k in 1..3) { $model[$k] | Should -BeLessThan $ls[$k] -Because "k = $k" }
        $ls[4] | Should -BeGreaterThan 1000
        $model[4] | Should -BeLessThan 0.5
    }

    It 'from k = 7 least squares is better than the transformer, and from k = 9 it coincides with Ridge' {
        foreach ($k in 7..15) { $ls[$k] | Should -BeLessThan $model[$k] -Because "k = $k" }
        foreach ($k in 9..15) { [math]::Abs($ls[$k] - $ridge[$k]) | Should -BeLessThan 0.01 -Because "k = $k" }
    }
}

Describe 'Garg function classes (garg-function-classes.csv)' {
    BeforeAll {
        $rows = Read-Result 'garg-function-classes.csv'
        function Get-Class([string]$Family, [string]$Method) { Get-Curve @($rows | Where-Object Family -eq $Family) $Method }
    }

    It 'the transformer learns in context on linear, sparse and ReLU-net tasks' -ForEach @(
        @{ Family = 'Linear'; From = 0.97; To = 0.24 }, @{ Family = 'SparseLinear'; From = 0.37; To = 0.06 }, @{ Family = 'ReluNet'; From = 1.0; To = 0.42 }
    ) {
        $model = Get-Class $Family 'transformer'
        [math]::Round($model[0], 2) | Should -Be $From
        [math]::Round($model[23], 2) | Should -Be $To
    }

    It 'at 23 examples the transformer is below 3-NN and averaging on all four classes' {
        foreach ($family in 'Linear', 'SparseLinear', 'DecisionTree', 'ReluNet') {
            $model = (Get-Class $family 'transformer')[23]
            $model | Should -BeLessThan (Get-Class $family '3-NN')[23] -Because $family
            $model | Should -BeLessThan (Get-Class $family 'averaging')[23] -Because $family
        }
    }

    It 'on linear and sparse tasks least squares is exact from k = D = 8, Lasso is better below it, and the transformer is far from both' {
        foreach ($family in 'Linear', 'SparseLinear') {
            $ls = Get-Class $family 'least squares'
            foreach ($k in 8..23) { $ls[$k] | Should -BeLessThan 1e-20 -Because "$family k = $k" }
            (Get-Class $family 'transformer')[23] | Should -BeGreaterThan 0.05 -Because $family
        }
        $lasso = Get-Class 'SparseLinear' 'Lasso'
        $ls = Get-Class 'SparseLinear' 'least squares'
        foreach ($k in 4..7) { $lasso[$k] | Should -BeLessThan $ls[$k] -Because "k = $k" }
    }

    It 'on ReLU nets the transformer beats every baseline from k = 1 on, and least squares spikes at k = D' {
        $model = Get-Class 'ReluNet' 'transformer'
        foreach ($k in 1..23) {
            foreach ($method in 'least squares', '3-NN', 'averaging') { $model[$k] | Should -BeLessThan (Get-Class 'ReluNet' $method)[$k] -Because "$method k = $k" }
        }
        (Get-Class 'ReluNet' 'least squares')[8] | Should -BeGreaterThan 100
    }

    It 'on trees nothing learns much: the transformer and 3-NN stay within 0.02 of the trivial 0.119' {
        $model = Get-Class 'DecisionTree' 'transformer'
        [math]::Round($model[0], 3) | Should -Be 0.119
        $model[23] | Should -BeGreaterThan 0.099
        (Get-Class 'DecisionTree' '3-NN')[23] | Should -BeGreaterThan 0.099
    }
}

Describe 'Text ICL (text-icl-shots.csv)' {
    BeforeAll { $rows = Read-Result 'text-icl-shots.csv' | Sort-Object { [int]$_.Shots } }

    It 'is below chance with no demonstrations, rises with every shot, and reaches 0.964 (target 0.9) at 8 shots' {
        Num $rows[0].Accuracy | Should -BeLessThan (Num $rows[0].Chance)
        for ($i = 1; $i -lt $rows.Count; $i++) { Num $rows[$i].Accuracy | Should -BeGreaterThan (Num $rows[$i - 1].Accuracy) }
        $eight = $rows | Where-Object Shots -eq '8'
        [math]::Round((Num $eight.Accuracy), 3) | Should -Be 0.964
    }

    It 'stays within 0.01-0.08 of the ceiling at every shot count' {
        foreach ($r in $rows) {
            $gap = (Num $r.Ceiling) - (Num $r.Accuracy)
            $gap | Should -BeGreaterThan 0.005 -Because "$($r.Shots) shots"
            $gap | Should -BeLessThan 0.085 -Because "$($r.Shots) shots"
        }
    }
}

Describe 'Mixture model (llama-tiny-4l-mix-shots.csv)' {
    BeforeAll {
        $rows = Read-Result 'llama-tiny-4l-mix-shots.csv'
        function Get-Family([string]$Family) { @($rows | Where-Object Family -eq $Family | Sort-Object { [int]$_.Shots }) }
    }

    It 'reports shots 0, 1, 2, 4 and 8 for both families' {
        foreach ($family in 'KeyedLookup', 'Transduction') { (Get-Family $family).Shots | Should -Be @('0', '1', '2', '4', '8') }
    }

    It 'learns held-out transductions in context: chance at 0 shots, rising with every shot to 0.479 at 8 (ceiling 0.948)' {
        $t = Get-Family 'Transduction'
        [math]::Abs((Num $t[0].Accuracy) - (Num $t[0].Chance)) | Should -BeLessThan 0.02
        for ($i = 1; $i -lt $t.Count; $i++) { Num $t[$i].Accuracy | Should -BeGreaterThan ((Num $t[$i - 1].Accuracy) + 0.05) -Because "$($t[$i].Shots) shots" }
        [math]::Round((Num $t[-1].Accuracy), 3) | Should -Be 0.479
        [math]::Round((Num $t[-1].Ceiling), 3) | Should -Be 0.948
    }

    It 'on held-out keyed lookups reaches the ceiling at 1 shot (0.389) and then stays flat (0.350 at 8 shots, ceiling 0.975)' {
        $k = Get-Family 'KeyedLookup'
        [math]::Abs((Num $k[0].Accuracy) - (Num $k[0].Chance)) | Should -BeLessThan 0.02
        [math]::Round((Num $k[1].Accuracy), 3) | Should -Be 0.389
        [math]::Abs((Num $k[1].Accuracy) - (Num $k[1].Ceiling)) | Should -BeLessThan 0.01
        foreach ($r in $k[2..4]) {
            [math]::Abs((Num $r.Accuracy) - (Num $k[1].Accuracy)) | Should -BeLessThan 0.045 -Because "$($r.Shots) shots"
            Num $r.Accuracy | Should -BeGreaterThan (3 * (Num $r.Chance)) -Because "$($r.Shots) shots"
        }
        [math]::Round((Num $k[4].Accuracy), 3) | Should -Be 0.350
        [math]::Round((Num $k[4].Ceiling), 3) | Should -Be 0.975
    }
}

Describe 'Task vectors on text (task-vectors-text.csv)' {
    BeforeAll {
        $rows = Read-Result 'task-vectors-text.csv'
        function Get-Pooled([string]$Method, [string]$Setting) {
            $of = @($rows | Where-Object { $_.Method -eq $Method -and $_.Setting -eq $Setting })
            (($of | ForEach-Object { (Num $_.Accuracy) * (Num $_.N) }) | Measure-Object -Sum).Sum / (($of | ForEach-Object { Num $_.N }) | Measure-Object -Sum).Sum
        }
        # Mean per-map difference of $A over $B and its standard error over maps.
        function Get-Paired([string]$A, [string]$B, [string]$Setting) {
            $byTask = @{}
            foreach ($r in $rows | Where-Object { $_.Setting -eq $Setting -and $_.Method -in $A, $B }) { $byTask["$($r.Task)|$($r.Method)"] = Num $r.Accuracy }
            $tasks = @($rows | Where-Object Setting -eq $Setting | ForEach-Object Task | Select-Object -Unique)
            $d = [double[]]@($tasks | ForEach-Object { $byTask["$_|$A"] - $byTask["$_|$B"] })
            $mean = Mean $d
            $sd = [math]::Sqrt((($d | ForEach-Object { ($_ - $mean) * ($_ - $mean) }) | Measure-Object -Sum).Sum / ($d.Count - 1))
            [pscustomobject]@{ Mean = $mean; StdError = $sd / [math]::Sqrt($d.Count) }
        }
    }

    It 'zero-shot follows the published ordering: baseline < FV < TV < LTV < ICL' {
        $order = 'Baseline', 'FunctionVector', 'TaskVector', 'Ltv', 'Icl' | ForEach-Object { Get-Pooled $_ 'ZeroShot' }
        for ($i = 1; $i -lt $order.Count; $i++) { $order[$i] | Should -BeGreaterThan $order[$i - 1] }
        [math]::Round($order[3], 3) | Should -Be 0.375
        [math]::Round((Get-Pooled 'MajorityOutput' 'ZeroShot'), 3) | Should -Be 0.426
    }

    It 'the LTV is ahead of the function vector by about 3.5 and of the task vector by about 2.2 paired standard errors' {
        $fv = Get-Paired 'Ltv' 'FunctionVector' 'ZeroShot'
        $tv = Get-Paired 'Ltv' 'TaskVector' 'ZeroShot'
        [math]::Round($fv.Mean / $fv.StdError, 1) | Should -BeIn @(3.4, 3.5, 3.6)
        [math]::Round($tv.Mean / $tv.StdError, 1) | Should -BeIn @(2.1, 2.2, 2.3)
    }

    It 'with shuffled labels no vector does much: the LTV is within 2 standard errors of the corrupted prompt' {
        $gain = Get-Paired 'Ltv' 'Baseline' 'ShuffledLabels'
        $gain.Mean / $gain.StdError | Should -BeLessThan 2
    }
}

Describe 'The LTV on regression (ltv-regression.csv)' {
    BeforeAll {
        $rows = Read-Result 'ltv-regression.csv'
        function Get-Error([string]$Method, [string]$Shift, [int]$K) {
            Num ($rows | Where-Object { $_.Method -eq $Method -and $_.Shift -eq $Shift -and [int]$_.PromptLength -eq $K }).Error
        }
        function Get-Past([string]$Method, [string]$Shift) { Mean @(18..38 | Where-Object { $_ % 2 -eq 0 } | ForEach-Object { Get-Error $Method $Shift $_ }) }
    }

    It 'the LTV trained on longer prompts cuts the error past the training length by about <Cut> (<Shift>)' -ForEach @(
        @{ Shift = 'None'; Cut = 0.30 }, @{ Shift = 'SkewedCovariance'; Cut = 0.38 }, @{ Shift = 'NoisyTargets'; Cut = 0.25 }
    ) {
        $longer = Get-Past 'LtvLonger' $Shift
        $icl = Get-Past 'Icl' $Shift
        1 - $longer / $icl | Should -BeGreaterThan ($Cut - 0.02)
        1 - $longer / $icl | Should -BeLessThan ($Cut + 0.02)
        Get-Error 'LtvLonger' $Shift 16 | Should -BeGreaterThan (Get-Error 'Icl' $Shift 16)
    }

    It 'the LTV trained at the training length equals ICL to 0.002 up to K = 16 without a shift, and is worse past it with skewed inputs' {
        foreach ($k in 2..16 | Where-Object { $_ % 2 -eq 0 }) { [math]::Abs((Get-Error 'Ltv' 'None' $k) - (Get-Error 'Icl' 'None' $k)) | Should -BeLessThan 0.002 -Because "K = $k" }
        Get-Past 'Ltv' 'SkewedCovariance' | Should -BeGreaterThan (Get-Past 'Icl' 'SkewedCovariance')
    }

    It 'no method helps orthogonal queries: all at 0.97-1.06' {
        foreach ($r in $rows | Where-Object Shift -eq 'OrthogonalQuery') {
            Num $r.Error | Should -BeGreaterThan 0.965 -Because "$($r.Method) K = $($r.PromptLength)"
            Num $r.Error | Should -BeLessThan 1.065 -Because "$($r.Method) K = $($r.PromptLength)"
        }
    }
}
