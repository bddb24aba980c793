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

    It 'learns held-out maps of both families in context: chance at 0 shots, rising with every shot to within 0.07 of the ceiling' {
        foreach ($family in 'KeyedLookup', 'Transduction') {
            $c = Get-Family $family
            Num $c[0].Accuracy | Should -BeLessThan ((Num $c[0].Chance) + 0.01) -Because "$family 0 shots"
            Num $c[0].Accuracy | Should -BeGreaterThan ((Num $c[0].Chance) - 0.04) -Because "$family 0 shots"
            for ($i = 1; $i -lt $c.Count; $i++) {
                Num $c[$i].Accuracy | Should -BeGreaterThan ((Num $c[$i - 1].Accuracy) + 0.1) -Because "$family $($c[$i].Shots) shots"
                $gap = (Num $c[$i].Ceiling) - (Num $c[$i].Accuracy)
                $gap | Should -BeGreaterThan 0.003 -Because "$family $($c[$i].Shots) shots"
                $gap | Should -BeLessThan 0.07 -Because "$family $($c[$i].Shots) shots"
            }
        }
    }

    It 'states the README table: accuracy and ceiling per family and shot count' {
        $table = @{
            KeyedLookup  = @(@(0.073, 0.111), @(0.339, 0.385), @(0.513, 0.582), @(0.808, 0.818), @(0.965, 0.975))
            Transduction = @(@(0.099, 0.111), @(0.307, 0.311), @(0.450, 0.476), @(0.663, 0.716), @(0.928, 0.948))
        }
        foreach ($family in $table.Keys) {
            $c = Get-Family $family
            for ($i = 0; $i -lt 5; $i++) {
                [math]::Round((Num $c[$i].Accuracy), 3), [math]::Round((Num $c[$i].Ceiling), 3) | Should -Be $table[$family][$i] -Because "$family $($c[$i].Shots) shots"
            }
        }
    }

    It 'reaches 0.965 (keyed lookups, ceiling 0.975) and 0.928 (transductions, ceiling 0.948) at 8 shots' {
        $k = Get-Family 'KeyedLookup'
        $t = Get-Family 'Transduction'
        [math]::Round((Num $k[-1].Accuracy), 3), [math]::Round((Num $k[-1].Ceiling), 3) | Should -Be @(0.965, 0.975)
        [math]::Round((Num $t[-1].Accuracy), 3), [math]::Round((Num $t[-1].Ceiling), 3) | Should -Be @(0.928, 0.948)
        [int]$k[-1].N, [int]$t[-1].N | Should -Be @(3456, 10368)
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

Describe 'The task-diversity transient at D = 8 (task-diversity-d8*.csv)' {
    BeforeAll {
        $rows = Read-Result 'task-diversity-d8.csv'
        $thresholds = Read-Result 'task-diversity-d8-threshold.csv'
        $switches = Read-Result 'task-diversity-d8-switch.csv'
        $pool = @($rows | Where-Object TaskSource -EQ 'pretrain')
        # Seed mean of a column on pool tasks for one M and training length.
        function Get-PoolMean([string]$M, [int]$Steps, [string]$Column) {
            $of = @($pool | Where-Object { $_.M -eq $M -and [int]$_.Steps -eq $Steps })
            $of | Should -HaveCount 3
            Mean ($of | ForEach-Object { Num $_.$Column })
        }
        $finite = '2', '8', '32', '128', '512', '2048'
    }

    It 'holds every M, every 1000 updates to 20,000, three evaluation seeds of 4096 sequences, both sources' {
        @($rows.M | Select-Object -Unique) | Should -Be (@('inf') + $finite)
        @($rows.Steps | Sort-Object { [int]$_ } -Unique) | Should -Be @(1..20 | ForEach-Object { "$($_ * 1000)" })
        @($rows.EvalSeed | Sort-Object -Unique) | Should -Be @('1', '2', '3')
        @($rows.Samples | Sort-Object -Unique) | Should -Be '4096'
        $rows | Should -HaveCount (7 * 20 * 3 * 2)
        foreach ($r in $rows | Where-Object M -NE 'inf') { Num $r.DeltaRidgeDmmse | Should -BeGreaterThan 0 }
    }

    It 'the threshold table is the one the rows give: the sign change of DeltaDmmse - DeltaRidge on pool tasks, per T and seed' {
        $thresholds | Should -HaveCount (20 * 3)
        foreach ($t in $thresholds) {
            $byM = @($pool | Where-Object { $_.Steps -eq $t.Steps -and $_.EvalSeed -eq $t.EvalSeed -and $_.M -ne 'inf' } | Sort-Object { Num $_.M })
            $gap = @($byM | ForEach-Object { (Num $_.DeltaDmmse) - (Num $_.DeltaRidge) })
            $last = -1
            for ($i = 0; $i -lt $gap.Count; $i++) { if ($gap[$i] -lt 0) { $last = $i } }
            if ($last -lt 0) { $t.Bound | Should -Be 'BelowRange'; continue }
            if ($last -eq $gap.Count - 1) { $t.Bound | Should -Be 'AboveRange'; continue }
            $t.Bound | Should -Be 'Crossing'
            $lo, $hi = [math]::Log2((Num $byM[$last].M)), [math]::Log2((Num $byM[$last + 1].M))
            Num $t.Log2MStar | Should -BeGreaterOrEqual $lo
            Num $t.Log2MStar | Should -BeLessOrEqual $hi
            [math]::Abs((Num $t.Log2MStar) - ($lo + ($hi - $lo) * (-$gap[$last]) / ($gap[$last + 1] - $gap[$last]))) | Should -BeLessThan 1e-9
        }
    }

    It 'the apparent threshold moves up with training length: log2 M* 2.36 at 1000 updates to 4.31 at 20,000, falling by at most 0.05 between thousands' {
        @($thresholds.Bound | Sort-Object -Unique) | Should -Be 'Crossing'
        $curve = @(1..20 | ForEach-Object { $t = $_ * 1000; Mean ($thresholds | Where-Object { [int]$_.Steps -eq $t } | ForEach-Object { Num $_.Log2MStar }) })
        [math]::Round($curve[0], 2) | Should -Be 2.36
        [math]::Round($curve[-1], 2) | Should -Be 4.31
        foreach ($i in 1..19) { $curve[$i] | Should -BeGreaterThan ($curve[$i - 1] - 0.05) -Because "from $($i * 1000) to $(($i + 1) * 1000) updates" }
        [math]::Round($curve[1], 2), [math]::Round($curve[4], 2), [math]::Round($curve[9], 2), [math]::Round($curve[14], 2) | Should -Be @(2.8, 3.05, 3.86, 4.2)
        # Far below the paper's 2^11.5 at 500K x 256.
        $curve[-1] | Should -BeLessThan 11.5
    }

    It 'M = 2 is dMMSE-like from 1000 updates; M = 8 is Ridge-like at 2000 and dMMSE-like from 5000 for good; no M >= 32 ever within 20,000' {
        foreach ($s in $switches | Where-Object M -EQ '2') { $s.FirstDmmseLike, $s.DmmseLikeFrom | Should -Be @('1000', '1000') }
        foreach ($s in $switches | Where-Object M -EQ '8') { $s.FirstDmmseLike, $s.DmmseLikeFrom | Should -Be @('5000', '5000') }
        foreach ($s in $switches | Where-Object { (Num $_.M) -ge 32 }) { $s.FirstDmmseLike + $s.DmmseLikeFrom | Should -BeNullOrEmpty -Because "M = $($s.M)" }
        $switches | Should -HaveCount (6 * 3)
        Get-PoolMean '8' 2000 DeltaRidge | Should -BeLessThan (Get-PoolMean '8' 2000 DeltaDmmse)
        [math]::Round((Get-PoolMean '8' 20000 DeltaDmmse), 3) | Should -Be 0.056
        Get-PoolMean '2' 20000 DeltaDmmse | Should -BeLessThan 0.0025
        # Memorising: the M = 8 model's fresh-task error stays near 1 while its pool error falls.
        $fresh8 = Mean (@($rows | Where-Object { $_.M -eq '8' -and $_.Steps -eq '20000' -and $_.TaskSource -eq 'fresh' }) | ForEach-Object { Num $_.Error })
        $fresh8 | Should -BeGreaterThan 0.9
        Get-PoolMean '8' 20000 Error | Should -BeLessThan 0.25
    }

    It 'the resolution shrinks with M (0.430 at M = 2 to 0.107 at 2048); M = 8 at 5000 updates is the one marginal call (0.004 apart)' {
        $resolution = @($finite | ForEach-Object { Get-PoolMean $_ 20000 DeltaRidgeDmmse })
        for ($i = 1; $i -lt $resolution.Count; $i++) { $resolution[$i] | Should -BeLessThan $resolution[$i - 1] }
        [math]::Round($resolution[0], 3), [math]::Round($resolution[-1], 3) | Should -Be @(0.43, 0.107)
        [math]::Round([math]::Abs((Get-PoolMean '8' 5000 DeltaRidge) - (Get-PoolMean '8' 5000 DeltaDmmse)), 3) | Should -Be 0.004
        Get-PoolMean '2048' 20000 DeltaRidge | Should -BeGreaterThan (Get-PoolMean '2048' 20000 DeltaRidgeDmmse)
        [math]::Round((Get-PoolMean 'inf' 20000 DeltaRidge), 3) | Should -Be 0.149
        # Evaluation seeds move the Deltas by at most 0.005 (SD).
        foreach ($group in $pool | Group-Object M, Steps) {
            foreach ($column in 'DeltaRidge', 'DeltaDmmse') {
                $v = @($group.Group | Where-Object { $_.$column -ne '' } | ForEach-Object { Num $_.$column })
                if ($v.Count -lt 2) { continue }
                $m = Mean $v
                [math]::Sqrt((($v | ForEach-Object { ($_ - $m) * ($_ - $m) }) | Measure-Object -Sum).Sum / ($v.Count - 1)) | Should -BeLessThan 0.0125 -Because "$($group.Name) $column"
            }
        }
    }
}

Describe 'ICL against instruction tuning (icl-vs-it.csv, icl-vs-it-tests.csv, icl-vs-it-accuracy.csv)' {
    BeforeAll {
        $rows = Read-Result 'icl-vs-it.csv'
        $tests = Read-Result 'icl-vs-it-tests.csv'
        $accuracy = Read-Result 'icl-vs-it-accuracy.csv'
        $zero = Read-Result 'icl-vs-it-zero-shots.csv'
        # The main setting unless told otherwise: last layer, 20 updates, correct labels, random demonstrations, same map.
        function Get-Cosine([string]$Family, [int]$Shots, [string]$Pair, [int]$Steps = 20, [string]$Labels = 'Correct', [string]$Demos = 'Random', [string]$Adapter = 'SameMap', [int]$Layer = 3, [string]$Measure = 'MeanCosine') {
            $r = @($rows | Where-Object { $_.Family -eq $Family -and [int]$_.Shots -eq $Shots -and $_.Pair -eq $Pair -and [int]$_.AdapterSteps -eq $Steps -and
                $_.Labels -eq $Labels -and $_.Demos -eq $Demos -and $_.Adapter -eq $Adapter -and [int]$_.Layer -eq $Layer })
            $r | Should -HaveCount 1
            Num $r[0].$Measure
        }
        function Get-Test([string]$Family, [int]$Shots, [string]$Contrast, [string]$Labels = 'Correct', [string]$Demos = 'Random', [string]$Adapter = 'SameMap', [int]$Steps = 20, [string]$Measure = 'Cosine') {
            $t = @($tests | Where-Object { $_.Family -eq $Family -and [int]$_.Shots -eq $Shots -and $_.Contrast -eq $Contrast -and [int]$_.AdapterSteps -eq $Steps -and
                $_.Labels -eq $Labels -and $_.Demos -eq $Demos -and $_.Adapter -eq $Adapter -and $_.Layer -eq '3' -and $_.Measure -eq $Measure })
            $t | Should -HaveCount 1
            $t[0]
        }
        function Get-Accuracy([string]$Family, [int]$Shots, [string]$Condition, [int]$Steps = 20) {
            Num ($accuracy | Where-Object { $_.Family -eq $Family -and [int]$_.Shots -eq $Shots -and $_.Condition -eq $Condition -and [int]$_.AdapterSteps -eq $Steps -and
                $_.Labels -eq 'Correct' -and $_.Demos -eq 'Random' -and $_.Adapter -eq 'SameMap' }).Accuracy
        }
        $families = 'KeyedLookup', 'Transduction'
        $shots = 1, 2, 4, 8
    }

    It 'tests across settings on the cosine only: each setting is centred on its own mean' {
        $across = @($tests | Where-Object Contrast -NotLike 'IclIt > Anchor*')
        $across.Count | Should -BeGreaterThan 0
        @($across.Measure | Sort-Object -Unique) | Should -Be 'Cosine'
        @($tests | Where-Object Contrast -Like 'IclIt > Anchor*' | ForEach-Object Measure | Sort-Object -Unique) | Should -Be @('CentredCosine', 'Cosine')
    }

    It 'holds 30 inputs per cell, both families, shots 1-8 and 0, 5, 20, 50 updates on llama-tiny-4l-mix' {
        @($rows.N) + @($accuracy.N) + @($tests | ForEach-Object { [int]$_.N + [int]$_.Zeros }) | ForEach-Object { [int]$_ } | Sort-Object -Unique | Should -Be 30
        $rows.Model + $accuracy.Model | Sort-Object -Unique | Should -Be 'llama-tiny-4l-mix'
        @($rows.Family | Sort-Object -Unique) | Should -Be $families
        @($rows.AdapterSteps | Sort-Object { [int]$_ } -Unique) | Should -Be @('0', '5', '20', '50')
        @($rows.Shots | Sort-Object { [int]$_ } -Unique) | Should -Be @('1', '2', '4', '8')
    }

    It 'states the README main table: per family and k, mean and sd of the three cosines, the centred means, the accuracies' {
        # anchor-ICL, anchor-IT, ICL-IT means; their sds; their centred means; accuracy of anchor, ICL, IT.
        $table = [ordered]@{
            'KeyedLookup 1' = @(0.859, 0.39, 0.507, 0.281, 0.311, 0.342, 0.423, -0.944, -0.365, 0.033, 0.2, 0.3)
            'KeyedLookup 2' = @(0.675, 0.409, 0.642, 0.348, 0.299, 0.341, -0.021, -0.827, 0.187, 0.033, 0.5, 0.5)
            'KeyedLookup 4' = @(0.46, 0.351, 0.687, 0.303, 0.324, 0.319, -0.509, -0.843, 0.616, 0.033, 0.833, 0.733)
            'KeyedLookup 8' = @(0.325, 0.378, 0.684, 0.194, 0.228, 0.244, -0.762, -0.86, 0.791, 0.033, 0.933, 0.867)
            'Transduction 1' = @(0.77, 0.221, -0.172, 0.116, 0.183, 0.209, 0.039, -0.418, -0.563, 0, 0.167, 0.033)
            'Transduction 2' = @(0.544, 0.362, 0.024, 0.21, 0.219, 0.314, -0.215, -0.401, -0.146, 0, 0.267, 0.2)
            'Transduction 4' = @(0.296, 0.458, 0.157, 0.154, 0.242, 0.256, -0.316, -0.326, 0.098, 0, 0.667, 0.3)
            'Transduction 8' = @(0.187, 0.596, 0.255, 0.083, 0.195, 0.239, -0.275, -0.367, 0.236, 0, 0.933, 0.467)
        }
        foreach ($cell in $table.Keys) {
            $f, $k = $cell -split ' '
            $pairs = 'AnchorIcl', 'AnchorIt', 'IclIt'
            $found = @($pairs | ForEach-Object { Get-Cosine $f $k $_ }) + @($pairs | ForEach-Object { Get-Cosine $f $k $_ -Measure StdCosine }) +
                @($pairs | ForEach-Object { Get-Cosine $f $k $_ -Measure MeanCentredCosine }) + @('Anchor', 'Icl', 'It' | ForEach-Object { Get-Accuracy $f $k $_ })
            @($found | ForEach-Object { [math]::Round($_, 3) }) | Should -Be $table[$cell] -Because $cell
        }
    }

    It 'states the README sensitivity table: cos(anchor, IT), cos(ICL, IT) and IT accuracy at 4 and 8 shots per update count' {
        $table = [ordered]@{
            'KeyedLookup 0' = @(1, 1, 0.46, 0.325, 0.033, 0.033)
            'KeyedLookup 5' = @(0.818, 0.827, 0.449, 0.348, 0.433, 0.467)
            'KeyedLookup 20' = @(0.351, 0.378, 0.687, 0.684, 0.733, 0.867)
            'KeyedLookup 50' = @(0.351, 0.325, 0.753, 0.81, 0.767, 0.933)
            'Transduction 0' = @(1, 1, 0.296, 0.187, 0, 0)
            'Transduction 5' = @(0.963, 0.965, 0.274, 0.181, 0.167, 0.167)
            'Transduction 20' = @(0.458, 0.596, 0.157, 0.255, 0.3, 0.467)
            'Transduction 50' = @(0.257, 0.289, 0.17, 0.31, 0.4, 0.5)
        }
        foreach ($cell in $table.Keys) {
            $f, $steps = $cell -split ' '
            $found = @(4, 8 | ForEach-Object { Get-Cosine $f $_ AnchorIt -Steps $steps }) + @(4, 8 | ForEach-Object { Get-Cosine $f $_ IclIt -Steps $steps }) +
                @(4, 8 | ForEach-Object { Get-Accuracy $f $_ It -Steps $steps })
            @($found | ForEach-Object { [math]::Round($_, 3) }) | Should -Be $table[$cell] -Because $cell
        }
    }

    It 'sim(ICL, IT) is not high at the last layer: 0.51-0.69 (keyed), -0.17 to 0.26 (transduction), centred at most 0.79; keyed 0.810 at 8 shots with 50 updates' {
        foreach ($k in $shots) {
            Get-Cosine KeyedLookup $k IclIt | Should -BeGreaterThan 0.5
            Get-Cosine KeyedLookup $k IclIt | Should -BeLessThan 0.69
            Get-Cosine Transduction $k IclIt | Should -BeGreaterThan -0.18
            Get-Cosine Transduction $k IclIt | Should -BeLessThan 0.26
            foreach ($f in $families) { Get-Cosine $f $k IclIt -Measure MeanCentredCosine | Should -BeLessThan 0.8 }
        }
        [math]::Round((Get-Cosine KeyedLookup 8 IclIt -Steps 50), 3) | Should -Be 0.81
        foreach ($f in $families) { foreach ($k in $shots) { foreach ($steps in 0, 5, 20, 50) { Get-Cosine $f $k IclIt -Steps $steps | Should -BeLessThan 0.86 } } }
    }

    It 'sim(ICL, IT) is above sim(anchor, ICL) from 4 shots: on the cosine for keyed lookups (p = 0.0081, 0.0002), on the centred cosine in both families' {
        $t4 = Get-Test KeyedLookup 4 'IclIt > AnchorIcl'
        $t8 = Get-Test KeyedLookup 8 'IclIt > AnchorIcl'
        [math]::Round((Num $t4.P), 4), [math]::Round((Num $t8.P), 4) | Should -Be @(0.0081, 0.0002)
        [int]$t4.W, [int]$t8.W | Should -Be @(350, 407)
        Num $t4.PHolm | Should -BeLessThan 0.05
        Get-Cosine KeyedLookup 1 IclIt | Should -BeLessThan (Get-Cosine KeyedLookup 1 AnchorIcl)
        foreach ($k in 1, 2, 4) { Get-Cosine Transduction $k IclIt | Should -BeLessThan (Get-Cosine Transduction $k AnchorIcl) -Because "k = $k" }
        $t = Get-Test Transduction 8 'IclIt > AnchorIcl'
        Num $t.P | Should -BeLessThan 0.05
        Num $t.PHolm | Should -BeGreaterThan 0.05
        foreach ($f in $families) {
            foreach ($k in 4, 8) {
                $t = Get-Test $f $k 'IclIt > AnchorIcl' -Measure CentredCosine
                Num $t.P | Should -BeLessThan 0.001 -Because "$f k = $k"
                Num $t.PHolm | Should -BeLessThan 0.002 -Because "$f k = $k"
            }
            foreach ($k in 1, 2) { Num (Get-Test $f $k 'IclIt > AnchorIcl' -Measure CentredCosine).P | Should -BeGreaterThan 0.1 -Because "$f k = $k" }
        }
    }

    It 'sim(ICL, IT) is above sim(anchor, IT) for keyed lookups from 2 shots (p <= 0.0007), for transductions on the centred cosine only (from 2 shots)' {
        foreach ($k in 2, 4, 8) {
            $t = Get-Test KeyedLookup $k 'IclIt > AnchorIt'
            Num $t.P | Should -BeLessOrEqual 0.0007 -Because "k = $k"
            Num $t.PHolm | Should -BeLessOrEqual 0.0027 -Because "k = $k"
            Num $t.MedianDifference | Should -BeGreaterThan 0.04
        }
        [math]::Round((Num (Get-Test KeyedLookup 1 'IclIt > AnchorIt').P), 3) | Should -Be 0.087
        foreach ($k in $shots) {
            Num (Get-Test KeyedLookup $k 'IclIt > AnchorIt' -Measure CentredCosine).P | Should -BeLessThan 1e-4
            Get-Cosine Transduction $k IclIt | Should -BeLessThan (Get-Cosine Transduction $k AnchorIt) -Because "k = $k"
            Num (Get-Test Transduction $k 'IclIt > AnchorIt').P | Should -BeGreaterOrEqual 0.9999
        }
        foreach ($k in 2, 4, 8) {
            $t = Get-Test Transduction $k 'IclIt > AnchorIt' -Measure CentredCosine
            Num $t.P | Should -BeLessThan 0.0065 -Because "k = $k"
            Num $t.PHolm | Should -BeLessThan 0.026 -Because "k = $k"
        }
    }

    It 'sim(ICL, IT) rises with the number of demonstrations: steadily for transductions, keyed lookups level off from 4 shots' {
        $curve = @($shots | ForEach-Object { Get-Cosine Transduction $_ IclIt })
        for ($i = 1; $i -lt $curve.Count; $i++) { $curve[$i] | Should -BeGreaterThan $curve[$i - 1] }
        $curve = @($shots | ForEach-Object { Get-Cosine KeyedLookup $_ IclIt })
        $curve[1] | Should -BeGreaterThan $curve[0]
        $curve[2] | Should -BeGreaterThan $curve[1]
        [math]::Abs($curve[3] - $curve[2]) | Should -BeLessThan 0.01
    }

    It 'dissimilar demonstrations lower sim(ICL, IT) in both families from 2 shots' {
        foreach ($k in 2, 4) { Num (Get-Test KeyedLookup $k 'IclIt Dissimilar < Random' -Demos Dissimilar).PHolm | Should -BeLessThan 0.02 -Because "keyed k = $k" }
        $t = Get-Test KeyedLookup 8 'IclIt Dissimilar < Random' -Demos Dissimilar
        [math]::Round((Num $t.P), 3), [math]::Round((Num $t.PHolm), 3) | Should -Be @(0.018, 0.072)
        foreach ($k in 2, 4, 8) { Num (Get-Test Transduction $k 'IclIt Dissimilar < Random' -Demos Dissimilar).PHolm | Should -BeLessThan 0.007 -Because "transduction k = $k" }
        foreach ($f in $families) {
            foreach ($k in 2, 4, 8) { Get-Cosine $f $k IclIt -Demos Dissimilar | Should -BeLessThan (Get-Cosine $f $k IclIt) -Because "$f k = $k" }
            Num (Get-Test $f 1 'IclIt Dissimilar < Random' -Demos Dissimilar).P | Should -BeGreaterThan 0.15 -Because "$f k = 1"
        }
    }

    It 'wrong labels: no two-sided difference in sim(ICL, IT) survives Holm (keyed at 8 shots p = 0.032 before it)' {
        foreach ($f in $families) {
            foreach ($k in 2, 4, 8) {
                $t = Get-Test $f $k 'IclIt Wrong vs Correct' -Labels Wrong
                $t.Alternative | Should -Be 'TwoSided'
                Num $t.PHolm | Should -BeGreaterThan 0.1 -Because "$f k = $k"
            }
        }
        $t = Get-Test KeyedLookup 8 'IclIt Wrong vs Correct' -Labels Wrong
        [math]::Round((Num $t.P), 3) | Should -Be 0.032
        Num $t.MedianDifference | Should -BeLessThan 0
    }

    It 'controls: zero shots give ICL = anchor, zero updates IT = anchor, at every layer' {
        foreach ($r in $zero) { [math]::Abs((Num $r.MeanCosine) - 1) | Should -BeLessThan 1e-12 -Because "$($r.Family) layer $($r.Layer) $($r.Pair)" }
        foreach ($r in $rows | Where-Object { $_.AdapterSteps -eq '0' -and $_.Pair -eq 'AnchorIt' }) { [math]::Abs((Num $r.MeanCosine) - 1) | Should -BeLessThan 1e-12 }
        foreach ($r in $rows | Where-Object { $_.AdapterSteps -eq '0' -and $_.Pair -eq 'IclIt' }) {
            $anchorIcl = $rows | Where-Object { $_.AdapterSteps -eq '0' -and $_.Pair -eq 'AnchorIcl' -and $_.Family -eq $r.Family -and $_.Layer -eq $r.Layer -and $_.Shots -eq $r.Shots -and
                $_.Labels -eq $r.Labels -and $_.Demos -eq $r.Demos -and $_.Adapter -eq $r.Adapter }
            [math]::Abs((Num $r.MeanCosine) - (Num $anchorIcl.MeanCosine)) | Should -BeLessThan 1e-12
        }
    }

    It 'control: another map''s LoRA sits further from ICL for keyed lookups at every k (p <= 0.011), for transductions at 8 shots before Holm only' {
        foreach ($k in $shots) {
            Num (Get-Test KeyedLookup $k 'IclIt OtherMap < SameMap' -Adapter OtherMap).P | Should -BeLessOrEqual 0.0111 -Because "keyed k = $k"
            Get-Cosine KeyedLookup $k IclIt -Adapter OtherMap | Should -BeLessThan (Get-Cosine KeyedLookup $k IclIt) -Because "keyed k = $k"
        }
        foreach ($k in 1, 2, 4) { Num (Get-Test Transduction $k 'IclIt OtherMap < SameMap' -Adapter OtherMap).P | Should -BeGreaterOrEqual 0.71 -Because "transduction k = $k" }
        $t = Get-Test Transduction 8 'IclIt OtherMap < SameMap' -Adapter OtherMap
        [math]::Round((Num $t.P), 3), [math]::Round((Num $t.PHolm), 3) | Should -Be @(0.022, 0.088)
    }

    It 'more LoRA updates move IT away from the anchor and, for keyed lookups, towards ICL; 5 updates already change its answers' {
        foreach ($f in $families) {
            foreach ($k in 4, 8) {
                $anchorIt = @(0, 5, 20 | ForEach-Object { Get-Cosine $f $k AnchorIt -Steps $_ })
                for ($i = 1; $i -lt 3; $i++) { $anchorIt[$i] | Should -BeLessThan $anchorIt[$i - 1] -Because "$f k = $k" }
                Get-Cosine $f $k AnchorIt -Steps 50 | Should -BeLessThan ($anchorIt[2] + 0.001) -Because "$f k = $k"
                $anchorIt[1] | Should -BeGreaterThan 0.8
                Get-Accuracy $f $k It -Steps 5 | Should -BeGreaterThan (Get-Accuracy $f $k Anchor -Steps 5)
            }
        }
        foreach ($k in 4, 8) {
            $iclIt = @(5, 20, 50 | ForEach-Object { Get-Cosine KeyedLookup $k IclIt -Steps $_ })
            for ($i = 1; $i -lt 3; $i++) { $iclIt[$i] | Should -BeGreaterThan $iclIt[$i - 1] -Because "k = $k" }
        }
    }

    It 'IT learns keyed lookups nearly as well as ICL (0.867 against 0.933 at 8 shots, 0.933 with 50 updates), transductions much less (0.467)' {
        foreach ($k in $shots) { Get-Accuracy KeyedLookup $k Anchor | Should -Be (1 / 30); Get-Accuracy Transduction $k Anchor | Should -Be 0 }
        [math]::Round((Get-Accuracy KeyedLookup 8 It), 3), [math]::Round((Get-Accuracy KeyedLookup 8 Icl), 3) | Should -Be @(0.867, 0.933)
        [math]::Round((Get-Accuracy KeyedLookup 8 It -Steps 50), 3) | Should -Be 0.933
        [math]::Round((Get-Accuracy Transduction 8 It), 3), [math]::Round((Get-Accuracy Transduction 8 Icl), 3) | Should -Be @(0.467, 0.933)
    }
}
