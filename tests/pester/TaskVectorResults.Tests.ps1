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
