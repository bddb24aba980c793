<#
.SYNOPSIS
    Task vectors on the tiny text ICL model: first-token accuracy of the zero-shot baseline, Hendel's task vector, Todd's
    function vector, the learnable task vector (LTV) and k-shot ICL on held-out keyed-lookup maps, in the zero-shot and
    shuffled-label settings.
.DESCRIPTION
    For each of -Tasks held-out maps of the model's family (never trained on), exported as an {"input","output"} dataset and
    split 70/15/15 by Import-IclDataset (seed -SplitSeed + the map's number, 1-based, so that the test inputs differ between
    maps: every map has the same 27 inputs in the same order, and one seed would test the same 4 inputs on all): builds a TaskVector, a FunctionVector and two LTVs (trained on zero-shot
    and on shuffled-label prompts) with New-TaskVector from the train split (validation from the valid split), then scores
    the test split with Invoke-IclPrompt:
        ZeroShot setting:       Baseline = 0-shot; TaskVector / FunctionVector / Ltv = 0-shot with the vector injected.
        ShuffledLabels setting: Baseline = -Shots demonstrations with their outputs deranged; the vectors injected into those prompts.
        Icl (both settings):    -Shots clean demonstrations, no vector (the reference).
        MajorityOutput:         not a model run: the accuracy of always answering the map's most frequent output, the
                                ceiling of any fixed answer that ignores the query's key.
    Writes <ResultDir>/task-vectors-text.csv (Method, Setting, Task, Accuracy, N), task-vectors-text.png (mean accuracy per
    method and setting), and for the first task the LTV's theta (layers x heads) and the function vector's head effects as
    heat maps (task-vectors-ltv-theta.png, task-vectors-head-effects.png).
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/task-vectors-text.ps1"
#>
param(
    [string]$ModelName = 'text-icl-tiny',
    # A folder laid out like the module's models folder; default: the shipped models.
    [string]$ModelCatalog,
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results')),
    [int]$Tasks = 64,
    [int]$Shots = 8,
    [int]$SplitSeed = 0,
    [int]$Seed = 1
)
$ErrorActionPreference = 'Stop'
$watch = [Diagnostics.Stopwatch]::StartNew()
$null = [IO.Directory]::CreateDirectory($ResultDir)
$format = @{ Template = '{input}='; TargetDelimiter = ''; FewShotDelimiter = ',' }
$catalog = if ($ModelCatalog) { @{ Path = $ModelCatalog } } else { @{} }
$model = Get-IclModel -Name $ModelName -Load @catalog
# The family the model was trained on (its default options); held-out maps were never trained on.
$family = [IclPs.Engine.TextTasks.KeyedLookupTaskFamily]::new([IclPs.Engine.TextTasks.KeyedLookupTaskFamilyOptions]::new())
$dataDir = [IO.Path]::Combine([IO.Path]::GetTempPath(), "task-vectors-text-$PID")
$paths = $family.Export($dataDir, [IclPs.Engine.TextTasks.SymbolicTask[]]@($family.HeldOutTasks)[0..($Tasks - 1)])

# The best a fixed answer can do on this task's test queries: always the map's most frequent output (ties split evenly).
# A single vector that says "this task" without reading the query's key can reach this, no more.
function MajorityOutput([string]$task, [object[]]$results) {
    $counts = @{}
    foreach ($c in $task.Substring('keyed-'.Length).ToCharArray()) { $counts["$c"] = 1 + [int]$counts["$c"] }
    $top = 0; foreach ($n in $counts.Values) { if ($n -gt $top) { $top = $n } }
    $tied = @($counts.Keys | Where-Object { $counts[$_] -eq $top })
    $credit = 0.0
    foreach ($r in $results) { if ($tied -contains $r.Expected) { $credit += 1.0 / $tied.Count } }
    @{ Accuracy = $credit / $results.Count; N = $results.Count }
}

function Score([object[]]$results) {
    $right = 0
    foreach ($r in $results) { if ($r.FirstTokenCorrect) { $right++ } }
    @{ Accuracy = $(if ($results.Count) { $right / $results.Count } else { [double]::NaN }); N = $results.Count }
}

