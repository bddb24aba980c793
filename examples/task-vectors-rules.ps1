<#
.SYNOPSIS
    Task vectors where the papers measure them: on text-rules-6l, a model that knows its twelve one-rule tasks and needs the
    demonstrations only to tell which rule is meant. First-token accuracy of the zero-shot baseline, Hendel's task vector
    (per test example, and the per-task average), Todd's function vector, the learnable task vector (LTV) and 8-shot ICL,
    zero-shot and with shuffled labels, with standard errors over tasks.
.DESCRIPTION
    Each of the model's trained rules (copy, successor, predecessor, forward/back 2 and 3, forward-26, 4 fixed
    permutations) is exported as a 52-pair {"input","output"} dataset and split 50/25/25 by Import-IclDataset (seed
    -SplitSeed + the rule's number, 1-based): 26 train pairs (demonstrations, vector building), 13 validation queries
    (layer choice, early stopping), 13 test queries (held out of both). Per rule:
        Icl:                8 demonstrations from the train pairs (Invoke-IclPrompt -Split Test -Shots 8 -Seed -Seed).
        Baseline:           ZeroShot: the query alone; ShuffledLabels: the same 8 demonstrations with their outputs deranged.
        TaskVector:         Hendel et al.'s protocol: per test query, the vector of that query's own 8 demonstrations with 2
                            dummy queries (New-TaskVector -Demonstrations), replacing the last-token hidden state of the
                            layer chosen on the 13 validation queries, each with the vector of its own demonstrations.
        TaskVectorAveraged: one vector per rule, averaged over -AveragedPrompts dummy-query prompts (the variant this module
                            used before), layer chosen the same way on the validation queries.
        FunctionVector:     Todd et al.'s protocol: top -TopK heads by causal indirect effect on -EffectPrompts
                            shuffled-label prompts, mean activations over -MeanPrompts clean 8-shot prompts, added at the
                            block layers / 3 rounds to; scored only on the test queries clean 8-shot ICL gets right.
        Ltv:                trained on zero-shot prompts (ZeroShot setting) or 8-shot shuffled-label prompts (ShuffledLabels
                            setting) of the train queries, early-stopped on the validation queries.
    In the ShuffledLabels setting every vector is injected into the query's shuffled-label prompt (the per-example task
    vector into one showing the query's own demonstrations, reordered and deranged by Invoke-IclPrompt's own seed).
    Writes to -ResultDir:
        task-vectors-rules-tasks.csv  Method, Setting, Task, Accuracy, N (one row per rule)
        task-vectors-rules.csv        Method, Setting, Accuracy (mean over rules), N (queries), Tasks, StdError (over rules)
        task-vectors-rules-pairs.csv  Setting, Method, Versus, Difference, PairedStdError, Tasks, Ratio (|Difference| / SE)
        task-vectors-rules-layers.csv Method, Task, Layer, Accuracy, N: every layer's accuracy for the two single-layer
                                      methods, TaskVector (the per-example validation sweep that chooses its layer) and
                                      FunctionVector (added at that layer instead of layers / 3; zero-shot test queries
                                      ICL gets right)
        task-vectors-rules.png        mean accuracy per method and setting
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        OMP_NUM_THREADS=1 dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/task-vectors-rules.ps1"
#>
param(
    [string]$ModelName = 'text-rules-6l',
    # A folder laid out like the module's models folder; default: the shipped models.
    [string]$ModelCatalog,
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results')),
    [int]$Shots = 8,
    [int]$SplitSeed = 0,
    [int]$Seed = 1,
    [int]$TopK = 3,
    [int]$MeanPrompts = 64,
    [int]$EffectPrompts = 32,
    [int]$AveragedPrompts = 16,
    [int]$LtvTrainPrompts = 64,
    [int]$LtvValidationPrompts = 64,
    # Only the first -Rules rules (for a quick run); default all.
    [int]$Rules = 0
)
$ErrorActionPreference = 'Stop'
$watch = [Diagnostics.Stopwatch]::StartNew()
$null = [IO.Directory]::CreateDirectory($ResultDir)
$format = @{ Template = '{input}='; TargetDelimiter = ''; FewShotDelimiter = ',' }
$promptFormat = [IclPs.Engine.Prompting.PromptFormat]@{ InputTemplate = '{input}='; TargetDelimiter = ''; FewShotDelimiter = ',' }
$catalog = if ($ModelCatalog) { @{ Path = $ModelCatalog } } else { @{} }
$info = Get-IclModel -Name $ModelName @catalog
$model = Get-IclModel -Name $ModelName -Load @catalog
$layers = $model.Config.Layers
# The rules the model was trained on, from its manifest's family.
$manifest = Get-Content -Raw ([IO.Path]::Combine($info.Path, 'iclps-model.json')) | ConvertFrom-Json
$family = [IclPs.Engine.TextTasks.RuleTaskFamily]::new([IclPs.Engine.TextTasks.RuleTaskFamilyOptions]@{ TaskSeed = [long]$manifest.family.taskSeed })
$tasks = @($family.TrainTasks)
if ($Rules -gt 0) { $tasks = $tasks[0..($Rules - 1)] }
$dataDir = [IO.Path]::Combine([IO.Path]::GetTempPath(), "task-vectors-rules-$PID")
$paths = $family.Export($dataDir, [IclPs.Engine.TextTasks.SymbolicTask[]]$tasks)
$fvLayer = [IclPs.Engine.TaskVectors.FunctionVectorOptions]::new().InjectionLayer($layers)
"model $ModelName, $layers layers: the function vector goes to block $fvLayer (layers / 3 = $($layers / 3), rounded), 0-based"

