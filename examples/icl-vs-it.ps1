<#
.SYNOPSIS
    In-context learning against instruction tuning (Duan et al.): per layer, the cosine similarity of the last-token
    hidden states of the anchor (zero-shot), ICL (k demonstrations in the prompt) and IT (a LoRA tuned on those k
    demonstrations, queried zero-shot), on held-out keyed-lookup maps, with paired Wilcoxon tests.
.DESCRIPTION
    -Inputs inputs, input j being a held-out map of the model's family (never trained on; map j, split 70/15/15 by
    Import-IclDataset with seed -SplitSeed + j + 1), the first query of its test split, and k demonstrations drawn from its
    train split (seed -Seed + j). Each input runs through Measure-HiddenSimilarity -Condition ZeroShot, Icl,
    InstructionTuned -PerInput: the anchor, k-shot ICL, and a fresh LoRA (rank 4, alpha 8, the family's default targets;
    -AdapterSteps updates at -AdapterLearningRate) tuned on exactly the k demonstrations the ICL prompt shows. Settings,
    each for every k in -Shots:
        Labels Correct, Demos Random, Adapter SameMap   the main sweep (does cos(ICL, IT) rise with k?)
        Labels Wrong                                    outputs deranged among the demonstrations, in the prompt and the
                                                        LoRA alike (-ShuffleLabels; needs k >= 2, so k = 1 is skipped)
        Demos Dissimilar                                demonstrations only from keys other than the query's (a key
                                                        decides the output, so none of them shows the query's answer)
        Adapter OtherMap                                the LoRA tuned on the next map's demonstrations (-AdapterDataset)
    Writes to -ResultDir:
        icl-vs-it.csv        Layer, Pair (AnchorIcl | AnchorIt | IclIt), Shots, Labels, Demos, Adapter, MeanCosine,
                             StdCosine, N, Model: mean and sample sd over the inputs.
        icl-vs-it-tests.csv  Contrast, Layer, Shots, Labels, Demos, Adapter, W (W+), N (non-zero differences), Zeros, P,
                             PHolm (Holm over the layers), MedianDifference, Exact, Alternative: paired Wilcoxon signed-rank
                             tests across the inputs. Within a setting: IclIt > AnchorIcl and IclIt > AnchorIt. Across
                             settings, IclIt paired by input: Wrong vs Correct (two-sided: is it not lower?), Dissimilar
                             < Random, OtherMap < SameMap.
        icl-vs-it-accuracy.csv  Condition (Anchor | Icl | It), Shots, Labels, Demos, Adapter, Accuracy, StdError, N, Model:
                             the share of the inputs whose greedy first token after the prompt is the first token of the
                             query's expected output (FirstTokenCorrectA/B of the per-input rows: the very forward passes
                             whose states are compared), with its binomial standard error sqrt(p (1 - p) / N). Wrong
                             labels are scored against the query's true output.
    The LoRA settings are IclPs's (Duan et al.'s code was not found). The centred cosine needs every input's states in one
    run of Measure-HiddenSimilarity, and here every input has its own map and demonstration pool, so it is not reported.
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/icl-vs-it.ps1 -ResultDir ./icl-vs-it"
    A quick check: ./examples/icl-vs-it.ps1 -Inputs 3 -Shots 2 -AdapterSteps 2 -ResultDir $env:TEMP
