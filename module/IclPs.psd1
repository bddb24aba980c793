@{
    RootModule           = 'IclPs.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '06c5f298-359f-4426-ab5c-73b484111d9e'
    Author               = 'IclPs contributors'
    Description          = 'In-context-learning research from PowerShell: transformer models (GPT-2, LLaMA) on TorchSharp, few-shot prompts, task vectors, hidden-state similarity, regression ICL against Bayesian baselines. Ships CPU libtorch for linux-x64; other platforms need a build with their natives (build.ps1 -Runtime).'
    Copyright            = '(c) IclPs contributors. MIT License.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('IclPs.format.ps1xml')
    # Listed explicitly so PowerShell can discover commands without loading the assembly; keep in step with src/IclPs/Cmdlets.
    CmdletsToExport      = @(
        'New-IclModel'
        'Get-IclModelInfo'
        # The trained models shipped in models/
        'Get-IclModel'
        # Checkpoints, datasets and result files.
        'Import-IclModel'
        'Save-IclModel'
        # LoRA adapters (PEFT layout): tune and save; Import-IclModel -Adapter loads them
        'Start-IclAdapterTraining'
        'Save-IclAdapter'
        'Import-IclDataset'
        'Export-IclResult'
        'Export-IclPlot'
        # Prompting and hidden-state similarity
        'Invoke-IclPrompt'
        'Measure-HiddenSimilarity'
        # Paired comparison of two result sets (McNemar / Wilcoxon, intervals)
        'Compare-IclResult'
        # Sweeps: units with stable ids, resumable runs (local workers or Slurm), merged CSV
        'New-IclSweep'
        'Invoke-IclSweep'
        'Merge-IclSweep'
        # Regression ICL: training and error curves
        'Start-IclTraining'
        'Measure-IclRegression'
        # Regression ICL: the gradient-descent comparison (numeric prompts: Invoke-IclPrompt -RegressionModel)
        'Compare-IclGradientDescent'
        # Categorical ICL as functional gradient descent (docs/science.md §4)
        'Start-IclCategoricalTraining'
        'Measure-IclCategorical'
        'Test-IclCategoricalStationaryPoint'
        # Task vectors: build, measure, inject, store
        'New-TaskVector'
        'Measure-HeadEffect'
        'Export-TaskVector'
        'Import-TaskVector'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('ICL', 'InContextLearning', 'Transformers', 'TorchSharp', 'Interpretability', 'TaskVectors', 'Research', 'PSEdition_Core', 'Linux')
            ProjectUri   = 'https://github.com/iclps/IclPs'
            LicenseUri   = 'https://github.com/iclps/IclPs/blob/main/LICENSE'
            ReleaseNotes = '0.1.0: first release. Few-shot text and numeric prompts, task vectors (LTV, function vector, Hendel), hidden-state similarity, regression ICL training and Bayesian baselines, shipped trained models, MAML help. Full notes: https://github.com/iclps/IclPs/blob/main/CHANGELOG.md'
        }
    }
}