$rows = [Collections.Generic.List[object]]::new()
$first = $true
$index = 0
$fixedAnswers = @{ TaskVector = 0; FunctionVector = 0; LtvZeroShot = 0 }
try {
    foreach ($path in $paths) {
        $index++
        $task = [IO.Path]::GetFileNameWithoutExtension($path)
        $data = Import-IclDataset -Path $path -Seed ($SplitSeed + $index)
        $common = @{ Model = $model; Dataset = $data; Seed = $Seed } + $format
        $vectors = [ordered]@{
            TaskVector     = New-TaskVector @common -Method TaskVector -Shots 5 -Prompts 16 -ValidationPrompts 16
            FunctionVector = New-TaskVector @common -Method FunctionVector -Shots 10 -Prompts 64 -EffectPrompts 16 -TopK 3
            LtvZeroShot    = New-TaskVector @common -Method Ltv -Setting ZeroShot -Prompts 64 -TrainPrompts 64 -ValidationPrompts 16 -LearningRate 0.05 -MaxEpochs 200 -Patience 20
            LtvShuffled    = New-TaskVector @common -Method Ltv -Setting ShuffledLabels -Shots $Shots -Prompts 64 -TrainPrompts 64 -ValidationPrompts 16 -LearningRate 0.05 -MaxEpochs 200 -Patience 20
        }
        if ($first) {
            $vectors.LtvZeroShot.Heads | Export-IclPlot -Path ([IO.Path]::Combine($ResultDir, 'task-vectors-ltv-theta.png')) -Kind Heatmap -Row Layer -Column Head -Value Weight `
                -Title "LTV theta (zero-shot training), $ModelName, task $task" | Out-Null
            Measure-HeadEffect @common -Shots 10 -MeanPrompts 64 -EffectPrompts 16 |
                Export-IclPlot -Path ([IO.Path]::Combine($ResultDir, 'task-vectors-head-effects.png')) -Kind Heatmap -Row Layer -Column Head -Value AverageIndirectEffect `
                    -Title "Function-vector head effects (shuffled labels), $ModelName, task $task" | Out-Null
            $first = $false
        }
        $run = @{ Model = $model; Dataset = $data; Split = 'Test'; Seed = $Seed; MaxNewTokens = 0 } + $format
        # Plain ICL and the fixed-answer reference do not depend on the setting: run them once per task.
        $zeroShot = @(Invoke-IclPrompt @run -Shots 0)
        $icl = Score @(Invoke-IclPrompt @run -Shots $Shots)
        $majority = MajorityOutput $task $zeroShot
        $settings = @(
            @{ Setting = 'ZeroShot'; Prompt = @{ Shots = 0 }; Ltv = $vectors.LtvZeroShot; Baseline = $zeroShot }
            @{ Setting = 'ShuffledLabels'; Prompt = @{ Shots = $Shots; ShuffleLabels = $true }; Ltv = $vectors.LtvShuffled
               Baseline = @(Invoke-IclPrompt @run -Shots $Shots -ShuffleLabels) }
        )
        foreach ($s in $settings) {
            $p = $s.Prompt
            $methods = [ordered]@{
                Baseline       = Score $s.Baseline
                TaskVector     = Score @(Invoke-IclPrompt @run @p -TaskVector $vectors.TaskVector)
                FunctionVector = Score @(Invoke-IclPrompt @run @p -TaskVector $vectors.FunctionVector)
                Ltv            = Score @(Invoke-IclPrompt @run @p -TaskVector $s.Ltv)
                Icl            = $icl
                MajorityOutput = $majority
            }
            foreach ($m in $methods.Keys) {
                $rows.Add([pscustomobject]@{ Method = $m; Setting = $s.Setting; Task = $task; Accuracy = $methods[$m].Accuracy; N = $methods[$m].N })
            }
        }
        # How key-dependent each zero-shot vector is: distinct first answers over the train split's queries (1 = a fixed answer).
        $train = @{ Model = $model; Dataset = $data; Split = 'Train'; Shots = 0; Seed = $Seed; MaxNewTokens = 1 } + $format
        $answers = foreach ($name in 'TaskVector', 'FunctionVector', 'LtvZeroShot') {
            $seen = @{}
            foreach ($r in @(Invoke-IclPrompt @train -TaskVector $vectors[$name])) { $seen[$r.Predicted] = $true }
            $fixedAnswers[$name] += [int]($seen.Count -eq 1)
            '{0} {1}' -f $name, $seen.Count
        }
        "{0}: distinct zero-shot answers on the train split: {1}" -f $task, ($answers -join ', ')
        "{0}: {1}" -f $task, (($rows | Where-Object Task -eq $task | ForEach-Object { '{0}/{1} {2:0.00}' -f $_.Setting, $_.Method, $_.Accuracy }) -join ', ')
    }
}
finally {
    [IO.Directory]::Delete($dataDir, $true)
    $model.Dispose()
}

$rows | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'task-vectors-text.csv'))

# Accuracy pooled over tasks (every test query counts once), per method and setting.
$summary = foreach ($setting in 'ZeroShot', 'ShuffledLabels') {
    foreach ($method in 'Baseline', 'TaskVector', 'FunctionVector', 'Ltv', 'Icl', 'MajorityOutput') {
        $right = 0.0; $n = 0
        foreach ($r in $rows) { if ($r.Setting -eq $setting -and $r.Method -eq $method) { $right += $r.Accuracy * $r.N; $n += $r.N } }
        [pscustomobject]@{ Method = $method; Setting = $setting; Accuracy = $right / $n; N = $n }
    }
}
$summary | Export-IclPlot -Path ([IO.Path]::Combine($ResultDir, 'task-vectors-text.png')) -Kind Heatmap -Row Method -Column Setting -Value Accuracy `
    -Title "First-token accuracy on $Tasks held-out maps, $ModelName ($Shots shots where used)" | Out-Null
foreach ($name in $fixedAnswers.Keys) { '{0}: the same answer to every train query on {1} of {2} maps' -f $name, $fixedAnswers[$name], $Tasks }
foreach ($s in $summary) { '{0,-15} {1,-15} accuracy {2:0.000} (N = {3})' -f $s.Method, $s.Setting, $s.Accuracy, $s.N }
"done in $([Math]::Round($watch.Elapsed.TotalSeconds, 1)) s"
