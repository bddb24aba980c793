<#
.SYNOPSIS
    The IclPs main job on the trained models shipped with the module: in-context regression against Bayesian baselines,
    task diversity (fresh-task vs pool model), and few-shot text prompts with hidden-state similarity.
.DESCRIPTION
    Uses the shipped models (Get-IclModel lists them; module/models in the repository):
      linear-d8       D=8 linear regression, a fresh task per sequence: should track Ridge on any task.
      linear-d8-pool  the same on a small pool of tasks: should track dMMSE, good on its pool and poor on fresh tasks.
      text-icl-tiny   a tiny text model trained for few-shot prompts; prompted on tasks held out of its training.
    Steps: (1) numeric few-shot prompts on linear-d8 beside Ridge/least squares/averaging; (2) error against the number of
    in-context examples for both regression models on pool and on fresh tasks; (3) few-shot prompts on held-out text tasks
    at 0 and -Shots demonstrations; (4) a learnable task vector (LTV) trained on one held-out task and injected into its
    zero-shot prompts; (5) per-layer hidden-state similarity, zero-shot vs ICL vs zero-shot + LTV, on that task.
    Writes CSV and PNG files to -OutDir. Run it in pwsh with the module imported. From a clone, build the module first
    (dotnet pwsh ./build.ps1 lays it out in artifacts/IclPs/0.1.0), then:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/quickstart.ps1"
#>
param(
    [string]$OutDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../out/quickstart')),
    [int]$Seed = 0,
    # Sequences per task source for the error-vs-examples curves.
    [int]$Samples = 1000,
    # The text part: the model, how many of its held-out tasks to prompt, the demonstrations and queries per task, and the
    # prompt layout the model was trained on ("a3=x,b7=y,a5=" is Template '{input}=', TargetDelimiter '', FewShotDelimiter ',').
    [string]$TextModel = 'text-icl-tiny',
    [int]$TextTasks = 4,
    [int]$Shots = 8,
    [int]$Queries = 16,
    [string]$Template = '{input}=',
    [string]$TargetDelimiter = '',
    [string]$FewShotDelimiter = ','
)
$ErrorActionPreference = 'Stop'
$null = [IO.Directory]::CreateDirectory($OutDir)
function Out-Path([string]$Name) { [IO.Path]::Combine($OutDir, $Name) }
$written = [Collections.Generic.List[string]]::new()
$clock = [Diagnostics.Stopwatch]::StartNew()

# The held-out tasks of the text model's family, as Function Vector style JSON datasets (one file per task). Edit this
# function when the text model's family or its options change: the tasks must be ones the model never trained on.
function Export-HeldOutTextTask([string]$Directory, [int]$Count) {
    # text-icl-tiny was trained on keyed lookups with the family's default options (examples/text-icl-shots.ps1).
    $family = [IclPs.Engine.TextTasks.KeyedLookupTaskFamily]::new([IclPs.Engine.TextTasks.KeyedLookupTaskFamilyOptions]::new())
    $tasks = @($family.HeldOutTasks)
    $family.Export($Directory, [IclPs.Engine.TextTasks.SymbolicTask[]]$tasks[0..([Math]::Min($Count, $tasks.Count) - 1)])
}

'== Shipped models =='
Get-IclModel | Out-Host

