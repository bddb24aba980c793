#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The module's help (en-US/IclPs.dll-Help.xml, which tools/Build-IclHelp.ps1 generates from the cmdlets' XML doc comments,
# and the about topics): every cmdlet has a synopsis, a description, examples and a HelpUri; every parameter has a
# description; every example runs, alone, in a fresh scope; the about topics resolve.

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
    $script:Commands = @(Get-Command -Module IclPs -CommandType Cmdlet | Sort-Object Name | ForEach-Object {
        # get_Keys(): Start-IclTraining has a parameter named Keys, which $_.Parameters.Keys would look up instead.
        @{ Name = $_.Name; Parameters = @($_.Parameters.get_Keys() | Where-Object { $_ -notin $common } | Sort-Object) }
    })
    # One test case per example, numbered as Get-Help numbers them.
    $script:Examples = @(foreach ($command in $script:Commands) {
        $helpExamples = @((Get-Help $command.Name -Full).examples.example | Where-Object { $_ })
        for ($i = 0; $i -lt $helpExamples.Count; $i++) {
            @{ Name = $command.Name; Number = $i + 1; Code = [string]$helpExamples[$i].code }
        }
    })
    $script:AboutTopics = @('about_IclPs', 'about_IclPs_HookNames', 'about_IclPs_PromptFormat', 'about_IclPs_TaskVectors' | ForEach-Object { @{ Topic = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # A cmdlet's help text, as Get-Help -Full gives it; the synopsis of a cmdlet without MAML help is its syntax.
    function Get-FullHelp([string]$Name) { Get-Help $Name -Full }
    function Get-ParaText($Description) { (@($Description | ForEach-Object { $_.Text }) -join "`n").Trim() }
}

Describe 'Help of <Name>' -ForEach $Commands {
    BeforeAll {
        $script:Help = Get-FullHelp $Name
        $script:Command = Get-Command $Name
    }

    It 'has a synopsis' {
        $synopsis = ([string]$Help.Synopsis).Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        # Without MAML help, Get-Help makes the synopsis from the syntax.
        $synopsis | Should -Not -Match "^$([regex]::Escape($Name))\s*(\[|-|$)" -Because 'the synopsis must come from the help file, not the syntax'
    }

    It 'has a description' {
        Get-ParaText $Help.description | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example with code and an explanation' {
        $examples = @($Help.examples.example | Where-Object { $_ })
        $examples.Count | Should -BeGreaterOrEqual 1
        foreach ($example in $examples) {
            ([string]$example.code).Trim() | Should -Not -BeNullOrEmpty
            Get-ParaText $example.remarks | Should -Not -BeNullOrEmpty -Because "example '$($example.title.Trim('- '))' needs an explanation"
        }
    }

    It 'has a HelpUri that lands on its section of docs/cmdlets.md and is among its related links' {
        $Command.HelpUri | Should -Be "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#$($Name.ToLowerInvariant())"
        @($Help.relatedLinks.navigationLink.uri) | Should -Contain $Command.HelpUri
        Get-Content (Join-Path $RepositoryRoot 'docs/cmdlets.md') | Should -Contain "## $Name"
    }

    It 'describes every parameter' {
        $documented = @{}
        foreach ($parameter in @($Help.parameters.parameter | Where-Object { $_ })) { $documented[$parameter.name] = Get-ParaText $parameter.description }
        $missing = @($Parameters | Where-Object { -not $documented[$_] })
        $missing | Should -BeNullOrEmpty -Because "$Name must describe -$($missing -join ', -')"
    }

    It 'links the about_IclPs topic' {
        @($Help.relatedLinks.navigationLink.linkText) | Should -Contain 'about_IclPs'
    }
}

Describe 'Examples in the help' {
    BeforeAll {
        $script:SavedTemp = @{ TMPDIR = $env:TMPDIR; TMP = $env:TMP; TEMP = $env:TEMP }
    }

    # Each example alone, as a user pastes it into a fresh session: its own child scope, errors stopping it, output
    # discarded, and the temporary folder (where examples write) pointed into TestDrive so nothing is left behind.
    It '<Name> example <Number> runs' -ForEach $Examples {
        $temp = (New-Item -ItemType Directory (Join-Path $TestDrive "$Name-$Number-$([guid]::NewGuid().ToString('N'))")).FullName
        $env:TMPDIR = $env:TMP = $env:TEMP = $temp + [IO.Path]::DirectorySeparatorChar
        Push-Location $temp
        try {
            $example = [scriptblock]::Create($Code)
            & {
                $ErrorActionPreference = 'Stop'
                $ProgressPreference = 'SilentlyContinue'
                $null = & $example
            }
        }
        catch {
            throw "$Name example $Number failed: $($_.Exception.Message)`n$($_.InvocationInfo.PositionMessage)"
        }
        finally {
            Pop-Location
            foreach ($variable in $SavedTemp.Keys) { [Environment]::SetEnvironmentVariable($variable, $SavedTemp[$variable]) }
        }
    }
}

Describe 'About topics' {
    It '<Topic> resolves with Get-Help' -ForEach $AboutTopics {
        Join-Path $ModuleBase "en-US/$Topic.help.txt" | Should -Exist
        $text = Get-Help $Topic | Out-String
        $text | Should -Match "TOPIC\s+$Topic\b"
        $text | Should -Match 'SHORT DESCRIPTION'
        $text | Should -Match 'LONG DESCRIPTION'
    }

    It 'about_IclPs links to the other topics' {
        $text = Get-Help about_IclPs | Out-String
        foreach ($topic in $AboutTopics.Topic | Where-Object { $_ -ne 'about_IclPs' }) { $text | Should -Match "\b$topic\b" }
    }
}