#>
param(
    # A shipped text model (Get-IclModel) trained on keyed lookups; its manifest names the family and its held-out maps.
    [string]$ModelName = 'text-icl-tiny',
    # A folder laid out like the module's models folder; default: the shipped models.
    [string]$ModelCatalog,
    [string]$ResultDir = (Get-Location).Path,
    [ValidateRange(1, 1000)][int]$Inputs = 30,
    [ValidateRange(1, 64)][int[]]$Shots = @(1, 2, 4, 8),
    [ValidateRange(0, 100000)][int]$AdapterSteps = 20,
    [double]$AdapterLearningRate = 0.01,
    [int]$SplitSeed = 0,
    [int]$Seed = 1
)
$ErrorActionPreference = 'Stop'
$watch = [Diagnostics.Stopwatch]::StartNew()
$null = [IO.Directory]::CreateDirectory($ResultDir)
# The layout the keyed-lookup models were trained on: "a3=x,b7=y,a5=" -> "x".
$format = @{ Template = '{input}='; TargetDelimiter = ''; FewShotDelimiter = ',' }
$catalog = if ($ModelCatalog) { @{ Path = $ModelCatalog } } else { @{} }
$info = Get-IclModel -Name $ModelName @catalog
$model = Get-IclModel -Name $ModelName -Load @catalog
$manifest = Get-Content (Join-Path $info.Path 'iclps-model.json') -Raw | ConvertFrom-Json
if ($manifest.family.name -ne 'KeyedLookup') { throw "$ModelName was trained on the $($manifest.family.name) family; this script builds keyed-lookup maps." }
$options = [IclPs.Engine.TextTasks.KeyedLookupTaskFamilyOptions]@{
    TrainTasks = $manifest.family.trainTasks; HeldOutTasks = $manifest.family.heldOutTasks; TaskSeed = $manifest.family.taskSeed
}
$family = [IclPs.Engine.TextTasks.KeyedLookupTaskFamily]::new($options)
# Input j uses map j and its next map (the other-map control), so Inputs + 1 maps.
$maps = [Math]::Min($Inputs + 1, $family.HeldOutTasks.Count)
if ($maps -lt 2) { throw 'The other-map control needs at least two held-out maps.' }
$dataDir = [IO.Path]::Combine([IO.Path]::GetTempPath(), "icl-vs-it-$PID")
$paths = $family.Export($dataDir, [IclPs.Engine.TextTasks.SymbolicTask[]]@($family.HeldOutTasks)[0..($maps - 1)])
$pairNames = @{ 'ZeroShot-Icl' = 'AnchorIcl'; 'ZeroShot-InstructionTuned' = 'AnchorIt'; 'Icl-InstructionTuned' = 'IclIt' }

$settings = foreach ($k in $Shots) {
    @{ Shots = $k; Labels = 'Correct'; Demos = 'Random'; Adapter = 'SameMap' }
    if ($k -ge 2) { @{ Shots = $k; Labels = 'Wrong'; Demos = 'Random'; Adapter = 'SameMap' } }
    @{ Shots = $k; Labels = 'Correct'; Demos = 'Dissimilar'; Adapter = 'SameMap' }
    @{ Shots = $k; Labels = 'Correct'; Demos = 'Random'; Adapter = 'OtherMap' }
}

