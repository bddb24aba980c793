BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # Eleven hand-made text results per set, worked by hand:
    #   FirstTokenCorrect  reference T T T T T T T T F F F, candidate T T T F F F F F T F F: a = 3 both, b = 5 reference
    #                      only, c = 1 candidate only, d = 2 neither. Exact McNemar: 2 (C(6,0) + C(6,1)) / 2^6 = 0.21875.
    #   ExactMatch         false everywhere in both: no discordant pair, p = 1.
    #   ExpectedLogProb    reference -10, candidate -10 + (1 2 3 -4 5 0 0 0 0 0 0): six zeros dropped, ranks 1..5, W+ = 11,
    #                      W- = 4; W+ >= 11 for 7 of the 32 sign patterns, so two-sided p = 14/32 = 0.4375.
    #   ExpectedRank       candidate = reference + (0 ... 0 1): one non-zero difference, W+ = 1, p = min(1, 2 * 1/2) = 1.
    # Holm over the four: 4 * 0.21875 = 0.875 for FirstTokenCorrect; 3 * 0.4375 > 1 lifts the rest to 1.
    $script:RefCorrect = @($true, $true, $true, $true, $true, $true, $true, $true, $false, $false, $false)
    $script:CandCorrect = @($true, $true, $true, $false, $false, $false, $false, $false, $true, $false, $false)
    $script:LogProbDelta = @(1, 2, 3, -4, 5, 0, 0, 0, 0, 0, 0)
    $script:RankDelta = @(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)

    function New-TextRows([bool[]]$Correct, [double[]]$LogProbDelta, [int[]]$RankDelta, [string[]]$Extra = @()) {
        for ($i = 0; $i -lt $Correct.Count; $i++) {
            [pscustomobject]@{
                QueryIndex = $i; Query = "k$i"; Expected = "v$i"; Predicted = ''; FirstTokenCorrect = $Correct[$i]; ExactMatch = $false
                ExpectedLogProb = -10 + $LogProbDelta[$i]; ExpectedRank = 1 + $i + $RankDelta[$i]
            }
        }
        foreach ($query in $Extra) {
            [pscustomobject]@{ QueryIndex = 99; Query = $query; Expected = 'x'; Predicted = ''; FirstTokenCorrect = $true; ExactMatch = $false; ExpectedLogProb = -1.0; ExpectedRank = 1 }
        }
    }

    function Get-Row($Comparison, [string]$Metric) { @($Comparison | Where-Object Metric -eq $Metric)[0] }

    # The hand-worked numbers, whichever way the two sets were given.
    function Assert-HandWorked($Comparison) {
        $Comparison | Should -HaveCount 4
        $Comparison.Metric | Should -Be @('FirstTokenCorrect', 'ExactMatch', 'ExpectedLogProb', 'ExpectedRank')
        $correct = Get-Row $Comparison FirstTokenCorrect
        $correct.Test | Should -Be 'McNemar'
        $correct.N | Should -Be 11
        $correct.Reference | Should -BeLessThan (8 / 11 + 1e-12)
        $correct.Reference | Should -BeGreaterThan (8 / 11 - 1e-12)
        [Math]::Abs($correct.Candidate - 4 / 11) | Should -BeLessThan 1e-12
        [Math]::Abs($correct.Difference + 4 / 11) | Should -BeLessThan 1e-12
        [Math]::Abs($correct.PValue - 0.21875) | Should -BeLessThan 1e-12
        $correct.Statistic | Should -Be 1
        $correct.CILow | Should -BeLessThan $correct.Difference
        $correct.CIHigh | Should -BeGreaterThan $correct.Difference
        [Math]::Abs($correct.AdjustedPValue - 0.875) | Should -BeLessThan 1e-12
        (Get-Row $Comparison ExactMatch).PValue | Should -Be 1
        $logProb = Get-Row $Comparison ExpectedLogProb
        $logProb.Test | Should -Be 'Wilcoxon'
        $logProb.Statistic | Should -Be 11
        [Math]::Abs($logProb.PValue - 0.4375) | Should -BeLessThan 1e-12
        [Math]::Abs($logProb.Difference - 7 / 11) | Should -BeLessThan 1e-12
        $logProb.Reference | Should -Be -10
        $logProb.AdjustedPValue | Should -Be 1
        # t interval: mean 7/11, sd of (1 2 3 -4 5 0 x6), t(10, 0.975) = 2.2281388519649385.
        $sd = [Math]::Sqrt((@($LogProbDelta | ForEach-Object { [Math]::Pow($_ - 7 / 11, 2) }) | Measure-Object -Sum).Sum / 10)
        [Math]::Abs($logProb.CILow - (7 / 11 - 2.2281388519649385 * $sd / [Math]::Sqrt(11))) | Should -BeLessThan 1e-9
        [Math]::Abs($logProb.CIHigh - (7 / 11 + 2.2281388519649385 * $sd / [Math]::Sqrt(11))) | Should -BeLessThan 1e-9
        $rank = Get-Row $Comparison ExpectedRank
        $rank.PValue | Should -Be 1
        [Math]::Abs($rank.Difference - 1 / 11) | Should -BeLessThan 1e-12
        $Comparison.Key | Select-Object -Unique | Should -Be 'Query, Expected'
    }
}

