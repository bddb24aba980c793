#Requires -Version 7.4
<#
.SYNOPSIS
    Builds the module's MAML help (en-US/IclPs.dll-Help.xml) and optionally docs/cmdlets.md from the cmdlets' XML doc
    comments, and fails when any cmdlet or parameter is left undocumented.
.DESCRIPTION
    Imports the module from -ModulePath and takes every cmdlet's parameter metadata from Get-Command (parameter sets,
    positions, mandatory, pipeline input, types, aliases, wildcards, ValidateSet values) and its defaults from a fresh
    instance of the cmdlet class. The text comes from -DocumentationXml (IclPs.xml, which the compiler writes beside
    IclPs.dll), following this convention on each cmdlet class in src/IclPs/Cmdlets:

        <summary>   the synopsis: one sentence, for a user (exactly one per class, partial parts included)
        <remarks>   the description; <para> elements are paragraphs, <code> keeps its lines (partial parts add theirs)
        <example>   one or more, each a <code> (a complete pwsh snippet that runs on its own) and <para> explaining it;
                    the first sentence of the first <para> becomes the example's title
        HelpUri     on [Cmdlet(...)]: https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#<verb-noun in lower case>

    and on every public [Parameter] property: a <summary> saying what it is, its units, default and valid range. A
    property's <value>, when present, replaces the default read from the class (for defaults that depend on the input,
    such as "the model's training tasks"). Parameters a cmdlet inherits are documented on the base class that declares
    them (FewShotCmdlet, TaskVectorCmdlet). <see cref>, <paramref> and <c> become plain names. Related links are the
    HelpUri, every other cmdlet the text names, about_IclPs and every about_IclPs_* topic the text names.

    Common parameters (Verbose, ErrorAction, ...) are not documented here; -WhatIf and -Confirm get PowerShell's standard
    text. The script throws, listing every problem, when a cmdlet lacks a synopsis, a description, an example or its
    HelpUri, or a parameter lacks a description; nothing is written then. It exits non-zero when run with pwsh -File.
.PARAMETER ModulePath
    The module folder to document: it holds IclPs.psd1; the help goes to its en-US folder.
.PARAMETER DocumentationXml
    The compiler's XML documentation file of IclPs.dll (IclPs.xml).
.PARAMETER MarkdownPath
    Also write the Markdown reference (docs/cmdlets.md in the repository) to this path.
.EXAMPLE
    ./tools/Build-IclHelp.ps1 -ModulePath src/IclPs/bin/Release/net8.0 -DocumentationXml src/IclPs/bin/Release/net8.0/IclPs.xml -MarkdownPath docs/cmdlets.md
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string]$ModulePath,
    [Parameter(Mandatory)][string]$DocumentationXml,
    [string]$MarkdownPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$DocumentationXml = (Resolve-Path -LiteralPath $DocumentationXml).ProviderPath
$manifest = Join-Path $ModulePath 'IclPs.psd1'
if (-not (Test-Path -LiteralPath $manifest)) { throw "No IclPs.psd1 in '$ModulePath'; -ModulePath must be a module folder." }
$module = Import-Module $manifest -Force -PassThru -ErrorAction Stop -Verbose:$false
$commands = @(Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)
if ($commands.Count -eq 0) { throw "Module '$manifest' exports no cmdlets." }

$HelpUriBase = 'https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md'
$ns = @{
    Maml    = 'http://schemas.microsoft.com/maml/2004/10'
    Command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    Dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
    MSHelp  = 'http://msdn.microsoft.com/mshelp'
}
$commonParameters = [Collections.Generic.HashSet[string]]::new([string[]]([System.Management.Automation.Cmdlet]::CommonParameters +
    [System.Management.Automation.Cmdlet]::OptionalCommonParameters), [StringComparer]::OrdinalIgnoreCase)
# PowerShell's own wording for the ShouldProcess parameters (they are common parameters, not ours to document).
$shouldProcessText = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}
$cmdletByType = @{}
foreach ($c in $commands) { $cmdletByType[$c.ImplementingType.FullName] = $c.Name }
$aboutTopics = @(Get-ChildItem -LiteralPath (Join-Path $ModulePath 'en-US') -Filter 'about_*.help.txt' -ErrorAction SilentlyContinue |
    ForEach-Object { $_.Name -replace '\.help\.txt$' } | Sort-Object)

# ---------------------------------------------------------------------------------------------------------------------
# Doc comment text: paragraphs of plain text ({ Text; Code }), whitespace normalised inside paragraphs.