function Score([object[]]$results) {
    $right = 0
    foreach ($r in $results) { if ($r.FirstTokenCorrect) { $right++ } }
    @{ Accuracy = $(if ($results.Count) { $right / $results.Count } else { [double]::NaN }); N = $results.Count }
}

$rows = [Collections.Generic.List[object]]::new()
$layerRows = [Collections.Generic.List[object]]::new()
$index = 0
try {
    foreach ($path in $paths) {
        $index++
        $task = [IO.Path]::GetFileNameWithoutExtension($path)
        $data = Import-IclDataset -Path $path -Seed ($SplitSeed + $index) -TrainFraction 0.5 -ValidFraction 0.25
        $test = @($data.Test.Items)
        $common = @{ Model = $model; Dataset = $data; Seed = $Seed } + $format
        $run = @{ Model = $model; Dataset = $data; Split = 'Test'; Seed = $Seed; MaxNewTokens = 0 } + $format

        # Clean ICL, and each test query's demonstrations as Invoke-IclPrompt drew them (checked against its prompt text).
        $icl = @(Invoke-IclPrompt @run -Shots $Shots -IncludePrompt)
        $builder = [IclPs.Engine.Prompting.FewShotPromptBuilder]::new($promptFormat, $data.Train.Items, $Shots, $Seed, $false)
        $demonstrations = for ($i = 0; $i -lt $test.Count; $i++) {
            $prompt = $builder.Build($test[$i], $i)
            if ($prompt.Text -cne $icl[$i].Prompt) { throw "Prompt $i of $task differs from Invoke-IclPrompt's: '$($prompt.Text)' against '$($icl[$i].Prompt)'." }
            , $prompt.Demonstrations
        }
        $iclRight = @{}
        foreach ($r in $icl) { if ($r.FirstTokenCorrect) { $iclRight[$r.Query] = $true } }

        # Hendel per example: the layer from the validation sweep of the first query's call, then that layer for the rest.
        $perExample = @{ ZeroShot = [Collections.Generic.List[object]]::new(); ShuffledLabels = [Collections.Generic.List[object]]::new() }
        $hendelLayer = $null
        for ($i = 0; $i -lt $test.Count; $i++) {
            $layerOption = if ($null -ne $hendelLayer) { @{ Layer = $hendelLayer } } else { @{} }
            $vector = New-TaskVector @common -Method TaskVector -Demonstrations $demonstrations[$i] -Shots $Shots -Prompts 2 -ValidationPrompts $data.Valid.Count @layerOption
            if ($null -eq $hendelLayer) { $sweep = $vector }
            $hendelLayer = $vector.Vectors[0].Layer
            $query = [pscustomobject]@{ Input = $test[$i].Input; Output = $test[$i].Output }
            $perExample.ZeroShot.Add(($query | Invoke-IclPrompt -Model $model -Demonstrations $demonstrations[$i] -Shots 0 -TaskVector $vector -MaxNewTokens 0 @format))
            $perExample.ShuffledLabels.Add(($query | Invoke-IclPrompt -Model $model -Demonstrations $demonstrations[$i] -Shots $Shots -ShuffleLabels -TaskVector $vector -Seed $Seed -MaxNewTokens 0 @format))
        }

        for ($l = 0; $l -lt $layers; $l++) {
            $layerRows.Add([pscustomobject]@{ Method = 'TaskVector'; Task = $task; Layer = $l
                Accuracy = [double]::Parse($sweep.Provenance.Settings["validation_Accuracy.layer$l"], [cultureinfo]::InvariantCulture); N = $data.Valid.Count })
            $moved = New-TaskVector @common -Method FunctionVector -Shots $Shots -Prompts $MeanPrompts -EffectPrompts $EffectPrompts -TopK $TopK -Layer $l
            $s = Score @(Invoke-IclPrompt @run -Shots 0 -TaskVector $moved | Where-Object { $iclRight.ContainsKey($_.Query) })
            $layerRows.Add([pscustomobject]@{ Method = 'FunctionVector'; Task = $task; Layer = $l; Accuracy = $s.Accuracy; N = $s.N })
        }

        $averaged = New-TaskVector @common -Method TaskVector -Shots $Shots -Prompts $AveragedPrompts -ValidationPrompts $data.Valid.Count
        $fv = New-TaskVector @common -Method FunctionVector -Shots $Shots -Prompts $MeanPrompts -EffectPrompts $EffectPrompts -TopK $TopK
        $ltv = @{
            ZeroShot       = New-TaskVector @common -Method Ltv -Setting ZeroShot -Prompts $MeanPrompts -TrainPrompts $LtvTrainPrompts -ValidationPrompts $LtvValidationPrompts -LearningRate 0.05 -MaxEpochs 100 -Patience 10
            ShuffledLabels = New-TaskVector @common -Method Ltv -Setting ShuffledLabels -Shots $Shots -Prompts $MeanPrompts -TrainPrompts $LtvTrainPrompts -ValidationPrompts $LtvValidationPrompts -LearningRate 0.05 -MaxEpochs 100 -Patience 10
        }
        foreach ($setting in 'ZeroShot', 'ShuffledLabels') {
            $p = if ($setting -eq 'ZeroShot') { @{ Shots = 0 } } else { @{ Shots = $Shots; ShuffleLabels = $true } }
            $fvResults = @(Invoke-IclPrompt @run @p -TaskVector $fv | Where-Object { $iclRight.ContainsKey($_.Query) })
            $methods = [ordered]@{
                Baseline           = Score @(Invoke-IclPrompt @run @p)
                TaskVector         = Score $perExample[$setting].ToArray()
                TaskVectorAveraged = Score @(Invoke-IclPrompt @run @p -TaskVector $averaged)
                FunctionVector     = Score $fvResults
                Ltv                = Score @(Invoke-IclPrompt @run @p -TaskVector $ltv[$setting])
                Icl                = Score $icl
            }
            foreach ($m in $methods.Keys) {
                $rows.Add([pscustomobject]@{ Method = $m; Setting = $setting; Task = $task; Accuracy = $methods[$m].Accuracy; N = $methods[$m].N })
            }
        }
        '{0}: TaskVector layer {1}, averaged layer {2}, LTV epochs {3}/{4}; {5}' -f $task, $hendelLayer, $averaged.Vectors[0].Layer,
            $ltv.ZeroShot.Provenance.TrainingCurve.Count, $ltv.ShuffledLabels.Provenance.TrainingCurve.Count,
            (($rows | Where-Object Task -eq $task | ForEach-Object { '{0}/{1} {2:0.00}' -f $_.Setting, $_.Method, $_.Accuracy }) -join ', ')
    }
}
finally {
    [IO.Directory]::Delete($dataDir, $true)
    $model.Dispose()
}

