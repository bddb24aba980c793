<#
.SYNOPSIS
    In-context learning against instruction tuning (Duan et al.): per layer, the cosine similarity of the last-token
    hidden states of the anchor (zero-shot), ICL (k demonstrations in the prompt) and IT (a LoRA tuned on those k
    demonstrations, queried zero-shot), on held-out maps of the model's text families (keyed lookups, per-symbol
    transductions), with paired Wilcoxon tests.
.DESCRIPTION
    For each family in -Family, -Inputs inputs, input j being a held-out map of that family (never trained on; map j, split 70/15/15 by
    Import-IclDataset with seed -SplitSeed + j + 1), the first query of its test split, and k demonstrations drawn from its
    train split (seed -Seed, query index j). Per setting, all inputs run through one Measure-HiddenSimilarity -Condition
    ZeroShot, Icl, InstructionTuned -PerInput -Centred, each piped with its own map's pool (its Demonstrations property):
    the anchor, k-shot ICL, and a fresh LoRA (rank 4, alpha 8, the family's default targets; -AdapterSteps updates at
    -AdapterLearningRate) tuned on exactly the k demonstrations the ICL prompt shows. Settings, each for every k in -Shots:
        Labels Correct, Demos Random, Adapter SameMap   the main sweep (does cos(ICL, IT) rise with k?)
        Labels Wrong                                    outputs deranged among the demonstrations, in the prompt and the
                                                        LoRA alike (-ShuffleLabels; needs k >= 2, so k = 1 is skipped)
    -Shots 0 runs only the main setting: the control where the ICL prompt is the anchor's and the adapter has nothing to learn.
        Demos Dissimilar                                keyed lookups: demonstrations only from keys other than the
                                                        query's (a key decides the output, so none of them shows the
                                                        query's answer); transductions: only words sharing no symbol
                                                        with the query's (none shows an image the query needs).
                                                        Random demonstrations are the reference ("Similar" in Duan et
                                                        al.'s terms has no analogue here: a demonstration as similar
                                                        as can be would be the query's own answer)
        Adapter OtherMap                                the LoRA tuned on the next map's demonstrations (each input's
                                                        AdapterDemonstrations)
    Writes to -ResultDir (file names for the default -Name):
        icl-vs-it.csv        Family, Layer, Pair (AnchorIcl | AnchorIt | IclIt), Shots, Labels, Demos, Adapter,
                             MeanCosine, StdCosine, N, AdapterSteps, Model, MeanCentredCosine, StdCentredCosine: mean and
                             sample sd over the inputs; centred: states minus the layer's mean state over every input and
                             condition of that setting (one call).
        icl-vs-it-tests.csv  Family, Contrast, Layer, Shots, Labels, Demos, Adapter, W (W+), N (non-zero differences), Zeros, P,
                             PHolm (Holm over the layers), MedianDifference, Exact, Alternative: paired Wilcoxon signed-rank
                             tests across the inputs. Within a setting: IclIt > AnchorIcl and IclIt > AnchorIt, each on
                             both measures (Measure: Cosine, CentredCosine). Across settings, IclIt paired by input: Wrong
                             vs Correct (two-sided: is it not lower?), Dissimilar < Random, OtherMap < SameMap, on the
                             cosine only: each setting is centred on its own mean, so centred cosines of two settings
                             do not share an origin.
        icl-vs-it-accuracy.csv  Family, Condition (Anchor | Icl | It), Shots, Labels, Demos, Adapter, Accuracy, StdError, N, Model:
                             the share of the inputs whose greedy first token after the prompt is the first token of the
                             query's expected output (FirstTokenCorrectA/B of the per-input rows: the very forward passes
                             whose states are compared), with its binomial standard error sqrt(p (1 - p) / N). Wrong
                             labels are scored against the query's true output.
        <Name>-layers-F.png, <Name>-shots-F.png, <Name>-steps-F.png per family F: see icl-vs-it-plots.ps1.
    The LoRA settings are IclPs's (Duan et al.'s code was not found).
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/icl-vs-it.ps1 -ResultDir ./icl-vs-it"
    -AdapterSteps 0, 5, 20, 50 runs the whole protocol once per value (AdapterSteps column): the sensitivity to it.
    A quick check: ./examples/icl-vs-it.ps1 -Inputs 3 -Shots 2 -AdapterSteps 2 -ResultDir $env:TEMP