Describe 'Compare-IclResult' {
    BeforeAll {
        $script:Reference = @(New-TextRows $RefCorrect ([double[]]@(0) * 11) ([int[]]@(0) * 11))
        $script:Candidate = @(New-TextRows $CandCorrect $LogProbDelta $RankDelta)
    }
    BeforeEach {
        $dir = (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName
    }

    It 'reproduces the hand-worked McNemar, Wilcoxon and Holm numbers on objects' {
        # Shuffled candidate order: pairing is by Query and Expected, not by position.
        $cmp = @(Compare-IclResult -Reference $Reference -Candidate ($Candidate | Sort-Object { $_.Query.Length }, Query -Descending))
        Assert-HandWorked $cmp
        $cmp | ForEach-Object { $_ | Should -BeOfType ([IclPs.Engine.Analysis.Comparison.ResultComparison]) }
        $cmp.UnpairedReference | Should -Be @(0, 0, 0, 0)
        $cmp.Missing | Should -Be @(0, 0, 0, 0)
        (Get-Row $cmp FirstTokenCorrect).PValue | Should -BeGreaterThan 0.01
    }

    It 'gives the same numbers through Export-IclResult files, as paths, FileInfo, piped paths and Import-Csv rows' {
        $refCsv = Join-Path $dir 'reference.csv'
        $candCsv = Join-Path $dir 'candidate.csv'
        $Reference | Export-IclResult $refCsv
        $Candidate | Export-IclResult $candCsv
        Assert-HandWorked @(Compare-IclResult -Reference $refCsv -Candidate $candCsv)
        Assert-HandWorked @(Get-Item $candCsv | Compare-IclResult -Reference (Get-Item $refCsv))
        Assert-HandWorked @($candCsv | Compare-IclResult $refCsv)
        Assert-HandWorked @(Import-Csv $candCsv | Compare-IclResult -Reference (Import-Csv $refCsv))
        # Mixed: objects against a file; a relative path resolves from the PowerShell location.
        Push-Location $dir
        try { Assert-HandWorked @($Candidate | Compare-IclResult -Reference 'reference.csv') }
        finally { Pop-Location }
    }

    It 'reports unpaired rows with a warning and counts them on every row' {
        $ref = @(New-TextRows $RefCorrect ([double[]]@(0) * 11) ([int[]]@(0) * 11) -Extra 'only-in-reference')
        $cand = @(New-TextRows $CandCorrect $LogProbDelta $RankDelta -Extra 'cand-1', 'cand-2')
        $cmp = @(Compare-IclResult -Reference $ref -Candidate $cand -WarningVariable warnings -WarningAction SilentlyContinue)
        Assert-HandWorked $cmp
        $cmp.UnpairedReference | Should -Be @(1, 1, 1, 1)
        $cmp.UnpairedCandidate | Should -Be @(2, 2, 2, 2)
        $warnings | Should -HaveCount 1
        "$($warnings[0])" | Should -BeLike '1 reference and 2 candidate row(s) have no partner on Query, Expected*only-in-reference, x*cand-1, x*'
    }

    It 'pairs repeated keys in order of appearance, with a warning' {
        $ref = @(1..3 | ForEach-Object { [pscustomobject]@{ Query = 'a'; Expected = 'b'; ExpectedLogProb = -$_ } })
        $cand = @(1..3 | ForEach-Object { [pscustomobject]@{ Query = 'a'; Expected = 'b'; ExpectedLogProb = 0 } })
        $cmp = Compare-IclResult $ref $cand -WarningVariable warnings -WarningAction SilentlyContinue
        $cmp.N | Should -Be 3
        $cmp.Difference | Should -Be 2
        "$warnings" | Should -BeLike '*paired in order of appearance*'
    }

    It 'compares numeric results on Index and Seed, one-sided when asked, and counts missing values' {
        # Prediction differences 1 2 3 -4 5: W+ = 11, exact one-sided p = 7/32; the third reference row has no SquaredError.
        $ref = @(0..4 | ForEach-Object { [pscustomobject]@{ Index = $_; Seed = 7; Prediction = 10.0; SquaredError = if ($_ -eq 2) { $null } else { 1.0 } } })
        $delta = 1, 2, 3, -4, 5
        $cand = @(0..4 | ForEach-Object { [pscustomobject]@{ Index = $_; Seed = 7; Prediction = 10.0 + $delta[$_]; SquaredError = 0.5 } })
        $cmp = Compare-IclResult -Reference $ref -Candidate $cand -Metric Prediction, SquaredError -Alternative Greater -WarningVariable warnings -WarningAction SilentlyContinue
        $prediction = Get-Row $cmp Prediction
        $prediction.Key | Should -Be 'Index, Seed'
        $prediction.Statistic | Should -Be 11
        [Math]::Abs($prediction.PValue - 7 / 32) | Should -BeLessThan 1e-12
        $prediction.Alternative | Should -Be 'Greater'
        $squared = Get-Row $cmp SquaredError
        $squared.N | Should -Be 4
        $squared.Missing | Should -Be 1
        $squared.Difference | Should -Be -0.5
        "$warnings" | Should -BeLike '*1 pair(s) have no value for SquaredError*'
    }

    It 'takes -Key and -Metric for any objects' {
        $before = 1..11 | ForEach-Object { [pscustomobject]@{ Id = $_; Correct = $_ -le 8 } }
        $after = 1..11 | ForEach-Object { [pscustomobject]@{ Id = $_; Correct = $_ -le 3 -or $_ -eq 9 } }
        $cmp = Compare-IclResult -Reference $before -Candidate $after -Key Id -Metric Correct
        $cmp.Test | Should -Be 'McNemar'
        [Math]::Abs($cmp.PValue - 0.21875) | Should -BeLessThan 1e-12
        $cmp.Key | Should -Be 'Id'
    }

    It 'compares real Invoke-IclPrompt results with themselves and with their CSV file' {
        $model = New-IclModel -Preset gpt2-tiny -Seed 1
        $data = Import-IclDataset $AntonymPath -Seed 0
        $rows = @(Invoke-IclPrompt -Model $model -Dataset $data -Shots 2 -First 6 -MaxNewTokens 1)
        $csv = Join-Path $dir 'run.csv'
        $rows | Export-IclResult $csv
        foreach ($cmp in @(Compare-IclResult -Reference $rows -Candidate $rows), @(Compare-IclResult -Reference $rows -Candidate $csv)) {
            $cmp.Metric | Should -Be @('FirstTokenCorrect', 'ExactMatch', 'ExpectedLogProb', 'ExpectedRank')
            $cmp.N | Should -Be @(6, 6, 6, 6)
            $cmp.Difference | Should -Be @(0, 0, 0, 0)
            $cmp.PValue | Should -Be @(1, 1, 1, 1)
        }
        $linear = Get-IclModel linear-d8 -Load
        try {
            $numeric = @($linear | Invoke-IclPrompt -TaskSource fresh -Samples 8 -Seed 2)
            $cmp = Compare-IclResult $numeric $numeric
            $cmp.Metric | Should -Be 'SquaredError'
            $cmp.Key | Should -Be 'Index, Seed'
            $cmp.N | Should -Be 8
        }
        finally { $linear.Dispose() }
    }

    It 'fails with the engine''s error id when nothing pairs or a column is missing' {
        { Compare-IclResult -Reference $Reference -Candidate (New-TextRows @($true) @(0) @(0) | ForEach-Object { $_.Query = 'zz'; $_ }) -ErrorAction Stop } |
            Should -Throw -ErrorId 'ComparisonNoPairs,IclPs.Cmdlets.CompareIclResultCommand'
        { Compare-IclResult -Reference $Reference -Candidate $Candidate -Metric Nope -ErrorAction Stop } |
            Should -Throw -ErrorId 'ComparisonMetricMissing,IclPs.Cmdlets.CompareIclResultCommand'
        { Compare-IclResult -Reference $Reference -Candidate $Candidate -Key Nope -ErrorAction Stop } |
            Should -Throw -ErrorId 'ComparisonKeyColumnMissing,IclPs.Cmdlets.CompareIclResultCommand'
        { Compare-IclResult -Reference (Join-Path $dir 'absent.csv') -Candidate $Candidate -ErrorAction Stop } |
            Should -Throw -ErrorId 'ResultFileNotFound,IclPs.Cmdlets.CompareIclResultCommand'
    }

    It 'shows a table of at most 79 columns and a list with every number' {
        $cmp = Compare-IclResult -Reference $Reference -Candidate $Candidate
        $table = ($cmp | Format-Table | Out-String -Width 200) -split "`r?`n" | Where-Object { $_.Trim() }
        ($table | Measure-Object -Property Length -Maximum).Maximum | Should -BeLessOrEqual 79
        $table[0] | Should -Match '^Metric\s+N\s+Reference\s+Candidate\s+Difference\s+CILow\s+CIHigh\s+PValue$'
        $table | Should -Contain ($table | Where-Object { $_ -like 'FirstTokenCorrect*0.2188' })
        $list = $cmp[0] | Format-List | Out-String
        $list | Should -BeLike '*AdjustedPValue*UnpairedCandidate*'
    }
}
