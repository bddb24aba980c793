#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Invoke-IclPrompt on text models: prompt layout, reproducibility, pipeline streaming, per-query errors, verbose and
# progress output, stopping. Numeric prompts (-RegressionModel) are in InvokeIclPromptNumeric.Tests.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Fqid = ',IclPs.Cmdlets.InvokeIclPromptCommand'
    # gpt2-tiny (seed 0, byte tokenizer, 256-token window) and antonym.json split 70/15/15 with seed 0.
    $script:m = New-IclModel
    $script:ds = Import-IclDataset $AntonymPath
}

Describe 'Invoke-IclPrompt' {
    It 'gives one result per test query of the dataset, with the run settings' {
        $results = @(Invoke-IclPrompt -Model $m -Dataset $ds -First 3 -Shots 4 -Seed 2 -MaxNewTokens 4 -IncludePrompt)
        $train = @($ds.Train.Items | ForEach-Object { "$($_.Input) $($_.Output)" })

        $results | Should -HaveCount 3
        foreach ($i in 0..2) {
            $r = $results[$i]
            $query = $ds.Test.Items[$i]
            $r.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Prompting.IclPromptResult'
            $r.QueryIndex | Should -Be $i
            $r.Query | Should -BeExactly $query.Input
            $r.Expected | Should -BeExactly $query.Output
            $r.Shots | Should -Be 4
            $r.ShotsRequested | Should -Be 4
            $r.Seed | Should -Be 2
            $r.Model | Should -BeExactly 'gpt2-tiny'
            $r.ModelSource | Should -BeExactly 'preset:gpt2-tiny seed:0'
            $r.ExpectedRank | Should -BeGreaterOrEqual 1
            $r.ExpectedRank | Should -BeLessOrEqual 512
            $r.ExpectedLogProb | Should -BeLessThan 0
            # Byte tokenizer: the continuation is the target delimiter and the output, one token per UTF-8 byte.
            $r.ExpectedTokens | Should -Be ([Text.Encoding]::UTF8.GetByteCount(" $($query.Output)"))
            $r.Predicted.Length | Should -BeLessOrEqual 4

            # lm-eval layout with the defaults: "x1 y1\n\nx2 y2\n\n...\n\nquery", demonstrations from the train split.
            $parts = $r.Prompt -split "`n`n"
            $parts | Should -HaveCount 5
            $parts[-1] | Should -BeExactly $query.Input
            $demos = $parts[0..3]
            foreach ($demo in $demos) { $demo | Should -BeIn $train }
            @($demos | Sort-Object -Unique -CaseSensitive) | Should -HaveCount 4
            # Beginning-of-sequence token plus one token per byte.
            $r.PromptTokens | Should -Be (1 + [Text.Encoding]::UTF8.GetByteCount($r.Prompt))
        }
    }

    It 'builds the prompt as description, demonstrations, then the templated query' {
        $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' })
        $one = [pscustomobject]@{ Input = 'up'; Output = 'down' } |
            Invoke-IclPrompt -Model $m -Demonstrations $demos -Shots 1 -Description "Antonyms:`n" -Template "Q: {input}`nA:" -IncludePrompt -MaxNewTokens 1
        $one.Prompt | Should -BeExactly "Antonyms:`nQ: hot`nA: cold`n`nQ: up`nA:"

        $demos2 = @([pscustomobject]@{ Input = 'big'; Output = 'small' }, [pscustomobject]@{ Input = 'wet'; Output = 'dry' })
        $query = [pscustomobject]@{ Input = 'fast'; Output = 'slow' }
        $two = $query | Invoke-IclPrompt -Model $m -Demonstrations $demos2 -Shots 2 -TargetDelimiter '=' -FewShotDelimiter "`n###`n" -IncludePrompt -MaxNewTokens 1
        $two.Prompt | Should -BeIn @("big=small`n###`nwet=dry`n###`nfast", "wet=dry`n###`nbig=small`n###`nfast")
        # The continuation is "=slow".
        $two.ExpectedTokens | Should -Be 5

        # Without -IncludePrompt the prompt is left out.
        ($query | Invoke-IclPrompt -Model $m -Demonstrations $demos2 -Shots 2 -MaxNewTokens 1).Prompt | Should -BeNullOrEmpty
    }

    It 'gives identical results for the same -Seed, and other demonstrations for another' {
        $a = @(Invoke-IclPrompt $m $ds -First 4 -Shots 3 -Seed 1 -MaxNewTokens 3 -IncludePrompt)
        $b = @(Invoke-IclPrompt $m $ds -First 4 -Shots 3 -Seed 1 -MaxNewTokens 3 -IncludePrompt)
        $c = @(Invoke-IclPrompt $m $ds -First 4 -Shots 3 -Seed 2 -MaxNewTokens 3 -IncludePrompt)
        $a | Should -HaveCount 4
        foreach ($i in 0..3) {
            # Results compare by value: every field, including the prompt and the floating-point metrics, is identical.
            $a[$i].Equals($b[$i]) | Should -BeTrue
            $c[$i].Prompt | Should -Not -BeExactly $a[$i].Prompt
            $c[$i].Query | Should -BeExactly $a[$i].Query
        }
    }

    It 'binds piped objects by property name, and piped split items give what the dataset path gives' {
        $piped = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }, [pscustomobject]@{ Input = 'up'; Output = 'down' } |
            Invoke-IclPrompt -Model $m -Dataset $ds -Shots 2 -MaxNewTokens 2)
        @($piped | ForEach-Object { "$($_.QueryIndex):$($_.Query)->$($_.Expected)" }) | Should -Be @('0:hot->cold', '1:up->down')

        # Engine examples have Input and Output too, so a split's items can be piped; they must give what the split gives.
        $viaPipe = @($ds.Test.Items[0..4] | Invoke-IclPrompt $m $ds -Shots 3 -MaxNewTokens 3 -BatchSize 2 -IncludePrompt)
        $viaSplit = @(Invoke-IclPrompt $m $ds -Shots 3 -MaxNewTokens 3 -BatchSize 2 -IncludePrompt -First 5)
        $viaPipe | Should -HaveCount 5
        foreach ($i in 0..4) { $viaPipe[$i].Equals($viaSplit[$i]) | Should -BeTrue -Because "query $i" }
    }

    It 'streams results out as each batch of piped queries completes' {
        $log = [System.Collections.Generic.List[string]]::new()
        1..5 | ForEach-Object { $log.Add("in $_"); $ds.Test.Items[$_] } |
            Invoke-IclPrompt $m $ds -Shots 1 -MaxNewTokens 1 -BatchSize 2 |
            ForEach-Object { $log.Add("out $($_.QueryIndex)") }
        $log -join ', ' | Should -BeExactly 'in 1, in 2, out 0, out 1, in 3, in 4, out 2, out 3, in 5, out 4'
    }

    It 'gives the same numbers whatever the batch size' {
        $one = @($ds.Test.Items[0..6] | Invoke-IclPrompt $m $ds -Shots 3 -MaxNewTokens 4 -BatchSize 1 -IncludePrompt)
        $four = @($ds.Test.Items[0..6] | Invoke-IclPrompt $m $ds -Shots 3 -MaxNewTokens 4 -BatchSize 4 -IncludePrompt)
        $one | Should -HaveCount 7
        $four | Should -HaveCount 7
        # Prompts of different lengths share a batch of four, so left padding is exercised.
        @($four.PromptTokens | Sort-Object -Unique).Count | Should -BeGreaterThan 1
        foreach ($i in 0..6) {
            foreach ($name in 'QueryIndex', 'Prompt', 'Predicted', 'ExpectedRank', 'FirstTokenCorrect', 'ExactMatch', 'PromptTokens') {
                $four[$i].$name | Should -Be $one[$i].$name -Because "$name of query $i"
            }
            # float32 forward passes over differently padded batches: equal to rounding.
            [Math]::Abs($four[$i].ExpectedLogProb - $one[$i].ExpectedLogProb) | Should -BeLessThan 1e-4
        }
    }

    It 'reports a too-long prompt as an error for that query and runs the others' {
        $long = 'x' * 300
        $results = @('hot', $long, 'up' | ForEach-Object { [pscustomobject]@{ Input = $_; Output = 'y' } } |
            Invoke-IclPrompt $m $ds -Shots 2 -MaxNewTokens 1 -ErrorVariable problems -ErrorAction SilentlyContinue)
        @($results | ForEach-Object { "$($_.QueryIndex):$($_.Query)" }) | Should -Be @('0:hot', '1:up')
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeExactly "PromptTooLong$Fqid"
        $problems[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $problems[0].TargetObject.Input | Should -BeExactly $long
        $problems[0].Exception.Message | Should -BeLike '*context window of 256*'
    }

    It 'drops leading demonstrations to fit with -TruncateLongPrompts instead of failing' {
        $demos = @(
            [pscustomobject]@{ Input = 'a' * 230; Output = 'b' }
            [pscustomobject]@{ Input = 'hot'; Output = 'cold' }
            [pscustomobject]@{ Input = 'big'; Output = 'small' }
        )
        $query = [pscustomobject]@{ Input = 'up'; Output = 'down' }
        $failed = $query | Invoke-IclPrompt $m -Demonstrations $demos -Shots 3 -MaxNewTokens 1 -ErrorVariable problems -ErrorAction SilentlyContinue
        $failed | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeExactly "PromptTooLong$Fqid"

        $fitted = $query | Invoke-IclPrompt $m -Demonstrations $demos -Shots 3 -MaxNewTokens 1 -TruncateLongPrompts
        $fitted.Shots | Should -BeGreaterOrEqual 0
        $fitted.Shots | Should -BeLessOrEqual 2
        $fitted.ShotsRequested | Should -Be 3
        # " down" still fits after the prompt.
        $fitted.PromptTokens + 5 | Should -BeLessOrEqual 256
    }

    It 'stops with NotEnoughExamples when there are fewer demonstrations than -Shots' {
        $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }, [pscustomobject]@{ Input = 'big'; Output = 'small' })
        $script:output = $null
        $record = {
            $script:output = [pscustomobject]@{ Input = 'up'; Output = 'down' } | Invoke-IclPrompt $m -Demonstrations $demos -Shots 5 -ErrorAction Stop
        } | Should -Throw -ErrorId "NotEnoughExamples$Fqid" -PassThru
        $script:output | Should -BeNullOrEmpty
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.TargetObject | Should -Be 5
    }

    It 'fails alone a query that is itself one of just enough demonstrations' {
        # The only two demonstrations exclude the query whose input they share, leaving one for a 2-shot prompt.
        $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }, [pscustomobject]@{ Input = 'big'; Output = 'small' })
        $queries = 'up', 'hot', 'fast' | ForEach-Object { [pscustomobject]@{ Input = $_; Output = 'x' } }
        $results = @($queries | Invoke-IclPrompt $m -Demonstrations $demos -Shots 2 -MaxNewTokens 1 -ErrorVariable problems -ErrorAction SilentlyContinue)
        $results.Query | Should -Be @('up', 'fast')
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeExactly "NotEnoughExamples$Fqid"
        $problems[0].TargetObject.Input | Should -BeExactly 'hot'
    }

    It 'reports a piped object without Output as an error for that item' {
        $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' })
        $results = @([pscustomobject]@{ Input = 'up' }, [pscustomobject]@{ Input = 'big'; Output = 'small' } |
            Invoke-IclPrompt $m -Demonstrations $demos -Shots 1 -MaxNewTokens 1 -ErrorVariable problems -ErrorAction SilentlyContinue)
        $results.Query | Should -Be @('big')
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeExactly "QueryMissingOutput$Fqid"
        $problems[0].TargetObject | Should -BeExactly 'up'
    }

    It 'reports -Demonstrations without queries as NoQueries' {
        {
            Invoke-IclPrompt $m -Demonstrations @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }) -Shots 1 -ErrorAction Stop
        } | Should -Throw -ErrorId "NoQueries$Fqid"
    }

    It 'names the model, format and batches in verbose output and counts queries in progress' {
        $run = Invoke-InFreshRunspace -Parameters @{ m = $m; ds = $ds } -Script @'
            param($m, $ds)
            $null = Invoke-IclPrompt $m $ds -First 6 -Shots 2 -BatchSize 4 -MaxNewTokens 1 -Template "Q: {input}`nA:" -Verbose
'@
        $run.Errors | Should -BeNullOrEmpty
        $verbose = $run.Verbose
        @($verbose | Where-Object { $_.StartsWith('Model gpt2-tiny (preset:gpt2-tiny seed:0;', 'Ordinal') }) | Should -HaveCount 1
        @($verbose | Where-Object { $_.Contains('template ''Q: {input}\nA:''') -and $_.Contains('few-shot delimiter ''\n\n''') }) | Should -HaveCount 1
        @($verbose | Where-Object { $_.Contains('batch size 4') }) | Should -Not -BeNullOrEmpty
        @($verbose | Where-Object { $_.StartsWith('Batch of 4 queries in ', 'Ordinal') }) | Should -HaveCount 1
        @($verbose | Where-Object { $_.StartsWith('Batch of 2 queries in ', 'Ordinal') }) | Should -HaveCount 1
        @($run.Progress | Where-Object { $_.StatusDescription -eq '4 of 6 queries' -and $_.PercentComplete -eq 66 }) | Should -Not -BeNullOrEmpty
        $run.Progress[-1].RecordType | Should -Be 'Completed'
    }

    It 'ends a long run early when the pipeline is stopped' {
        $ps = New-ModulePowerShell
        try {
            $null = $ps.AddScript('param($m, $ds) Invoke-IclPrompt $m $ds -Shots 5 -BatchSize 1 -MaxNewTokens 8').AddParameters(@{ m = $m; ds = $ds })
            $in = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $in.Complete()
            $out = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $running = $ps.BeginInvoke($in, $out)
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while ($out.Count -eq 0 -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            $out.Count | Should -BeGreaterThan 0 -Because 'a result comes within 60 s'
            $ps.Stop()
            $running.AsyncWaitHandle.WaitOne([timespan]::FromSeconds(30)) | Should -BeTrue -Because 'it stops within 30 s'
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            # The test split has 359 queries; stopping after the first leaves most of them unrun.
            $out.Count | Should -BeLessOrEqual 300
        }
        finally { $ps.Dispose() }
    }

    It 'stops computing when Select-Object -First has what it needs' {
        $seen = 0
        $first = Invoke-IclPrompt $m $ds -Shots 5 -BatchSize 2 -MaxNewTokens 8 | ForEach-Object { $seen++; $_ } | Select-Object -First 3
        $first.QueryIndex | Should -Be @(0, 1, 2)
        $seen | Should -Be 3
    }
}