# One row per input, setting, layer and pair.
$perInput = [Collections.Generic.List[object]]::new()
# One row per input, setting and condition (Anchor, Icl, It): is its greedy first token the expected output's?
$answers = [Collections.Generic.List[object]]::new()
try {
    $data = @(for ($m = 0; $m -lt $maps; $m++) { Import-IclDataset -Path $paths[$m] -Seed ($SplitSeed + $m + 1) })
    for ($j = 0; $j -lt $Inputs; $j++) {
        $map = $data[$j % $maps]
        $query = $map.Test.Items[[Math]::Floor($j / $maps) % $map.Test.Items.Count]
        $key = $query.Input.Substring(0, 1)
        foreach ($s in $settings) {
            $pool = if ($s.Demos -eq 'Dissimilar') { @($map.Train.Items | Where-Object { -not $_.Input.StartsWith($key, 'Ordinal') }) } else { $map.Train.Items }
            $run = @{
                Model = $model; Demonstrations = $pool; Condition = 'ZeroShot', 'Icl', 'InstructionTuned'; Shots = $s.Shots; Seed = $Seed + $j
                AdapterSteps = $AdapterSteps; AdapterLearningRate = $AdapterLearningRate; ShuffleLabels = $s.Labels -eq 'Wrong'; PerInput = $true
            } + $format
            if ($s.Adapter -eq 'OtherMap') { $run.AdapterDataset = $data[($j + 1) % $maps] }
            $rows = @($query | Measure-HiddenSimilarity @run)
            # Each condition's first-token correctness rides on the rows of its pairs (the same at every layer).
            $firstLayer = @($rows | Where-Object Layer -EQ 0)
            $answered = @{
                Anchor = ($firstLayer | Where-Object Pair -EQ 'ZeroShot-Icl').FirstTokenCorrectA
                Icl    = ($firstLayer | Where-Object Pair -EQ 'ZeroShot-Icl').FirstTokenCorrectB
                It     = ($firstLayer | Where-Object Pair -EQ 'ZeroShot-InstructionTuned').FirstTokenCorrectB
            }
            foreach ($condition in 'Anchor', 'Icl', 'It') {
                $answers.Add([pscustomobject]@{
                    Input = $j; Condition = $condition; Correct = [bool]$answered[$condition]
                    Shots = $s.Shots; Labels = $s.Labels; Demos = $s.Demos; Adapter = $s.Adapter
                })
            }
            foreach ($row in $rows) {
                $perInput.Add([pscustomobject]@{
                    Input = $j; Map = $map.Train.Name; Query = $query.Input; Layer = $row.Layer; Pair = $pairNames[$row.Pair]; Cosine = $row.Cosine
                    Shots = $s.Shots; Labels = $s.Labels; Demos = $s.Demos; Adapter = $s.Adapter
                })
            }
        }
        Write-Progress -Activity 'icl-vs-it' -Status "input $($j + 1) of $Inputs" -PercentComplete (100 * ($j + 1) / $Inputs)
    }
}
finally {
    Write-Progress -Activity 'icl-vs-it' -Completed
    if (Test-Path $dataDir) { [IO.Directory]::Delete($dataDir, $true) }
    $model.Dispose()
}

function SettingKey($r) { '{0}|{1}|{2}|{3}' -f $r.Shots, $r.Labels, $r.Demos, $r.Adapter }

$summary = foreach ($group in $perInput | Group-Object { SettingKey $_ }, Layer, Pair) {
    $first = $group.Group[0]
    $values = @($group.Group.Cosine)
    $mean = ($values | Measure-Object -Average).Average
    $sd = if ($values.Count -gt 1) { [Math]::Sqrt((($values | ForEach-Object { ($_ - $mean) * ($_ - $mean) }) | Measure-Object -Sum).Sum / ($values.Count - 1)) } else { [double]::NaN }
    [pscustomobject]@{
        Layer = $first.Layer; Pair = $first.Pair; Shots = $first.Shots; Labels = $first.Labels; Demos = $first.Demos; Adapter = $first.Adapter
        MeanCosine = $mean; StdCosine = $sd; N = $values.Count; Model = $ModelName
    }
}

# Task accuracy on the same inputs: the share of inputs whose first token is right, with its binomial standard error.
$accuracy = foreach ($group in $answers | Group-Object { SettingKey $_ }, Condition) {
    $first = $group.Group[0]
    $n = $group.Count
    $p = @($group.Group | Where-Object Correct).Count / $n
    [pscustomobject]@{
        Condition = $first.Condition; Shots = $first.Shots; Labels = $first.Labels; Demos = $first.Demos; Adapter = $first.Adapter
        Accuracy = $p; StdError = [Math]::Sqrt($p * (1 - $p) / $n); N = $n; Model = $ModelName
    }
}