$doc = [System.Xml.XmlDocument]::new()
$doc.PreserveWhitespace = $true
$doc.Load($DocumentationXml)
$members = @{}
foreach ($member in $doc.SelectNodes('/doc/members/member')) { $members[$member.GetAttribute('name')] = $member }

function Get-CrefName([string]$Cref) {
    $kind, $name = if ($Cref -match '^([A-Z]):(.*)$') { $Matches[1], $Matches[2] } else { 'T', $Cref }
    $name = $name -replace '\(.*$' -replace '`+\d+', ''
    if ($kind -eq 'T' -and $cmdletByType.ContainsKey($name)) { return $cmdletByType[$name] }
    $parts = $name.Split('.')
    if ($kind -eq 'T' -or $parts.Count -lt 2) { return $parts[-1] }
    $type = ($parts[0..($parts.Count - 2)] -join '.')
    if ($cmdletByType.ContainsKey($type)) { return "-$($parts[-1])" }   # a parameter of a cmdlet
    return "$($parts[-2]).$($parts[-1])"
}

# Inline text of a node: references become names, everything else its text.
function Get-InlineText([System.Xml.XmlNode]$Node) {
    switch ($Node.NodeType) {
        'Text' { return $Node.Value }
        'Whitespace' { return ' ' }
        'SignificantWhitespace' { return ' ' }
        'Element' {
            switch ($Node.LocalName) {
                { $_ -in 'see', 'seealso' } {
                    if ($Node.HasAttribute('cref')) { return Get-CrefName $Node.GetAttribute('cref') }
                    if ($Node.HasAttribute('langword')) { return $Node.GetAttribute('langword') }
                    if ($Node.HasAttribute('href')) { return $(if ($Node.InnerText.Trim()) { $Node.InnerText } else { $Node.GetAttribute('href') }) }
                    return $Node.InnerText
                }
                { $_ -in 'paramref', 'typeparamref' } { return $Node.GetAttribute('name') }
                default { return (@($Node.ChildNodes | ForEach-Object { Get-InlineText $_ }) -join '') }
            }
        }
        default { return '' }
    }
}

function Format-Code([string]$Text) {
    $lines = @($Text -replace "`r`n", "`n" -split "`n")
    while ($lines.Count -gt 0 -and -not $lines[0].Trim()) { $lines = @($lines | Select-Object -Skip 1) }
    while ($lines.Count -gt 0 -and -not $lines[-1].Trim()) { $lines = @($lines | Select-Object -SkipLast 1) }
    $indents = @($lines | Where-Object { $_.Trim() } | ForEach-Object { $_.Length - $_.TrimStart().Length })
    $indent = if ($indents.Count) { ($indents | Measure-Object -Minimum).Minimum } else { 0 }
    (@($lines | ForEach-Object { if ($_.Length -ge $indent) { $_.Substring($indent).TrimEnd() } else { $_.Trim() } }) -join "`n")
}

# Paragraphs of an element's content: <para> and <code> start their own, loose text and inline elements join the current.
function Get-Paragraphs([System.Xml.XmlNode]$Node) {
    $paragraphs = [Collections.Generic.List[object]]::new()
    $current = [Text.StringBuilder]::new()
    $flush = {
        $text = ($current.ToString() -replace '\s+', ' ').Trim()
        if ($text) { $paragraphs.Add([pscustomobject]@{ Text = $text; Code = $false }) }
        $null = $current.Clear()
    }
    foreach ($child in $Node.ChildNodes) {
        if ($child.NodeType -eq 'Element' -and $child.LocalName -eq 'para') {
            & $flush
            foreach ($p in Get-Paragraphs $child) { $paragraphs.Add($p) }
        }
        elseif ($child.NodeType -eq 'Element' -and $child.LocalName -eq 'code') {
            & $flush
            $code = Format-Code $child.InnerText
            if ($code) { $paragraphs.Add([pscustomobject]@{ Text = $code; Code = $true }) }
        }
        elseif ($child.NodeType -eq 'Element' -and $child.LocalName -eq 'list') {
            & $flush
            foreach ($item in $child.SelectNodes('item')) {
                $text = ((Get-InlineText $item) -replace '\s+', ' ').Trim()
                if ($text) { $paragraphs.Add([pscustomobject]@{ Text = "- $text"; Code = $false }) }
            }
        }
        else { $null = $current.Append((Get-InlineText $child)) }
    }
    & $flush
    $paragraphs.ToArray()
}

function Get-MemberDoc([string]$Name) { if ($members.ContainsKey($Name)) { $members[$Name] } else { $null } }

