#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Torch threads per workload: chosen by model size, fixed by $IclPsThreads or ICLPS_THREADS (the variable first),
# said in -Verbose, and a bad setting refused naming it.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Model = New-IclModel -Preset gpt2-tiny -Seed 1
    $script:SavedVariable = $env:ICLPS_THREADS

    # The verbose line a cmdlet writes about its threads.
    function Get-ThreadLine([scriptblock]$Script) {
        @(& $Script 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Running on *' })[0].Message
    }
}

AfterAll {
    $env:ICLPS_THREADS = $script:SavedVariable
    $script:Model.Dispose()
}

Describe 'Torch threads' {
    BeforeEach { $env:ICLPS_THREADS = $null }

    It 'runs a tiny model on one thread and says why' {
        $line = Get-ThreadLine { $script:Model | Get-IclModelInfo -Verbose }
        $line | Should -Match '^Running on 1 torch thread \(automatic: a .*-parameter model'
        [TorchSharp.torch]::get_num_threads() | Should -Be 1
    }

    It 'follows ICLPS_THREADS' {
        $env:ICLPS_THREADS = '2'
        Get-ThreadLine { $script:Model | Get-IclModelInfo -Verbose } | Should -Be 'Running on 2 torch threads (ICLPS_THREADS = 2).'
        [TorchSharp.torch]::get_num_threads() | Should -Be 2
    }

    It 'lets $IclPsThreads override ICLPS_THREADS' {
        $env:ICLPS_THREADS = '2'
        $IclPsThreads = 1
        Get-ThreadLine { $script:Model | Get-IclModelInfo -Verbose } | Should -Be 'Running on 1 torch thread ($IclPsThreads = 1).'
        [TorchSharp.torch]::get_num_threads() | Should -Be 1
    }

    It 'refuses a setting that is not a thread count, naming it' -TestCases @(
        @{ Variable = $null; Setting = 'many'; Target = '$IclPsThreads' }
        @{ Variable = '0'; Setting = $null; Target = 'ICLPS_THREADS' }
    ) {
        $env:ICLPS_THREADS = $Variable
        $IclPsThreads = $Setting
        $failure = $null
        try { $script:Model | Get-IclModelInfo -ErrorAction Stop } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -BeLike 'InvalidThreadSetting*'
        $failure.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failure.TargetObject | Should -Be $Target
    }
}