$methodOrder = 'Baseline', 'TaskVector', 'TaskVectorAveraged', 'FunctionVector', 'Ltv', 'Icl'
$rows | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'task-vectors-rules-tasks.csv'))
$layerRows | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'task-vectors-rules-layers.csv'))

# Mean over rules (each rule weighs the same) and its standard error, sd / sqrt(rules).
function MeanAndError([double[]]$values) {
    $n = $values.Count
    $mean = ($values | Measure-Object -Average).Average
    $var = 0.0; foreach ($v in $values) { $var += ($v - $mean) * ($v - $mean) }
    @{ Mean = $mean; StdError = [Math]::Sqrt($var / ($n - 1) / $n); Count = $n }
}
$summary = foreach ($setting in 'ZeroShot', 'ShuffledLabels') {
    foreach ($method in $methodOrder) {
        $these = @($rows | Where-Object { $_.Setting -eq $setting -and $_.Method -eq $method })
        $s = MeanAndError ([double[]]@($these.Accuracy))
        [pscustomobject]@{ Method = $method; Setting = $setting; Accuracy = $s.Mean; N = ($these.N | Measure-Object -Sum).Sum; Tasks = $s.Count; StdError = $s.StdError }
    }
}
$summary | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'task-vectors-rules.csv'))

# Every pair of methods in a setting: the mean per-rule difference and its paired standard error.
$pairs = foreach ($setting in 'ZeroShot', 'ShuffledLabels') {
    for ($a = 0; $a -lt $methodOrder.Count; $a++) {
        for ($b = $a + 1; $b -lt $methodOrder.Count; $b++) {
            $differences = foreach ($t in $tasks.Name) {
                $x = @($rows | Where-Object { $_.Setting -eq $setting -and $_.Task -eq $t -and $_.Method -eq $methodOrder[$a] })[0].Accuracy
                $y = @($rows | Where-Object { $_.Setting -eq $setting -and $_.Task -eq $t -and $_.Method -eq $methodOrder[$b] })[0].Accuracy
                $x - $y
            }
            $s = MeanAndError ([double[]]@($differences))
            [pscustomobject]@{ Setting = $setting; Method = $methodOrder[$a]; Versus = $methodOrder[$b]; Difference = $s.Mean; PairedStdError = $s.StdError; Tasks = $s.Count
                Ratio = $(if ($s.StdError -gt 0) { [Math]::Abs($s.Mean) / $s.StdError } else { [double]::PositiveInfinity }) }
        }
    }
}
$pairs | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'task-vectors-rules-pairs.csv'))
$summary | Export-IclPlot -Path ([IO.Path]::Combine($ResultDir, 'task-vectors-rules.png')) -Kind Heatmap -Row Method -Column Setting -Value Accuracy `
    -Title "First-token accuracy, $($tasks.Count) rules x 13 test queries, $ModelName" | Out-Null
foreach ($method in 'TaskVector', 'FunctionVector') {
    '{0} accuracy by layer, mean over rules: {1}' -f $method, ((0..($layers - 1) | ForEach-Object {
        $l = $_; '{0}: {1:0.000}' -f $l, (@($layerRows | Where-Object { $_.Method -eq $method -and $_.Layer -eq $l }).Accuracy | Measure-Object -Average).Average }) -join ', ')
}
foreach ($s in $summary) { '{0,-19} {1,-15} accuracy {2:0.000} +- {3:0.000} (N = {4}, {5} rules)' -f $s.Method, $s.Setting, $s.Accuracy, $s.StdError, $s.N, $s.Tasks }
foreach ($p in $pairs) { '{0,-15} {1,-19} - {2,-19} {3,7:0.000} +- {4:0.000} ({5:0.0} SE)' -f $p.Setting, $p.Method, $p.Versus, $p.Difference, $p.PairedStdError, $p.Ratio }
"done in $([Math]::Round($watch.Elapsed.TotalSeconds, 1)) s"