# The doc comment of a parameter: on the class that declares the property, else on a base class (an override).
function Get-ParameterDoc([type]$Type, [string]$Name) {
    $flags = [Reflection.BindingFlags]'Public, Instance, DeclaredOnly'
    for ($t = $Type; $null -ne $t; $t = $t.BaseType) {
        $property = $t.GetProperty($Name, $flags)
        if ($null -eq $property) { continue }
        $member = Get-MemberDoc "P:$($t.FullName -replace '\+', '.').$Name"
        if ($null -ne $member -and $member.SelectSingleNode('summary')) { return [pscustomobject]@{ Property = $property; Member = $member } }
    }
    $property = $Type.GetProperties() | Where-Object Name -eq $Name | Select-Object -First 1
    [pscustomobject]@{ Property = $property; Member = $null }
}

# ---------------------------------------------------------------------------------------------------------------------
# Parameter metadata.

function Get-TypeDisplayName([type]$Type) {
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { $Type = $underlying }
    if ($Type.IsArray) { return (Get-TypeDisplayName $Type.GetElementType()) + '[]' }
    $Type.Name
}

function Get-TypeFullName([type]$Type) {
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { $Type = $underlying }
    $Type.FullName
}

function Format-DefaultValue($Value) {
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Management.Automation.SwitchParameter]) { return [string]$Value.IsPresent }
    if ($Value -is [string]) {
        if ($Value -eq '') { return $null }
        if ($Value -match '[\r\n\t]') { return '"' + ($Value -replace "`r", '`r' -replace "`n", '`n' -replace "`t", '`t') + '"' }
        if ($Value -match '\s') { return "'$Value'" }
        return $Value
    }
    if ($Value -is [Array]) {
        if ($Value.Count -eq 0) { return $null }
        return (@($Value | ForEach-Object { Format-DefaultValue $_ }) -join ', ')
    }
    if ($Value -is [int] -and $Value -eq [int]::MaxValue) { return 'no limit' }
    [string]::Format([Globalization.CultureInfo]::InvariantCulture, '{0}', $Value)
}

function Get-ValidValues([System.Management.Automation.ParameterMetadata]$Parameter) {
    $set = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($set) { return @($set.ValidValues) }
    $type = $Parameter.ParameterType
    $underlying = [Nullable]::GetUnderlyingType($type)
    if ($underlying) { $type = $underlying }
    if ($type.IsEnum) { return @([Enum]::GetNames($type)) }
    @()
}

function Get-PipelineText([bool]$ByValue, [bool]$ByName) {
    if ($ByValue -and $ByName) { return 'True (ByPropertyName, ByValue)' }
    if ($ByValue) { return 'True (ByValue)' }
    if ($ByName) { return 'True (ByPropertyName)' }
    'False'
}