$linear = Get-IclModel -Name linear-d8 -Load
$pool = Get-IclModel -Name linear-d8-pool -Load
try {
    '== 1. Numeric few-shot prompts on linear-d8 (fresh tasks), beside the baselines =='
    # One prompt written by hand: y = w.x (no noise) for a w of our choosing, 15 examples and a query, x ~ N(0, I) as in
    # training (Box-Muller from a seeded Random); the last y is the expected answer.
    $w = [double[]](1, -1, 0.5, 0, 0, 2, 0, 0)
    $random = [Random]::new($Seed)
    $xs = @(1..16 | ForEach-Object {
        , [double[]]@(1..8 | ForEach-Object { [Math]::Round([Math]::Sqrt(-2 * [Math]::Log(1 - $random.NextDouble())) * [Math]::Cos(2 * [Math]::PI * $random.NextDouble()), 2) })
    })
    $ys = @($xs | ForEach-Object { $x = $_; $sum = 0.0; for ($i = 0; $i -lt 8; $i++) { $sum += $w[$i] * $x[$i] }; $sum })
    $handMade = [pscustomobject]@{ X = $xs; Y = $ys }
    $prompts = @($handMade | Invoke-IclPrompt -RegressionModel $linear -Baseline Ridge, LeastSquares, Averaging)
    # Generated prompts: 15 examples of a fresh task each.
    $prompts += @($linear | Invoke-IclPrompt -TaskSource fresh -Samples 8 -Seed $Seed -Baseline Ridge, LeastSquares, Averaging)
    $prompts | Out-Host
    $prompts | Export-IclResult -Path (Out-Path 'regression-prompts.csv')
    $written.Add((Out-Path 'regression-prompts.csv'))

    '== 2. Error vs in-context examples: linear-d8 vs linear-d8-pool, on the pool tasks and on fresh tasks =='
    # Both models on the pool model's tasks: "pretrain" sequences come from its pool of M tasks, "fresh" ones from new tasks.
    $m = $pool.Task.PoolSize
    $curves = [Collections.Generic.List[object]]::new()
    $summary = [Collections.Generic.List[object]]::new()
    foreach ($model in $linear, $pool) {
        $rows = @(Measure-IclRegression -Model $model -TaskPoolSize $m -TaskSeed $pool.Task.TaskSeed -Baseline Ridge, Dmmse -Samples $Samples -Seed $Seed)
        foreach ($r in $rows) {
            # The baselines do not depend on the model: keep them once, under their own names.
            if ($r.Method -ne 'model' -and $model -ne $pool) { continue }
            $tasks = if ($r.TaskSource -eq 'pretrain') { "pool (M=$m)" } else { 'fresh' }
            $curves.Add([pscustomobject]@{
                Tasks = $tasks; Examples = $r.Position - 1; Method = if ($r.Method -eq 'model') { $r.Model } else { $r.Method }; Error = $r.Error
            })
        }
        foreach ($s in @(Measure-IclRegression -Model $model -TaskPoolSize $m -TaskSeed $pool.Task.TaskSeed -Baseline Ridge, Dmmse -Samples $Samples -Seed $Seed -Summary)) {
            $summary.Add([pscustomobject]@{
                Model = $s.Model; Tasks = if ($s.TaskSource -eq 'pretrain') { "pool (M=$m)" } else { 'fresh' }
                Error = $s.ModelError; RidgeError = $s.RidgeError; DmmseError = $s.DmmseError; DeltaRidge = $s.DeltaRidge; DeltaDmmse = $s.DeltaDmmse
            })
        }
    }
    $summary | Out-Host
    $curves | Export-IclResult -Path (Out-Path 'regression-curves.csv')
    $summary | Export-IclResult -Path (Out-Path 'regression-summary.csv')
    $written.Add((Out-Path 'regression-curves.csv')); $written.Add((Out-Path 'regression-summary.csv'))
    foreach ($tasks in "pool (M=$m)", 'fresh') {
        $png = Out-Path "regression-curve-$(if ($tasks -eq 'fresh') { 'fresh' } else { 'pool' }).png"
        $curves | Where-Object Tasks -eq $tasks | Export-IclPlot -Path $png -X Examples -Y Error -Series Method `
            -XLabel 'in-context examples' -YLabel 'squared error / D' -Title "D=8 linear regression, $tasks tasks ($Samples sequences)"
        $written.Add($png)
    }
}
finally {
    $linear.Dispose()
    $pool.Dispose()
}

if (-not (Get-IclModel -Name $TextModel -ErrorAction SilentlyContinue)) {
    "== 3-5. Skipped: no shipped model '$TextModel' (Get-IclModel lists what there is) =="
}
else {
    "== 3. Few-shot prompts on $TextModel, tasks held out of its training =="
    $text = Get-IclModel -Name $TextModel -Load
    try {
        $format = @{ Template = $Template; TargetDelimiter = $TargetDelimiter; FewShotDelimiter = $FewShotDelimiter }
        $taskFiles = @(Export-HeldOutTextTask -Directory (Out-Path 'text-tasks') -Count $TextTasks)
        $results = [Collections.Generic.List[object]]::new()
        $accuracy = [Collections.Generic.List[object]]::new()
        # Every pair of a held-out task is unseen, so 60% serve as demonstrations and 40% as queries (no validation part).
        $datasets = @($taskFiles | ForEach-Object { Import-IclDataset -Path $_ -Seed $Seed -TrainFraction 0.6 -ValidFraction 0 })
        foreach ($data in $datasets) {
            foreach ($shots in 0, $Shots) {
                $rows = @(Invoke-IclPrompt -Model $text -Dataset $data -Shots $shots -Seed $Seed -First $Queries -MaxNewTokens 2 @format)
                $rows | ForEach-Object { $results.Add($_) }
                $accuracy.Add([pscustomobject]@{
                    Task = $data.Train.Name; Shots = $shots; Queries = $rows.Count
                    FirstTokenAccuracy = @($rows | Where-Object FirstTokenCorrect).Count / [Math]::Max(1, $rows.Count)
                })
            }
        }
        $accuracy | Out-Host
        $results | Export-IclResult -Path (Out-Path 'text-prompts.csv')
        $accuracy | Export-IclResult -Path (Out-Path 'text-accuracy.csv')
        $written.Add((Out-Path 'text-prompts.csv')); $written.Add((Out-Path 'text-accuracy.csv'))

        "== 4. A learnable task vector on $TextModel ($($datasets[0].Train.Name)), injected into zero-shot prompts =="
        # The LTV needs a validation part to stop training, so this task is split 50/20/30; its test queries are unseen.
        $ltvData = Import-IclDataset -Path $taskFiles[0] -Seed $Seed -TrainFraction 0.5 -ValidFraction 0.2
        $ltv = New-TaskVector -Model $text -Dataset $ltvData -Method Ltv -Seed $Seed -Prompts 32 -LearningRate 0.05 -MaxEpochs 100 @format
        $ltv | Out-Host
        $ltv.Heads | Export-IclPlot -Path (Out-Path 'text-ltv-theta.png') -Kind Heatmap -Row Layer -Column Head -Value Weight `
            -Title "LTV theta, $TextModel, $($datasets[0].Train.Name)"
        $written.Add((Out-Path 'text-ltv-theta.png'))
        $withLtv = @(Invoke-IclPrompt -Model $text -Dataset $ltvData -Shots 0 -Seed $Seed -MaxNewTokens 1 -TaskVector $ltv @format)
        $without = @(Invoke-IclPrompt -Model $text -Dataset $ltvData -Shots 0 -Seed $Seed -MaxNewTokens 1 @format)
        'zero-shot first-token accuracy on its {0} test queries: {1:0.00} without, {2:0.00} with the LTV' -f $without.Count, `
            (@($without | Where-Object FirstTokenCorrect).Count / $without.Count), (@($withLtv | Where-Object FirstTokenCorrect).Count / $withLtv.Count)

        "== 5. Hidden-state similarity on $TextModel ($($datasets[0].Train.Name)): zero-shot vs $Shots-shot vs zero-shot + LTV, per layer =="
        $similarity = @(Measure-HiddenSimilarity -Model $text -Dataset $datasets[0] -Condition ZeroShot, Icl -Shots $Shots -TaskVector $ltv -Seed $Seed -First $Queries @format)
        $similarity | Out-Host
        $similarity | Export-IclResult -Path (Out-Path 'text-similarity.csv')
        $similarity | ForEach-Object { [pscustomobject]@{ Layer = $_.Layer; MeanCosine = $_.MeanCosine; StdCosine = $_.StdCosine; Pair = "$($_.ConditionA) vs $($_.ConditionB)" } } |
            Export-IclPlot -Path (Out-Path 'text-similarity.png') -X Layer -Y MeanCosine -ErrorBar StdCosine -Series Pair `
            -XLabel 'layer' -YLabel 'cosine to the other condition' -Title "$TextModel, $($datasets[0].Train.Name): zero-shot vs $Shots-shot vs LTV"
        $written.Add((Out-Path 'text-similarity.csv')); $written.Add((Out-Path 'text-similarity.png'))
    }
    finally {
        $text.Dispose()
    }
}

'== Files =='
$written
'quickstart finished in {0:0.0} s' -f $clock.Elapsed.TotalSeconds