#>
param(
    # A shipped text model (Get-IclModel) trained on keyed lookups, per-symbol transductions or a mixture; its manifest
    # names the families and their held-out maps.
    [string]$ModelName = 'llama-tiny-4l-mix',
    # The families to measure, each on its own held-out maps; default: every family of the model this script can build.
    [ValidateSet('KeyedLookup', 'Transduction')][string[]]$Family,
    # A folder laid out like the module's models folder; default: the shipped models.
    [string]$ModelCatalog,
    [string]$ResultDir = (Get-Location).Path,
    # The files' common name: <Name>.csv, <Name>-tests.csv, <Name>-accuracy.csv.
    [string]$Name = 'icl-vs-it',
    [ValidateRange(1, 1000)][int]$Inputs = 30,
    [ValidateRange(0, 64)][int[]]$Shots = @(1, 2, 4, 8),
    [ValidateRange(0, 100000)][int[]]$AdapterSteps = 20,
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
# A single-family model's manifest has "family", a mixture's "families".
$trained = @(if ($manifest.families) { $manifest.families } else { $manifest.family })
$buildable = @($trained | Where-Object { $_.name -in 'KeyedLookup', 'Transduction' })
if (-not $Family) { $Family = @($buildable.name) }
$missing = @($Family | Where-Object { $_ -notin $buildable.name })
if ($missing -or -not $Family) { throw "$ModelName was trained on $(@($trained.name) -join ', '); this script builds keyed-lookup and transduction maps, not $(@($missing) -join ', ')." }
$pairNames = @{ 'ZeroShot-Icl' = 'AnchorIcl'; 'ZeroShot-InstructionTuned' = 'AnchorIt'; 'Icl-InstructionTuned' = 'IclIt' }

$settings = foreach ($f in $Family) {
    foreach ($steps in $AdapterSteps) {
        foreach ($k in $Shots) {
            $common = @{ Family = $f; AdapterSteps = $steps; Shots = $k }
            @{ Labels = 'Correct'; Demos = 'Random'; Adapter = 'SameMap' } + $common
            # With no demonstrations there is nothing to vary: k = 0 is the control where ICL is the anchor.
            if ($k -eq 0) { continue }
            if ($k -ge 2) { @{ Labels = 'Wrong'; Demos = 'Random'; Adapter = 'SameMap' } + $common }
            @{ Labels = 'Correct'; Demos = 'Dissimilar'; Adapter = 'SameMap' } + $common
            @{ Labels = 'Correct'; Demos = 'Random'; Adapter = 'OtherMap' } + $common
        }
    }
}

# One row per input, setting, layer and pair.
$perInput = [Collections.Generic.List[object]]::new()
# One row per input, setting and condition (Anchor, Icl, It): is its greedy first token the expected output's?
$answers = [Collections.Generic.List[object]]::new()
$dataDir = [IO.Path]::Combine([IO.Path]::GetTempPath(), "icl-vs-it-$PID")
$done = 0
try {
    foreach ($f in $Family) {
        $spec = $trained | Where-Object name -EQ $f
        $options = @{ TrainTasks = $spec.trainTasks; HeldOutTasks = $spec.heldOutTasks; TaskSeed = $spec.taskSeed }
        $tasks = if ($f -eq 'KeyedLookup') { [IclPs.Engine.TextTasks.KeyedLookupTaskFamily]::new([IclPs.Engine.TextTasks.KeyedLookupTaskFamilyOptions]$options) }
            else { [IclPs.Engine.TextTasks.TransductionTaskFamily]::new([IclPs.Engine.TextTasks.TransductionTaskFamilyOptions]$options) }
        # Input j uses map j and its next map (the other-map control), so Inputs + 1 maps.
        $maps = [Math]::Min($Inputs + 1, $tasks.HeldOutTasks.Count)
        if ($maps -lt 2) { throw 'The other-map control needs at least two held-out maps.' }
        $paths = $tasks.Export([IO.Path]::Combine($dataDir, $f), [IclPs.Engine.TextTasks.SymbolicTask[]]@($tasks.HeldOutTasks)[0..($maps - 1)])
        $data = @(for ($m = 0; $m -lt $maps; $m++) { Import-IclDataset -Path $paths[$m] -Seed ($SplitSeed + $m + 1) })
        # Each input: its map's query, that map's train split (or its dissimilar part), and the next map's train split.
        $records = @(for ($j = 0; $j -lt $Inputs; $j++) {
            $map = $data[$j % $maps]
            $query = $map.Test.Items[[Math]::Floor($j / $maps) % $map.Test.Items.Count]
            # Dissimilar: a keyed lookup's key is its first symbol; a transduction's word needs the image of each of its symbols.
            $dissimilar = if ($f -eq 'KeyedLookup') { $key = $query.Input.Substring(0, 1); { -not $_.Input.StartsWith($key, 'Ordinal') } }
                else { $symbols = $query.Input.ToCharArray(); { $_.Input.IndexOfAny($symbols) -lt 0 } }
            [pscustomobject]@{
                Input = $query.Input; Output = $query.Output; Map = $map.Train.Name; Random = $map.Train.Items
                Dissimilar = @($map.Train.Items | Where-Object $dissimilar); Other = $data[($j + 1) % $maps].Train.Items
            }
        })
        foreach ($s in $settings | Where-Object { $_.Family -eq $f }) {
            # One call per setting: every input brings its own pools, so the summary and the centring span all of them.
            $queries = foreach ($in in $records) {
                $query = [pscustomobject]@{ Input = $in.Input; Output = $in.Output; Demonstrations = $in.($s.Demos) }
                if ($s.Adapter -eq 'OtherMap') { $query | Add-Member -NotePropertyName AdapterDemonstrations -NotePropertyValue $in.Other }
                $query
            }
            $run = @{
                Model = $model; Condition = 'ZeroShot', 'Icl', 'InstructionTuned'; Shots = $s.Shots; Seed = $Seed; AdapterSteps = $s.AdapterSteps
                AdapterLearningRate = $AdapterLearningRate; ShuffleLabels = $s.Labels -eq 'Wrong'; PerInput = $true; Centred = $true
            } + $format
            $rows = @($queries | Measure-HiddenSimilarity @run)
            foreach ($row in $rows | Where-Object Layer -EQ 0) {
                # Each condition's first-token correctness rides on the rows of its pairs (the same at every layer).
                $answered = switch ($row.Pair) {
                    'ZeroShot-Icl' { @{ Anchor = $row.FirstTokenCorrectA; Icl = $row.FirstTokenCorrectB } }
                    'ZeroShot-InstructionTuned' { @{ It = $row.FirstTokenCorrectB } }
                    default { @{} }
                }
                foreach ($condition in $answered.Keys) {
                    $answers.Add([pscustomobject]@{
                        Input = $row.InputIndex; Condition = $condition; Correct = [bool]$answered[$condition]
                        Family = $f; AdapterSteps = $s.AdapterSteps; Shots = $s.Shots; Labels = $s.Labels; Demos = $s.Demos; Adapter = $s.Adapter
                    })
                }
            }
            foreach ($row in $rows) {
                $perInput.Add([pscustomobject]@{
                    Input = $row.InputIndex; Map = $records[$row.InputIndex].Map; Query = $row.Input; Layer = $row.Layer; Pair = $pairNames[$row.Pair]
                    Cosine = $row.Cosine; CentredCosine = $row.CentredCosine
                    Family = $f; AdapterSteps = $s.AdapterSteps; Shots = $s.Shots; Labels = $s.Labels; Demos = $s.Demos; Adapter = $s.Adapter
                })
            }
            $done++
            Write-Progress -Activity 'icl-vs-it' -Status "$f, setting $done of $($settings.Count)" -PercentComplete (100 * $done / $settings.Count)
        }
    }
}
finally {
    Write-Progress -Activity 'icl-vs-it' -Completed
    if (Test-Path $dataDir) { [IO.Directory]::Delete($dataDir, $true) }
    $model.Dispose()
}

function SettingKey($r) { '{0}|{1}|{2}|{3}|{4}|{5}' -f $r.Family, $r.AdapterSteps, $r.Shots, $r.Labels, $r.Demos, $r.Adapter }

# Mean and sample sd (NaN for one value).
function Get-MeanSd([double[]]$Values) {
    $mean = ($Values | Measure-Object -Average).Average
    $sd = if ($Values.Count -gt 1) { [Math]::Sqrt((($Values | ForEach-Object { ($_ - $mean) * ($_ - $mean) }) | Measure-Object -Sum).Sum / ($Values.Count - 1)) } else { [double]::NaN }
    $mean, $sd
}

$summary = foreach ($group in $perInput | Group-Object { SettingKey $_ }, Layer, Pair) {
    $first = $group.Group[0]
    $mean, $sd = Get-MeanSd @($group.Group.Cosine)
    $centredMean, $centredSd = Get-MeanSd @($group.Group.CentredCosine)
    [pscustomobject]@{
        Family = $first.Family; Layer = $first.Layer; Pair = $first.Pair; Shots = $first.Shots; Labels = $first.Labels; Demos = $first.Demos; Adapter = $first.Adapter
        MeanCosine = $mean; StdCosine = $sd; N = $group.Count; AdapterSteps = $first.AdapterSteps; Model = $ModelName
        MeanCentredCosine = $centredMean; StdCentredCosine = $centredSd
    }
}

# Task accuracy on the same inputs: the share of inputs whose first token is right, with its binomial standard error.
$accuracy = foreach ($group in $answers | Group-Object { SettingKey $_ }, Condition) {
    $first = $group.Group[0]
    $n = $group.Count
    $p = @($group.Group | Where-Object Correct).Count / $n
    [pscustomobject]@{
        Family = $first.Family; Condition = $first.Condition; Shots = $first.Shots; Labels = $first.Labels; Demos = $first.Demos; Adapter = $first.Adapter
        Accuracy = $p; StdError = [Math]::Sqrt($p * (1 - $p) / $n); N = $n; AdapterSteps = $first.AdapterSteps; Model = $ModelName
    }
}

# Paired tests through the module's engine (Wilcoxon signed-rank per layer, Holm over the layers), on rows labelled by
# whatever is being compared and paired by input.
function Test-Contrast([object[]]$Rows, [string]$Pair, [string]$Reference, [string]$Alternative, [hashtable]$Setting, [string]$Label, [string[]]$Measure = @('Cosine', 'CentredCosine')) {
    $typed = [Collections.Generic.List[IclPs.Engine.Analysis.HiddenSimilarityInputRow]]::new()
    foreach ($r in $Rows) {
        $typed.Add([IclPs.Engine.Analysis.HiddenSimilarityInputRow]::new($r.Layer, "blocks.$($r.Layer).hook_resid_post", $r.Input, $r.Query, '', '', $r.Label, $r.Cosine, $r.CentredCosine))
    }
    foreach ($m in $Measure) {
        foreach ($t in [IclPs.Engine.Analysis.HiddenSimilarityContrast]::Test($typed, $Pair, $Reference, $Alternative, $m)) {
            [pscustomobject]@{
                Family = $Setting.Family; Contrast = $Label; Layer = $t.Layer; Shots = $Setting.Shots; Labels = $Setting.Labels; Demos = $Setting.Demos; Adapter = $Setting.Adapter
                W = $t.WPlus; N = $t.N; Zeros = $t.Zeros; P = $t.PValue; PHolm = $t.PHolm; MedianDifference = $t.MedianDifference; Exact = $t.Exact; Alternative = $t.Alternative
                AdapterSteps = $Setting.AdapterSteps; Measure = $m
            }
        }
    }
}

$tests = foreach ($s in $settings) {
    $rows = @($perInput | Where-Object { (SettingKey $_) -eq (SettingKey $s) } | ForEach-Object { $_ | Add-Member -NotePropertyName Label -NotePropertyValue $_.Pair -PassThru -Force })
    Test-Contrast $rows 'IclIt' 'AnchorIcl' 'Greater' $s 'IclIt > AnchorIcl'
    Test-Contrast $rows 'IclIt' 'AnchorIt' 'Greater' $s 'IclIt > AnchorIt'
    # Across settings: this setting's cos(ICL, IT) against the main sweep's at the same k, input by input.
    if ($s.Labels -eq 'Correct' -and $s.Demos -eq 'Random' -and $s.Adapter -eq 'SameMap') { continue }
    $main = @{ Family = $s.Family; AdapterSteps = $s.AdapterSteps; Shots = $s.Shots; Labels = 'Correct'; Demos = 'Random'; Adapter = 'SameMap' }
    $both = @($perInput | Where-Object { $_.Pair -eq 'IclIt' -and ((SettingKey $_) -eq (SettingKey $s) -or (SettingKey $_) -eq (SettingKey $main)) } |
        ForEach-Object { $_ | Add-Member -NotePropertyName Label -NotePropertyValue $(if ((SettingKey $_) -eq (SettingKey $main)) { 'Main' } else { 'Varied' }) -PassThru -Force })
    $contrast, $alternative = if ($s.Labels -eq 'Wrong') { 'IclIt Wrong vs Correct', 'TwoSided' }
        elseif ($s.Demos -eq 'Dissimilar') { 'IclIt Dissimilar < Random', 'Less' }
        else { 'IclIt OtherMap < SameMap', 'Less' }
    Test-Contrast $both 'Varied' 'Main' $alternative $s $contrast -Measure Cosine
}

$summary | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, "$Name.csv"))
$tests | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, "$Name-tests.csv"))
$accuracy | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, "$Name-accuracy.csv"))
# Plots: per layer and against shots at 4 shots and 20 updates where measured (else the largest), against updates too.
$plotShots = if ($Shots -contains 4) { 4 } else { ($Shots | Measure-Object -Maximum).Maximum }
$plotSteps = if ($AdapterSteps -contains 20) { 20 } else { ($AdapterSteps | Measure-Object -Maximum).Maximum }
& (Join-Path $PSScriptRoot 'icl-vs-it-plots.ps1') -ResultDir $ResultDir -Name $Name -Shots $plotShots -AdapterSteps $plotSteps
$last = ($summary | Measure-Object Layer -Maximum).Maximum
foreach ($r in $summary | Where-Object { $_.Layer -eq $last -and $_.Labels -eq 'Correct' -and $_.Demos -eq 'Random' -and $_.Adapter -eq 'SameMap' }) {
    '{0}, {1} updates, {2}-shot, last layer: {3,-9} {4:0.000} +- {5:0.000} (N = {6})' -f $r.Family, $r.AdapterSteps, $r.Shots, $r.Pair, $r.MeanCosine, $r.StdCosine, $r.N
}
foreach ($r in $accuracy | Where-Object { $_.Labels -eq 'Correct' -and $_.Demos -eq 'Random' -and $_.Adapter -eq 'SameMap' }) {
    '{0}, {1} updates, {2}-shot accuracy: {3,-6} {4:0.000} +- {5:0.000} (N = {6})' -f $r.Family, $r.AdapterSteps, $r.Shots, $r.Condition, $r.Accuracy, $r.StdError, $r.N
}
"$($summary.Count) summary rows, $(@($tests).Count) tests and $(@($accuracy).Count) accuracy rows written to $ResultDir in $([Math]::Round($watch.Elapsed.TotalSeconds, 1)) s"