# One record per parameter of a cmdlet with everything the help shows.
function Get-ParameterRecords([System.Management.Automation.CmdletInfo]$Command, $Instance, [Collections.Generic.List[string]]$Problems) {
    # get_Values(): a parameter named Values would be looked up by .Values (PowerShell reads dictionary keys first).
    foreach ($parameter in $Command.Parameters.get_Values()) {
        $isShouldProcess = $shouldProcessText.ContainsKey($parameter.Name)
        if ($commonParameters.Contains($parameter.Name) -and -not $isShouldProcess) { continue }
        $sets = @($parameter.ParameterSets.GetEnumerator() | ForEach-Object { [pscustomobject]@{ Name = $_.Key; Data = $_.Value } })
        $description = @()
        $default = $null
        if ($isShouldProcess) {
            $description = @([pscustomobject]@{ Text = $shouldProcessText[$parameter.Name]; Code = $false })
            $default = 'False'
        }
        else {
            $found = Get-ParameterDoc $Command.ImplementingType $parameter.Name
            if ($found.Member) {
                $description = @(Get-Paragraphs $found.Member.SelectSingleNode('summary'))
                $value = $found.Member.SelectSingleNode('value')
                if ($value) { $default = ((Get-InlineText $value) -replace '\s+', ' ').Trim() }
            }
            if (-not $description) { $Problems.Add("$($Command.Name): parameter -$($parameter.Name) has no <summary> (declared on $($found.Property.DeclaringType.Name))") }
            if (-not $default -and -not ($sets.Data.IsMandatory -contains $true) -and $found.Property) {
                $default = Format-DefaultValue $found.Property.GetValue($Instance)
            }
        }
        $positions = @($sets.Data | Where-Object { $_.Position -ge 0 } | ForEach-Object Position | Sort-Object -Unique)
        [pscustomobject]@{
            Name          = $parameter.Name
            Type          = $parameter.ParameterType
            TypeName      = Get-TypeDisplayName $parameter.ParameterType
            TypeFullName  = Get-TypeFullName $parameter.ParameterType
            IsSwitch      = $parameter.SwitchParameter
            Description   = $description
            Default       = $default
            Aliases       = @($parameter.Aliases)
            Globbing      = [bool]($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
            ValidValues   = @(Get-ValidValues $parameter)
            Sets          = $sets
            Required      = -not ($sets.Data.IsMandatory -contains $false)
            Position      = if ($positions.Count) { [string]$positions[0] } else { 'named' }
            Pipeline      = Get-PipelineText ($sets.Data.ValueFromPipeline -contains $true) ($sets.Data.ValueFromPipelineByPropertyName -contains $true)
            ByValue       = $sets.Data.ValueFromPipeline -contains $true
            ByName        = $sets.Data.ValueFromPipelineByPropertyName -contains $true
            IsCommon      = $isShouldProcess
        }
    }
}

# The parameters of one parameter set in PowerShell's display order: positional by position, then the others.
function Get-SetParameters($Records, [string]$SetName) {
    $inSet = foreach ($r in $Records) {
        $entry = $r.Sets | Where-Object { $_.Name -eq $SetName -or $_.Name -eq '__AllParameterSets' } | Select-Object -First 1
        if ($entry) { [pscustomobject]@{ Record = $r; Position = $entry.Data.Position; Mandatory = $entry.Data.IsMandatory } }
    }
    $inSet = @($inSet)
    @($inSet | Where-Object { $_.Position -ge 0 } | Sort-Object Position) +
    @($inSet | Where-Object { $_.Position -lt 0 -and -not $_.Record.IsCommon -and $_.Mandatory }) +
    @($inSet | Where-Object { $_.Position -lt 0 -and -not $_.Record.IsCommon -and -not $_.Mandatory }) +
    @($inSet | Where-Object { $_.Record.IsCommon })
}

function Get-SyntaxLine([string]$CommandName, $SetParameters) {
    $parts = foreach ($p in $SetParameters) {
        $r = $p.Record
        $value = if ($r.IsSwitch) { '' }
                 elseif ($r.ValidValues.Count) { ' {' + ($r.ValidValues -join ' | ') + '}' }
                 else { " <$($r.TypeName)>" }
        $name = if ($p.Position -ge 0) { "[-$($r.Name)]" } else { "-$($r.Name)" }
        $text = "$name$value"
        if (-not $p.Mandatory) { "[$text]" } else { $text }
    }
    ((@($CommandName) + @($parts) + '[<CommonParameters>]') -join ' ')
}

function Get-SortedSets([System.Management.Automation.CmdletInfo]$Command) {
    @($Command.ParameterSets | Sort-Object @{ Expression = { -not $_.IsDefault } }, @{ Expression = { $Command.ParameterSets.IndexOf($_) } })
}

# ---------------------------------------------------------------------------------------------------------------------
# Collect the help of every cmdlet.

$problems = [Collections.Generic.List[string]]::new()
$helps = foreach ($command in $commands) {
    $type = $command.ImplementingType
    $member = Get-MemberDoc "T:$($type.FullName -replace '\+', '.')"
    $summaries = @(if ($member) { $member.SelectNodes('summary') })
    $synopsis = if ($summaries.Count) { ((Get-InlineText $summaries[0]) -replace '\s+', ' ').Trim() } else { '' }
    if (-not $synopsis) { $problems.Add("$($command.Name): no <summary> (synopsis) on class $($type.Name)") }
    elseif ($summaries.Count -gt 1) { $problems.Add("$($command.Name): $($summaries.Count) <summary> elements on class $($type.Name) (partial parts included); the synopsis is one") }
    $description = @(if ($member) { foreach ($remarks in $member.SelectNodes('remarks')) { Get-Paragraphs $remarks } })
    if (-not $description) { $problems.Add("$($command.Name): no <remarks> (description) on class $($type.Name)") }
    $examples = @(if ($member) {
        foreach ($example in $member.SelectNodes('example')) {
            $codeNodes = @($example.SelectNodes('code'))
            $code = (@($codeNodes | ForEach-Object { Format-Code $_.InnerText }) -join "`n")
            $explanation = @(Get-Paragraphs $example | Where-Object { -not $_.Code })
            [pscustomobject]@{ Code = $code; Remarks = $explanation }
        }
    })
    if (-not $examples) { $problems.Add("$($command.Name): no <example> on class $($type.Name)") }
    for ($i = 0; $i -lt $examples.Count; $i++) {
        if (-not $examples[$i].Code) { $problems.Add("$($command.Name): example $($i + 1) has no <code>") }
        if (-not $examples[$i].Remarks) { $problems.Add("$($command.Name): example $($i + 1) has no <para> explaining it") }
    }
    $expectedUri = "$HelpUriBase#$($command.Name.ToLowerInvariant())"
    if ($command.HelpUri -ne $expectedUri) { $problems.Add("$($command.Name): HelpUri is '$($command.HelpUri)', not '$expectedUri'") }

    $instance = [Activator]::CreateInstance($type)
    $records = @(Get-ParameterRecords $command $instance $problems)
    $sets = Get-SortedSets $command
    $syntax = foreach ($set in $sets) {
        $setParameters = Get-SetParameters $records $set.Name
        [pscustomobject]@{ Name = $set.Name; Parameters = $setParameters; Line = Get-SyntaxLine $command.Name $setParameters }
    }
    # Parameters in the order of the default set's syntax, then those only other sets have.
    $ordered = [Collections.Generic.List[object]]::new()
    foreach ($s in $syntax) { foreach ($p in $s.Parameters) { if (-not $ordered.Contains($p.Record)) { $ordered.Add($p.Record) } } }

    $inputs = @(
        # An array parameter bound by value takes its elements one by one from the pipeline.
        foreach ($group in @($records | Where-Object ByValue | Group-Object { if ($_.Type.IsArray) { Get-TypeFullName $_.Type.GetElementType() } else { $_.TypeFullName } })) {
            $names = @($group.Group | ForEach-Object { "-$($_.Name)" }) -join ', '
            [pscustomobject]@{ Type = $group.Name; Text = "You can pipe $($group.Name) objects to the $names parameter$(if ($group.Count -gt 1) { 's' })." }
        }
        $byName = @($records | Where-Object { $_.ByName })
        if ($byName) {
            $names = @($byName | ForEach-Object { ($(@($_.Name) + @($_.Aliases)) -join ' or ') })
            [pscustomobject]@{ Type = 'System.Management.Automation.PSObject'; Text = "Objects with a property named $($names -join ', ') bind to the parameter of that name (by property name)." }
        }
    )
    if (-not $inputs) { $inputs = @([pscustomobject]@{ Type = 'None'; Text = 'You cannot pipe objects to this cmdlet.' }) }
    $outputs = @(
        foreach ($attribute in $type.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $true)) {
            $when = @($attribute.ParameterSetName | Where-Object { $_ -and $_ -ne '__AllParameterSets' })
            foreach ($t in $attribute.Type) {
                $name = if ($t.Type) { $t.Type.FullName } else { $t.Name }
                [pscustomobject]@{ Type = $name; Text = $(if ($when) { "In the $($when -join ', ') parameter set$(if ($when.Count -gt 1) { 's' })." } else { '' }) }
            }
        }
    )

    # Related links: other cmdlets and about topics the text names.
    $allText = (@($synopsis) + @($description | ForEach-Object Text) + @($examples | ForEach-Object { $_.Remarks } | ForEach-Object Text) +
        @($records | ForEach-Object { $_.Description } | ForEach-Object Text)) -join "`n"
    $related = @($commands.Name | Where-Object { $_ -ne $command.Name -and $allText -match "(?<![\w-])$([regex]::Escape($_))(?![\w-])" } |
        Sort-Object { $allText.IndexOf($_, [StringComparison]::Ordinal) })
    $abouts = @('about_IclPs') + @($aboutTopics | Where-Object { $_ -ne 'about_IclPs' -and $allText -match "\b$([regex]::Escape($_))\b" })

    [pscustomobject]@{
        Name = $command.Name; Verb = $command.Verb; Noun = $command.Noun; Command = $command
        Synopsis = $synopsis; Description = $description; Examples = $examples; HelpUri = $command.HelpUri
        Syntax = @($syntax); Parameters = $ordered.ToArray(); Inputs = $inputs; Outputs = $outputs
        Related = $related; Abouts = $abouts
    }
}

