#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The task-vector claims of docs/results/README.md, rechecked from the committed CSVs: regenerated results that no longer
# support a sentence there fail here. Each paired standard error is recomputed from the per-rule rows, not read back.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Results = Join-Path $RepositoryRoot 'docs/results'
    function Num([string]$Text) { [double]::Parse($Text, [cultureinfo]::InvariantCulture) }
    # Mean and standard error (sd / sqrt(n)) of a list of numbers.
    function Get-MeanAndError([double[]]$Values) {
        $mean = ($Values | Measure-Object -Average).Average
        $squares = 0.0; foreach ($v in $Values) { $squares += ($v - $mean) * ($v - $mean) }
        [pscustomobject]@{ Mean = $mean; StdError = [math]::Sqrt($squares / ($Values.Count - 1) / $Values.Count) }
    }
}

Describe 'The committed task vectors on text-rules-6l support docs/results/README.md' {
    BeforeAll {
        $script:Summary = @(Import-Csv (Join-Path $Results 'task-vectors-rules.csv'))
        $script:PerRule = @(Import-Csv (Join-Path $Results 'task-vectors-rules-tasks.csv'))
        $script:Layers = @(Import-Csv (Join-Path $Results 'task-vectors-rules-layers.csv'))
        $script:Methods = 'Baseline', 'TaskVector', 'TaskVectorAveraged', 'FunctionVector', 'Ltv', 'Icl'
        function Get-Accuracy([string]$Method, [string]$Setting) { Num ($Summary | Where-Object { $_.Method -eq $Method -and $_.Setting -eq $Setting }).Accuracy }
        # Method minus Versus, per rule, with its paired standard error over rules.
        function Get-Difference([string]$Setting, [string]$Method, [string]$Versus) {
            $differences = foreach ($rule in ($PerRule.Task | Sort-Object -Unique)) {
                $a = @($PerRule | Where-Object { $_.Setting -eq $Setting -and $_.Task -eq $rule -and $_.Method -eq $Method })
                $b = @($PerRule | Where-Object { $_.Setting -eq $Setting -and $_.Task -eq $rule -and $_.Method -eq $Versus })
                $a | Should -HaveCount 1
                $b | Should -HaveCount 1
                (Num $a[0].Accuracy) - (Num $b[0].Accuracy)
            }
            Get-MeanAndError ([double[]]$differences)
        }
    }

    It 'holds every method in both settings on the 12 rules, and the summary is their mean and standard error' {
        $Summary | Should -HaveCount 12
        @($PerRule.Task | Sort-Object -Unique) | Should -HaveCount 12
        foreach ($setting in 'ZeroShot', 'ShuffledLabels') {
            foreach ($method in $Methods) {
                $rows = @($PerRule | Where-Object { $_.Setting -eq $setting -and $_.Method -eq $method })
                $rows | Should -HaveCount 12
                $expected = Get-MeanAndError ([double[]]@($rows | ForEach-Object { Num $_.Accuracy }))
                $row = $Summary | Where-Object { $_.Method -eq $method -and $_.Setting -eq $setting }
                Num $row.Accuracy | Should -BeLessThan ($expected.Mean + 1e-9)
                Num $row.Accuracy | Should -BeGreaterThan ($expected.Mean - 1e-9)
                Num $row.StdError | Should -BeLessThan ($expected.StdError + 1e-9)
                Num $row.StdError | Should -BeGreaterThan ($expected.StdError - 1e-9)
                [int]$row.N | Should -Be (($rows | ForEach-Object { [int]$_.N } | Measure-Object -Sum).Sum)
            }
        }
        # 13 test queries per rule for every method but the function vector, scored only where clean ICL is right.
        @($PerRule | Where-Object Method -ne 'FunctionVector' | ForEach-Object N | Sort-Object -Unique) | Should -Be @('13')
    }

    It 'shows the regime: zero-shot near chance among the 12 rules, 8-shot ICL almost always right' {
        Get-Accuracy Baseline ZeroShot | Should -BeLessThan (2.5 / 12)
        Get-Accuracy Icl ZeroShot | Should -BeGreaterThan 0.95
    }

    It 'ICL beats every other method by more than 2 paired standard errors in both settings' {
        foreach ($setting in 'ZeroShot', 'ShuffledLabels') {
            foreach ($method in $Methods | Where-Object { $_ -ne 'Icl' }) {
                $d = Get-Difference $setting Icl $method
                $d.Mean | Should -BeGreaterThan (2 * $d.StdError) -Because "$setting Icl - $method"
                $d.Mean | Should -BeGreaterThan 0.5 -Because "no vector comes near ICL ($setting, $method)"
            }
        }
    }

    It 'zero-shot, Hendel''s task vector (per example and averaged) is below the baseline, the function vector and the LTV by more than 2 SE' {
        foreach ($method in 'TaskVector', 'TaskVectorAveraged') {
            foreach ($versus in 'Baseline', 'FunctionVector', 'Ltv') {
                $d = Get-Difference ZeroShot $versus $method
                $d.Mean | Should -BeGreaterThan (2 * $d.StdError) -Because "$versus - $method"
            }
        }
    }

    It 'orders neither the LTV nor the function vector against the baseline, nor against each other (within 2 SE), zero-shot' {
        foreach ($pair in @(@('Ltv', 'Baseline'), @('FunctionVector', 'Baseline'), @('Ltv', 'FunctionVector'))) {
            $d = Get-Difference ZeroShot $pair[0] $pair[1]
            [math]::Abs($d.Mean) | Should -BeLessThan (2 * $d.StdError) -Because "$($pair[0]) - $($pair[1])"
        }
    }

    It 'with shuffled labels, no vector is distinguishable from the shuffled baseline (within 2 SE)' {
        foreach ($method in 'TaskVector', 'TaskVectorAveraged', 'FunctionVector', 'Ltv') {
            $d = Get-Difference ShuffledLabels $method Baseline
            [math]::Abs($d.Mean) | Should -BeLessThan (2 * $d.StdError) -Because "$method - Baseline"
        }
    }

    It 'no single layer carries the rule: Hendel''s per-example vector and the function vector stay below 0.25 at every layer' {
        foreach ($method in 'TaskVector', 'FunctionVector') {
            foreach ($layer in 0..5) {
                $rows = @($Layers | Where-Object { $_.Method -eq $method -and [int]$_.Layer -eq $layer })
                $rows | Should -HaveCount 12
                ($rows | ForEach-Object { Num $_.Accuracy } | Measure-Object -Average).Average | Should -BeLessThan 0.25 -Because "$method at layer $layer"
            }
        }
    }
}