# Paired tests through the module's engine (Wilcoxon signed-rank per layer, Holm over the layers), on rows labelled by
# whatever is being compared and paired by input.
function Test-Contrast([object[]]$Rows, [string]$Pair, [string]$Reference, [string]$Alternative, [hashtable]$Setting, [string]$Label) {
    $typed = [Collections.Generic.List[IclPs.Engine.Analysis.HiddenSimilarityInputRow]]::new()
    foreach ($r in $Rows) {
        $typed.Add([IclPs.Engine.Analysis.HiddenSimilarityInputRow]::new($r.Layer, "blocks.$($r.Layer).hook_resid_post", $r.Input, $r.Query, '', '', $r.Label, $r.Cosine, [double]::NaN))
    }
    foreach ($t in [IclPs.Engine.Analysis.HiddenSimilarityContrast]::Test($typed, $Pair, $Reference, $Alternative, 'Cosine')) {
        [pscustomobject]@{
            Contrast = $Label; Layer = $t.Layer; Shots = $Setting.Shots; Labels = $Setting.Labels; Demos = $Setting.Demos; Adapter = $Setting.Adapter
            W = $t.WPlus; N = $t.N; Zeros = $t.Zeros; P = $t.PValue; PHolm = $t.PHolm; MedianDifference = $t.MedianDifference; Exact = $t.Exact; Alternative = $t.Alternative
        }
    }
}

$tests = foreach ($s in $settings) {
    $rows = @($perInput | Where-Object { (SettingKey $_) -eq (SettingKey $s) } | ForEach-Object { $_ | Add-Member -NotePropertyName Label -NotePropertyValue $_.Pair -PassThru -Force })
    Test-Contrast $rows 'IclIt' 'AnchorIcl' 'Greater' $s 'IclIt > AnchorIcl'
    Test-Contrast $rows 'IclIt' 'AnchorIt' 'Greater' $s 'IclIt > AnchorIt'
    # Across settings: this setting's cos(ICL, IT) against the main sweep's at the same k, input by input.
    if ($s.Labels -eq 'Correct' -and $s.Demos -eq 'Random' -and $s.Adapter -eq 'SameMap') { continue }
    $main = @{ Shots = $s.Shots; Labels = 'Correct'; Demos = 'Random'; Adapter = 'SameMap' }
    $both = @($perInput | Where-Object { $_.Pair -eq 'IclIt' -and ((SettingKey $_) -eq (SettingKey $s) -or (SettingKey $_) -eq (SettingKey $main)) } |
        ForEach-Object { $_ | Add-Member -NotePropertyName Label -NotePropertyValue $(if ((SettingKey $_) -eq (SettingKey $main)) { 'Main' } else { 'Varied' }) -PassThru -Force })
    $name, $alternative = if ($s.Labels -eq 'Wrong') { 'IclIt Wrong vs Correct', 'TwoSided' }
        elseif ($s.Demos -eq 'Dissimilar') { 'IclIt Dissimilar < Random', 'Less' }
        else { 'IclIt OtherMap < SameMap', 'Less' }
    Test-Contrast $both 'Varied' 'Main' $alternative $s $name
}

$summary | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'icl-vs-it.csv'))
$tests | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'icl-vs-it-tests.csv'))
$accuracy | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'icl-vs-it-accuracy.csv'))
$last = ($summary | Measure-Object Layer -Maximum).Maximum
foreach ($r in $summary | Where-Object { $_.Layer -eq $last -and $_.Labels -eq 'Correct' -and $_.Demos -eq 'Random' -and $_.Adapter -eq 'SameMap' }) {
    '{0}-shot, last layer: {1,-9} {2:0.000} +- {3:0.000} (N = {4})' -f $r.Shots, $r.Pair, $r.MeanCosine, $r.StdCosine, $r.N
}
foreach ($r in $accuracy | Where-Object { $_.Labels -eq 'Correct' -and $_.Demos -eq 'Random' -and $_.Adapter -eq 'SameMap' }) {
    '{0}-shot accuracy: {1,-6} {2:0.000} +- {3:0.000} (N = {4})' -f $r.Shots, $r.Condition, $r.Accuracy, $r.StdError, $r.N
}
"$($summary.Count) summary rows, $(@($tests).Count) tests and $(@($accuracy).Count) accuracy rows written to $ResultDir in $([Math]::Round($watch.Elapsed.TotalSeconds, 1)) s"