if ($problems.Count) {
    # One line each on stderr (the error view would fold a long message into one paragraph), then fail.
    foreach ($problem in $problems) { [Console]::Error.WriteLine("Build-IclHelp: $problem") }
    throw "The cmdlet help is incomplete: $($problems.Count) problem(s), listed above; document them with XML doc comments in src/IclPs/Cmdlets."
}

# ---------------------------------------------------------------------------------------------------------------------
# MAML.

function Write-Paragraphs([System.Xml.XmlWriter]$Writer, $Paragraphs) {
    foreach ($p in $Paragraphs) {
        $text = if ($p.Code) { ($p.Text -split "`n" | ForEach-Object { "    $_" }) -join "`n" } else { $p.Text }
        $Writer.WriteElementString('maml', 'para', $ns.Maml, $text)
    }
}

function Write-Description([System.Xml.XmlWriter]$Writer, $Paragraphs) {
    $Writer.WriteStartElement('maml', 'description', $ns.Maml)
    Write-Paragraphs $Writer $Paragraphs
    $Writer.WriteEndElement()
}

function Write-Type([System.Xml.XmlWriter]$Writer, [string]$Name) {
    $Writer.WriteStartElement('dev', 'type', $ns.Dev)
    $Writer.WriteElementString('maml', 'name', $ns.Maml, $Name)
    $Writer.WriteElementString('maml', 'uri', $ns.Maml, '')
    $Writer.WriteEndElement()
}