Describe 'The committed LTV length sweep on linear-d8 supports docs/results/README.md' {
    BeforeAll {
        $script:Sweep = @(Import-Csv (Join-Path $Results 'ltv-regression-lengths.csv'))
        $script:Lengths = 16, 20, 24, 28, 32
        # Error and standard error of one method (an LTV given by its training length) at prompt length K.
        function Get-Point([string]$Method, [string]$TrainLength, [int]$K) {
            $row = @($Sweep | Where-Object { $_.Method -eq $Method -and $_.TrainLength -eq $TrainLength -and [int]$_.PromptLength -eq $K })
            $row | Should -HaveCount 1 -Because "$Method $TrainLength at K = $K"
            [pscustomobject]@{ Error = Num $row[0].Error; StdError = Num $row[0].StdError }
        }
        # +1 where the LTV's error is below ICL's by more than 2 combined standard errors, -1 above, 0 otherwise.
        function Compare-ToIcl([int]$TrainLength, [int]$K) {
            $ltv = Get-Point Ltv "$TrainLength" $K
            $icl = Get-Point Icl '' $K
            $bound = 2 * [math]::Sqrt($ltv.StdError * $ltv.StdError + $icl.StdError * $icl.StdError)
            if ($icl.Error - $ltv.Error -gt $bound) { 1 } elseif ($ltv.Error - $icl.Error -gt $bound) { -1 } else { 0 }
        }
        function Get-LongMean([string]$Method, [string]$TrainLength) {
            (9..39 | ForEach-Object { (Get-Point $Method $TrainLength (2 * $_)).Error } | Measure-Object -Average).Average
        }
    }

    It 'evaluates ICL, Ridge and every LTV at every even K from 2 to at least 2.4 x each training length' {
        $Sweep | Should -HaveCount (39 * 7)
        foreach ($k in $Lengths) {
            $ks = @($Sweep | Where-Object { $_.Method -eq 'Ltv' -and $_.TrainLength -eq "$k" } | ForEach-Object { [int]$_.PromptLength })
            ($ks | Measure-Object -Minimum).Minimum | Should -Be 2
            ($ks | Measure-Object -Maximum).Maximum | Should -BeGreaterOrEqual (2.4 * $k)
        }
    }

    It 'the LTV trained at the model''s own length (16) is within 2 SE of ICL at every K' {
        foreach ($i in 1..39) { Compare-ToIcl 16 (2 * $i) | Should -Be 0 -Because "K = $(2 * $i)" }
    }

    It 'LTVs trained at 24, 28 and 32 beat ICL at every K from 18 to 78, the one at 20 at 26 or more of those 31' {
        foreach ($k in 24, 28, 32) {
            foreach ($i in 9..39) { Compare-ToIcl $k (2 * $i) | Should -Be 1 -Because "Ltv@$k at K = $(2 * $i)" }
        }
        @(9..39 | Where-Object { (Compare-ToIcl 20 (2 * $_)) -eq 1 }).Count | Should -BeGreaterOrEqual 26
    }

    It 'each LTV trained beyond 16 is worse than ICL at K = 16 and 10-14' {
        foreach ($k in 20, 24, 28, 32) {
            foreach ($points in 10, 12, 14, 16) { Compare-ToIcl $k $points | Should -Be -1 -Because "Ltv@$k at K = $points" }
        }
    }

    It 'the mean error over K = 18-78 falls with every step of the LTV''s training length, 20 to 26 percent below ICL' {
        $icl = Get-LongMean Icl ''
        $means = @(20, 24, 28, 32 | ForEach-Object { Get-LongMean Ltv "$_" })
        foreach ($i in 1..3) { $means[$i] | Should -BeLessThan $means[$i - 1] }
        foreach ($m in $means) {
            (1 - $m / $icl) | Should -BeGreaterThan 0.19
            (1 - $m / $icl) | Should -BeLessThan 0.27
        }
        Get-LongMean Ltv '32' | Should -BeGreaterThan (5 * (Get-LongMean Ridge ''))
    }
}
