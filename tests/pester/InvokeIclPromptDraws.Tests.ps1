BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    # The shipped keyed-lookup model on a map it infers from context: 18 pairs, keys a b c mapped to x y z.
    $script:Format = @{ Template = '{input}='; TargetDelimiter = ''; FewShotDelimiter = ',' }
    $map = @{ a = 'x'; b = 'y'; c = 'z' }
    $script:Pairs = @(foreach ($key in 'a', 'b', 'c') { foreach ($i in 1..6) { [pscustomobject]@{ Input = "$key$i"; Output = $map[$key] } } })
    $script:Text = Get-IclModel text-icl-tiny -Load

    # What identifies one result of one draw, for comparing runs row by row.
    function Get-Fingerprint($Rows) { @($Rows | ForEach-Object { '{0}|{1}|{2}|{3}|{4:R}' -f $_.Seed, $_.QueryIndex, $_.Prompt, $_.Predicted, $_.ExpectedLogProb }) }
}
AfterAll {
    if ($script:Text) { $script:Text.Dispose() }
}

Describe 'Invoke-IclPrompt -DemonstrationDraws' {
    It 'redraws the demonstrations per draw, with seeds -Seed + k, each draw reproducible from its seed alone' {
        $rows = @($Pairs | Invoke-IclPrompt -Model $Text -Demonstrations $Pairs -Shots 3 -Seed 10 -DemonstrationDraws 3 -IncludePrompt -MaxNewTokens 1 @Format)
        $rows | Should -HaveCount (3 * 18)
        @($rows.Seed | Sort-Object -Unique) | Should -Be @(10, 11, 12)
        foreach ($seed in 10..12) {
            $draw = @($rows | Where-Object Seed -eq $seed | Sort-Object QueryIndex)
            $draw.QueryIndex | Should -Be (0..17)
            $alone = @($Pairs | Invoke-IclPrompt -Model $Text -Demonstrations $Pairs -Shots 3 -Seed $seed -IncludePrompt -MaxNewTokens 1 @Format)
            Get-Fingerprint $draw | Should -Be (Get-Fingerprint $alone)
        }
        # The draws show different demonstrations, or in another order: for each query, three distinct prompts (18 pairs
        # give C(17,3) * 3! = 4080 ordered choices, so a repeat among these seeds would be a bug, not luck).
        foreach ($group in $rows | Group-Object QueryIndex) {
            @($group.Group.Prompt | Sort-Object -Unique) | Should -HaveCount 3
        }
    }

    It 'streams each draw''s batch as it completes, draw by draw, as piped queries arrive' {
        $log = [System.Collections.Generic.List[string]]::new()
        $Pairs[0..4] | ForEach-Object { $log.Add("in $($_.Input)"); $_ } |
            Invoke-IclPrompt -Model $Text -Demonstrations $Pairs -Shots 3 -Seed 10 -DemonstrationDraws 2 -BatchSize 2 -MaxNewTokens 1 @Format |
            ForEach-Object { $log.Add("out $($_.Seed):$($_.QueryIndex)") }
        $log -join ', ' | Should -BeExactly ('in a1, in a2, out 10:0, out 10:1, out 11:0, out 11:1, in a3, in a4, out 10:2, out 10:3, out 11:2, out 11:3, ' +
            'in a5, out 10:4, out 11:4')
    }

    It 'draws from a dataset''s train part the same way' {
        $model = New-IclModel -Preset gpt2-tiny -Seed 1
        $data = Import-IclDataset $AntonymPath -Seed 0
        $rows = @(Invoke-IclPrompt -Model $model -Dataset $data -Shots 2 -First 4 -Seed 3 -DemonstrationDraws 2 -IncludePrompt -MaxNewTokens 0)
        $rows | Should -HaveCount 8
        $second = @(Invoke-IclPrompt -Model $model -Dataset $data -Shots 2 -First 4 -Seed 4 -IncludePrompt -MaxNewTokens 0)
        Get-Fingerprint @($rows | Where-Object Seed -eq 4) | Should -Be (Get-Fingerprint $second)
        @($rows | Where-Object Seed -eq 3).Prompt | Should -Not -Be $second.Prompt
    }

    It 'summarizes the draws as a hand computation from the per-query rows does' {
        $rows = @($Pairs | Invoke-IclPrompt -Model $Text -Demonstrations $Pairs -Shots 3 -Seed 0 -DemonstrationDraws 5 -MaxNewTokens 1 @Format)
        $summary = @($Pairs | Invoke-IclPrompt -Model $Text -Demonstrations $Pairs -Shots 3 -Seed 0 -DemonstrationDraws 5 -MaxNewTokens 1 -Summary @Format)
        $summary.Metric | Should -Be @('FirstTokenCorrect', 'ExactMatch', 'ExpectedLogProb')
        $summary | ForEach-Object { $_ | Should -BeOfType ([IclPs.Engine.Prompting.IclPromptSummary]) }
        $accuracy = $summary[0]
        $accuracy.Draws | Should -Be 5
        $accuracy.Queries | Should -Be 18
        $accuracy.Seeds | Should -Be '0,1,2,3,4'

        # By hand: each draw's accuracy, their mean and sample sd, the t interval with t(4, 0.975), and the per-query
        # standard error sd(0/1 values) / sqrt(18) averaged over the draws.
        $draws = @($rows | Group-Object Seed | ForEach-Object {
                $values = @($_.Group | ForEach-Object { [double]$_.FirstTokenCorrect })
                $mean = ($values | Measure-Object -Average).Average
                $sd = [Math]::Sqrt((@($values | ForEach-Object { [Math]::Pow($_ - $mean, 2) }) | Measure-Object -Sum).Sum / ($values.Count - 1))
                [pscustomobject]@{ Mean = $mean; StandardError = $sd / [Math]::Sqrt($values.Count) }
            })
        $mean = ($draws.Mean | Measure-Object -Average).Average
        $drawSd = [Math]::Sqrt((@($draws.Mean | ForEach-Object { [Math]::Pow($_ - $mean, 2) }) | Measure-Object -Sum).Sum / 4)
        $half = 2.7764451051977987 * $drawSd / [Math]::Sqrt(5)
        [Math]::Abs($accuracy.Mean - $mean) | Should -BeLessThan 1e-12
        [Math]::Abs($accuracy.Mean - @($rows | Where-Object FirstTokenCorrect).Count / 90) | Should -BeLessThan 1e-12
        [Math]::Abs($accuracy.DrawSd - $drawSd) | Should -BeLessThan 1e-12
        [Math]::Abs($accuracy.DrawLow - ($mean - $half)) | Should -BeLessThan 1e-9
        [Math]::Abs($accuracy.DrawHigh - ($mean + $half)) | Should -BeLessThan 1e-9
        $accuracy.DrawMin | Should -Be ($draws.Mean | Measure-Object -Minimum).Minimum
        $accuracy.DrawMax | Should -Be ($draws.Mean | Measure-Object -Maximum).Maximum
        [Math]::Abs($accuracy.QueryStandardError - ($draws.StandardError | Measure-Object -Average).Average) | Should -BeLessThan 1e-12
        $logProb = $summary | Where-Object Metric -eq ExpectedLogProb
        [Math]::Abs($logProb.Mean - ($rows.ExpectedLogProb | Measure-Object -Average).Average) | Should -BeLessThan 1e-9
    }

    It 'shows the summary in a table of at most 79 columns' {
        $summary = $Pairs | Invoke-IclPrompt -Model $Text -Demonstrations $Pairs -Shots 3 -DemonstrationDraws 2 -MaxNewTokens 0 -Summary @Format
        $table = ($summary | Format-Table | Out-String -Width 200) -split "`r?`n" | Where-Object { $_.Trim() }
        ($table | Measure-Object -Property Length -Maximum).Maximum | Should -BeLessOrEqual 79
        $table[0] | Should -Match '^Metric\s+Draws\s+Mean\s+DrawSd\s+DrawLow\s+DrawHigh\s+QueryStandardError$'
    }

    It 'warns that zero-shot draws are all alike, and refuses seeds past the largest int' {
        $null = $Pairs | Invoke-IclPrompt -Model $Text -Demonstrations $Pairs -Shots 0 -DemonstrationDraws 2 -MaxNewTokens 0 @Format -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -BeLike '*-Shots 0*every draw runs the same prompts*'
        { $Pairs | Invoke-IclPrompt -Model $Text -Demonstrations $Pairs -Shots 2 -Seed ([int]::MaxValue) -DemonstrationDraws 2 @Format -ErrorAction Stop } |
            Should -Throw -ErrorId 'DemonstrationDrawSeedOverflow,IclPs.Cmdlets.InvokeIclPromptCommand'
    }
}