function Write-Parameter([System.Xml.XmlWriter]$Writer, $Record, [bool]$Required, [string]$Position, [bool]$InSyntax) {
    $Writer.WriteStartElement('command', 'parameter', $ns.Command)
    $Writer.WriteAttributeString('required', $Required.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', $Record.Type.IsArray.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('globbing', $Record.Globbing.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $Record.Pipeline)
    $Writer.WriteAttributeString('position', $Position)
    $Writer.WriteAttributeString('aliases', $(if ($Record.Aliases.Count) { $Record.Aliases -join ', ' } else { 'none' }))
    $Writer.WriteElementString('maml', 'name', $ns.Maml, $Record.Name)
    Write-Description $Writer $Record.Description
    if ($Record.ValidValues.Count -and $InSyntax) {
        $Writer.WriteStartElement('command', 'parameterValueGroup', $ns.Command)
        foreach ($v in $Record.ValidValues) {
            $Writer.WriteStartElement('command', 'parameterValue', $ns.Command)
            $Writer.WriteAttributeString('required', 'false')
            $Writer.WriteAttributeString('command', 'variableLength', $ns.Command, 'false')
            $Writer.WriteString($v)
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }
    if (-not ($Record.IsSwitch -and $InSyntax)) {
        $Writer.WriteStartElement('command', 'parameterValue', $ns.Command)
        $Writer.WriteAttributeString('required', $(if ($Record.IsSwitch) { 'false' } else { 'true' }))
        $Writer.WriteAttributeString('variableLength', $Record.Type.IsArray.ToString().ToLowerInvariant())
        $Writer.WriteString($Record.TypeName)
        $Writer.WriteEndElement()
    }
    Write-Type $Writer $Record.TypeFullName
    $Writer.WriteElementString('dev', 'defaultValue', $ns.Dev, $(if ($null -ne $Record.Default) { $Record.Default } else { 'None' }))
    $Writer.WriteEndElement()
}

function Write-Link([System.Xml.XmlWriter]$Writer, [string]$Text, [string]$Uri) {
    $Writer.WriteStartElement('maml', 'navigationLink', $ns.Maml)
    $Writer.WriteElementString('maml', 'linkText', $ns.Maml, $Text)
    $Writer.WriteElementString('maml', 'uri', $ns.Maml, $Uri)
    $Writer.WriteEndElement()
}

function Get-ExampleTitle([int]$Number) { "Example $Number" }

$helpFolder = Join-Path $ModulePath 'en-US'
$null = New-Item -ItemType Directory -Force -Path $helpFolder
$helpPath = Join-Path $helpFolder 'IclPs.dll-Help.xml'
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; IndentChars = '  '; NewLineChars = "`n"; Encoding = [Text.UTF8Encoding]::new($false) }
$staged = "$helpPath.tmp"
$writer = [System.Xml.XmlWriter]::Create($staged, $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($help in $helps) {
        $writer.WriteStartElement('command', 'command', $ns.Command)
        $writer.WriteAttributeString('xmlns', 'maml', $null, $ns.Maml)
        $writer.WriteAttributeString('xmlns', 'dev', $null, $ns.Dev)
        $writer.WriteAttributeString('xmlns', 'MSHelp', $null, $ns.MSHelp)

        $writer.WriteStartElement('command', 'details', $ns.Command)
        $writer.WriteElementString('command', 'name', $ns.Command, $help.Name)
        $writer.WriteElementString('command', 'verb', $ns.Command, $help.Verb)
        $writer.WriteElementString('command', 'noun', $ns.Command, $help.Noun)
        Write-Description $writer @([pscustomobject]@{ Text = $help.Synopsis; Code = $false })
        $writer.WriteEndElement()

        Write-Description $writer $help.Description

        $writer.WriteStartElement('command', 'syntax', $ns.Command)
        foreach ($s in $help.Syntax) {
            $writer.WriteStartElement('command', 'syntaxItem', $ns.Command)
            $writer.WriteElementString('maml', 'name', $ns.Maml, $help.Name)
            foreach ($p in $s.Parameters) {
                Write-Parameter $writer $p.Record $p.Mandatory $(if ($p.Position -ge 0) { [string]$p.Position } else { 'named' }) $true
            }
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()

        $writer.WriteStartElement('command', 'parameters', $ns.Command)
        foreach ($r in $help.Parameters) { Write-Parameter $writer $r $r.Required $r.Position $false }
        $writer.WriteEndElement()

        $writer.WriteStartElement('command', 'inputTypes', $ns.Command)
        foreach ($i in $help.Inputs) {
            $writer.WriteStartElement('command', 'inputType', $ns.Command)
            Write-Type $writer $i.Type
            Write-Description $writer @([pscustomobject]@{ Text = $i.Text; Code = $false })
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()

        $writer.WriteStartElement('command', 'returnValues', $ns.Command)
        foreach ($o in $help.Outputs) {
            $writer.WriteStartElement('command', 'returnValue', $ns.Command)
            Write-Type $writer $o.Type
            Write-Description $writer @(if ($o.Text) { [pscustomobject]@{ Text = $o.Text; Code = $false } })
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()

        $writer.WriteStartElement('command', 'examples', $ns.Command)
        for ($i = 0; $i -lt $help.Examples.Count; $i++) {
            $example = $help.Examples[$i]
            $writer.WriteStartElement('command', 'example', $ns.Command)
            $writer.WriteElementString('maml', 'title', $ns.Maml, "-------------------------- $(Get-ExampleTitle ($i + 1)) --------------------------")
            $writer.WriteStartElement('maml', 'introduction', $ns.Maml)
            $writer.WriteElementString('maml', 'para', $ns.Maml, 'PS > ')
            $writer.WriteEndElement()
            $writer.WriteElementString('dev', 'code', $ns.Dev, $example.Code)
            $writer.WriteStartElement('dev', 'remarks', $ns.Dev)
            Write-Paragraphs $writer $example.Remarks
            $writer.WriteEndElement()
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()

        $writer.WriteStartElement('command', 'relatedLinks', $ns.Command)
        Write-Link $writer 'Online Version:' $help.HelpUri
        foreach ($r in $help.Related) { Write-Link $writer $r '' }
        foreach ($a in $help.Abouts) { Write-Link $writer $a '' }
        $writer.WriteEndElement()

        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
    $writer.WriteEndDocument()
}
finally {
    $writer.Dispose()
}
# Well-formed, and what Get-Help then reads back.
$null = [xml](Get-Content -LiteralPath $staged -Raw)
Move-Item -LiteralPath $staged -Destination $helpPath -Force
foreach ($help in $helps) {
    $read = Get-Help $help.Name -Full
    $synopsis = ($read.Synopsis -replace '\s+', ' ').Trim()
    $count = @($read.examples.example).Count
    if ($synopsis -ne $help.Synopsis -or $count -ne $help.Examples.Count) {
        throw "Get-Help $($help.Name) does not read back the help just written to '$helpPath' (synopsis '$synopsis', $count examples)."
    }
}
Write-Verbose "Wrote ${helpPath}: $($helps.Count) cmdlets, $(@($helps | ForEach-Object { $_.Parameters }).Count) parameters, $(@($helps | ForEach-Object { $_.Examples }).Count) examples."

# ---------------------------------------------------------------------------------------------------------------------
# Markdown (docs/cmdlets.md): the same text, one "## Verb-Noun" section per cmdlet (the HelpUri anchors).

function ConvertTo-MarkdownText([string]$Text) {
    # Escape what Markdown would otherwise read as emphasis, links, HTML or code.
    $Text -replace '([\\`*_\[\]<>|])', '\$1'
}

function Get-CodeList([string[]]$Items) { (@($Items | ForEach-Object { '`' + $_ + '`' }) -join ', ') }

function Get-MarkdownParagraphs($Paragraphs) {
    foreach ($p in $Paragraphs) {
        if ($p.Code) { '```powershell'; $p.Text; '```'; '' }
        else { ConvertTo-MarkdownText $p.Text; '' }
    }
}

if ($MarkdownPath) {
    $md = [Collections.Generic.List[string]]::new()
    $md.Add('# IclPs cmdlets')
    $md.Add('')
    $md.Add('<!-- Generated by tools/Build-IclHelp.ps1 from the XML doc comments in src/IclPs/Cmdlets; edit those, not this file. -->')
    $md.Add('')
    $topicList = (@('about_IclPs') + @($aboutTopics | Where-Object { $_ -ne 'about_IclPs' }) | ForEach-Object { '`Get-Help ' + $_ + '`' }) -join ', '
    $md.Add("The $($helps.Count) cmdlets of IclPs $($module.Version), with the text ``Get-Help <cmdlet> -Full`` shows, generated from the same source. " +
        "Concepts are in the about topics ($topicList), whose text is in [module/en-US](../module/en-US).")
    $md.Add('')
    $md.Add('| Cmdlet | Synopsis |')
    $md.Add('| --- | --- |')
    foreach ($help in $helps) { $md.Add("| [$($help.Name)](#$($help.Name.ToLowerInvariant())) | $(ConvertTo-MarkdownText $help.Synopsis) |") }
    $md.Add('')
    foreach ($help in $helps) {
        $md.Add("## $($help.Name)")
        $md.Add('')
        $md.Add((ConvertTo-MarkdownText $help.Synopsis))
        $md.Add('')
        $md.Add('### Syntax')
        $md.Add('')
        $md.Add('```powershell')
        for ($i = 0; $i -lt $help.Syntax.Count; $i++) {
            if ($i) { $md.Add('') }
            $md.Add($help.Syntax[$i].Line)
        }
        $md.Add('```')
        $md.Add('')
        $md.Add('### Description')
        $md.Add('')
        foreach ($line in Get-MarkdownParagraphs $help.Description) { $md.Add($line) }
        $md.Add('### Parameters')
        $md.Add('')
        foreach ($r in $help.Parameters) {
            $facts = @("type ``$($r.TypeName)``")
            if ($r.ValidValues.Count) { $facts += 'values ' + (Get-CodeList $r.ValidValues) }
            if ($r.Required) { $facts += 'required' }
            if ($r.Position -ne 'named') { $facts += "position $($r.Position)" }
            if ($null -ne $r.Default -and -not $r.IsSwitch) { $facts += "default $(ConvertTo-MarkdownText $r.Default)" }
            if ($r.Pipeline -ne 'False') { $facts += "pipeline input $($r.Pipeline -replace '^True ', '')" }
            if ($r.Aliases.Count) { $facts += 'aliases ' + (Get-CodeList $r.Aliases) }
            if ($r.Globbing) { $facts += 'wildcards' }
            $md.Add("- **-$($r.Name)** ($($facts -join '; ')): $(@($r.Description | ForEach-Object { ConvertTo-MarkdownText $_.Text }) -join ' ')")
        }
        $md.Add('')
        $md.Add('### Inputs')
        $md.Add('')
        foreach ($i in $help.Inputs) { $md.Add("- ``$($i.Type)``: $(ConvertTo-MarkdownText $i.Text)") }
        $md.Add('')
        $md.Add('### Outputs')
        $md.Add('')
        foreach ($o in $help.Outputs) { $md.Add("- ``$($o.Type)``$(if ($o.Text) { ': ' + (ConvertTo-MarkdownText $o.Text) })") }
        $md.Add('')
        $md.Add('### Examples')
        $md.Add('')
        for ($i = 0; $i -lt $help.Examples.Count; $i++) {
            $example = $help.Examples[$i]
            $md.Add("#### $(Get-ExampleTitle ($i + 1))")
            $md.Add('')
            $md.Add('```powershell')
            $md.Add($example.Code)
            $md.Add('```')
            $md.Add('')
            foreach ($line in Get-MarkdownParagraphs $example.Remarks) { $md.Add($line) }
        }
        $md.Add('### Related links')
        $md.Add('')
        foreach ($r in $help.Related) { $md.Add("- [$r](#$($r.ToLowerInvariant()))") }
        foreach ($a in $help.Abouts) { $md.Add("- ``Get-Help $a``") }
        $md.Add('')
    }
    while ($md.Count -and $md[-1] -eq '') { $md.RemoveAt($md.Count - 1) }
    $markdownFolder = Split-Path -Parent ([IO.Path]::GetFullPath($MarkdownPath, (Get-Location).ProviderPath))
    $null = New-Item -ItemType Directory -Force -Path $markdownFolder
    [IO.File]::WriteAllText([IO.Path]::GetFullPath($MarkdownPath, (Get-Location).ProviderPath), ($md -join "`n") + "`n", [Text.UTF8Encoding]::new($false))
    Write-Verbose "Wrote $MarkdownPath."
}
