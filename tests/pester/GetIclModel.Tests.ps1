BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:InfoType = 'IclPs.Engine.Models.Shipped.ShippedModelInfo'
}

# Get-IclModel over the models the module ships (module/models, copied into the module folder by the build).
Describe 'Get-IclModel' {
    It 'lists the shipped regression models with their manifests' {
        $models = @(Get-IclModel)
        $models.Count | Should -BeGreaterOrEqual 2
        $models | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be $InfoType }
        foreach ($name in 'linear-d8', 'linear-d8-pool') {
            $info = @($models | Where-Object Name -EQ $name)
            $info | Should -HaveCount 1 -Because "$name ships with the module"
            $manifest = Get-Content (Join-Path $ModuleBase "models/$name/iclps-model.json") -Raw | ConvertFrom-Json
            $info[0].Kind.ToString() | Should -Be 'Regression'
            $info[0].Path | Should -Be (Join-Path $ModuleBase "models/$name")
            $info[0].Steps | Should -BeGreaterThan 0
            $info[0].Steps | Should -Be $manifest.steps
            $info[0].Seed | Should -Be $manifest.seed
            $info[0].Command | Should -Be $manifest.command
            $info[0].KeyMetrics | Should -BeLike '*=*'
        }
    }

    It 'ships llama-tiny-4l-mix, the LLaMA-family mixture model, and loads it for Invoke-IclPrompt' {
        $info = Get-IclModel llama-tiny-4l-mix
        $info.Kind.ToString() | Should -Be 'Text'
        $info.Command | Should -BeLike '*./examples/text-icl-mixture-shots.ps1*'
        $info.KeyMetrics | Should -BeLike '*heldOutAccuracy8ShotKeyedLookup=*heldOutAccuracy8ShotTransduction=*'
        $model = Get-IclModel llama-tiny-4l-mix -Load
        $model.Config.Family.ToString() | Should -Be 'Llama'
        $model.Config.Layers | Should -Be 4
        $words = @([pscustomobject]@{ Input = 'AB'; Output = 'KL' }, [pscustomobject]@{ Input = 'BA'; Output = 'LK' })
        $answers = @($words | Invoke-IclPrompt -Model $model -Demonstrations $words -Shots 1 -MaxNewTokens 2 -Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ',')
        $answers | Should -HaveCount 2
        $answers.Predicted | ForEach-Object { $_ | Should -MatchExactly '^[J-R]' }
    }

    It 'filters names with wildcards, case-insensitively, and binds them from the pipeline' {
        (Get-IclModel -Name 'linear-d8*').Name | Should -Be @('linear-d8', 'linear-d8-pool')
        (Get-IclModel 'LINEAR-D8').Name | Should -Be @('linear-d8')
        ([pscustomobject]@{ Name = 'linear-d8-pool' } | Get-IclModel).Name | Should -Be @('linear-d8-pool')
        # A model matched by two names is listed once.
        (Get-IclModel -Name 'linear-d8', 'linear-*').Name | Should -Be @('linear-d8', 'linear-d8-pool')
        @(Get-IclModel -Name 'nothing-like-this-*') | Should -HaveCount 0
    }

    It 'loads <Name>, a regression model that predicts closer to ridge than to zero' -ForEach @(@{ Name = 'linear-d8' }, @{ Name = 'linear-d8-pool' }) {
        # Prompts of 15 context pairs from the tasks the model was trained on; a model that learned nothing predicts about 0.
        $model = Get-IclModel -Name $Name -Load
        try {
            $model | Should -BeOfType ([IclPs.Engine.Regression.Runs.IclRegressionModel])
            $model.Name | Should -Be $Name
            $model.Task.Points | Should -Be 16
            $rows = @($model | Invoke-IclPrompt -Samples 32 -Seed 7 -Baseline Ridge)
            $rows | Should -HaveCount 32
            $toRidge = ($rows | ForEach-Object { [Math]::Pow($_.Prediction - $_.Ridge, 2) } | Measure-Object -Sum).Sum
            $toZero = ($rows | ForEach-Object { [Math]::Pow($_.Prediction, 2) } | Measure-Object -Sum).Sum
            $toRidge | Should -BeLessThan (0.5 * $toZero) -Because "squared distance to ridge $toRidge, to zero $toZero"
        }
        finally { $model.Dispose() }
    }

    It 'reports an unknown name, naming it, and lists the other names' {
        $models = @(Get-IclModel -Name no-such-model, linear-d8 -ErrorVariable problems -ErrorAction SilentlyContinue)
        $models.Name | Should -Be @('linear-d8')
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'ShippedModelNotFound,IclPs.Cmdlets.GetIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $problems[0].TargetObject | Should -Be 'no-such-model'
    }

    It 'reports a folder with a malformed manifest by its file, and lists the others' {
        $root = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))
        $null = New-Item -ItemType Directory (Join-Path $root 'good'), (Join-Path $root 'bad')
        Set-Content (Join-Path $root 'good/iclps-model.json') ('{ "name": "good", "kind": "Text", "description": "d", "command": "c", "seed": 1, ' +
            '"steps": 2, "batchSize": 3, "trainingSeconds": 4.5, "metrics": { "accuracy": 0.5 }, "commit": "abc" }')
        $bad = Join-Path $root 'bad/iclps-model.json'
        Set-Content $bad '{ "name": "bad", "kind": "Text" }'
        $models = @(Get-IclModel -Path $root -ErrorVariable problems -ErrorAction SilentlyContinue)
        $models | Should -HaveCount 1
        $models[0].Name | Should -Be 'good'
        $models[0].KeyMetrics | Should -Be 'accuracy=0.5'
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'ShippedModelInvalidManifest,IclPs.Cmdlets.GetIclModelCommand'
        $problems[0].TargetObject | Should -Be $bad
    }
}
