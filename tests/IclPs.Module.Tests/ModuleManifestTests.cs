using System.Management.Automation;
using System.Reflection;
using System.Xml.Linq;

namespace IclPs.Module.Tests;

[Collection(ModuleCollection.Name)]
public sealed class ModuleManifestTests(ModuleFixture module)
{
    // Get-Verb lives in Microsoft.PowerShell.Utility, absent from a hosted runspace; the same list is SMA's Verbs* constants.
    private static readonly HashSet<string> ApprovedVerbs = new[]
        {
            typeof(VerbsCommon), typeof(VerbsData), typeof(VerbsLifecycle), typeof(VerbsDiagnostic),
            typeof(VerbsCommunications), typeof(VerbsSecurity), typeof(VerbsOther),
        }
        .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
        .Select(f => (string)f.GetValue(null)!)
        .ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void Exports_exactly_the_cmdlets_the_assembly_defines()
    {
        var result = module.Run("""
            $m = Get-Module IclPs
            [pscustomobject]@{
                Version   = $m.Version.ToString()
                Exported  = @($m.ExportedCmdlets.Keys)
                Defined   = @([IclPs.IclPsCmdlet].Assembly.GetTypes() |
                    Where-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).Count -gt 0 } |
                    ForEach-Object { $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]; "$($a.VerbName)-$($a.NounName)" })
            }
            """).Succeeded();
        // Sorted here: Sort-Object is a Utility cmdlet, absent from a hosted runspace.
        var output = Assert.Single(result.Output);
        var exported = ((object[])output.Properties["Exported"].Value).Select(o => o.ToString()!).Order().ToArray();
        var defined = ((object[])output.Properties["Defined"].Value).Select(o => o.ToString()!).Order().ToArray();
        Assert.Equal("0.1.0", output.Properties["Version"].Value);
        Assert.Equal(["Compare-IclGradientDescent", "Export-IclPlot", "Export-IclResult", "Export-TaskVector", "Get-IclModel", "Get-IclModelInfo", "Import-IclDataset", "Import-IclModel", "Import-TaskVector", "Invoke-IclPrompt", "Measure-HeadEffect", "Measure-HiddenSimilarity", "Measure-IclRegression", "New-IclModel", "New-TaskVector", "Save-IclModel", "Start-IclTraining"], exported);
        Assert.Equal(defined, exported);
    }

    [Fact]
    public void Every_cmdlet_uses_an_approved_verb_and_derives_from_the_base()
    {
        var result = module.Run("""
            Get-Command -Module IclPs | ForEach-Object {
                [pscustomobject]@{ Verb = $_.Verb; Name = $_.Name; DerivesFromBase = $_.ImplementingType.IsSubclassOf([IclPs.IclPsCmdlet]) }
            }
            """).Succeeded();
        Assert.NotEmpty(result.Output);
        foreach (var command in result.Output)
        {
            var name = (string)command.Properties["Name"].Value;
            Assert.True(ApprovedVerbs.Contains((string)command.Properties["Verb"].Value), $"{name} uses an unapproved verb");
            Assert.True((bool)command.Properties["DerivesFromBase"].Value, $"{name} does not derive from IclPs.IclPsCmdlet");
        }
    }

    [Fact]
    public void Every_declared_output_type_has_a_format_view()
    {
        var result = module.Run("""
            Get-Command -Module IclPs | ForEach-Object { $_.OutputType | ForEach-Object { $_.Name } }
            """).Succeeded();
        var views = XDocument.Load(Path.Combine(module.ModulePath, "IclPs.format.ps1xml"))
            .Descendants("ViewSelectedBy").Elements("TypeName").Select(e => e.Value).ToHashSet();
        var outputTypes = result.Output.Select(o => o.BaseObject.ToString()!).Distinct().ToList();
        Assert.Contains("IclPs.ModelInfo", outputTypes);
        // File and folder objects (Save-IclModel/Export-IclResult/Export-IclPlot -PassThru) use PowerShell's own FileSystem views.
        Assert.All(outputTypes.Except(["System.IO.FileInfo", "System.IO.DirectoryInfo"]), t => Assert.True(views.Contains(t), $"no view in IclPs.format.ps1xml for {t}"));
    }

    [Fact]
    public void Module_folder_holds_manifest_format_help_and_natives()
    {
        foreach (var file in new[] { "IclPs.psd1", "IclPs.dll", "IclPs.Engine.dll", "TorchSharp.dll", "IclPs.format.ps1xml", "en-US/about_IclPs.help.txt" })
            Assert.True(File.Exists(Path.Combine(module.ModulePath, file)), $"{file} missing from {module.ModulePath}");
        if (OperatingSystem.IsLinux())
        {
            var native = Path.Combine(module.ModulePath, "runtimes", "linux-x64", "native");
            Assert.True(File.Exists(Path.Combine(native, "libLibTorchSharp.so")));
            Assert.True(File.Exists(Path.Combine(native, "libtorch_cpu.so")));
            Assert.False(File.Exists(Path.Combine(native, "libtorch_python.so")), "unused libtorch_python.so should be left out");
        }
        Assert.False(File.Exists(Path.Combine(module.ModulePath, "System.Management.Automation.dll")), "the module must use the host's PowerShell, not ship one");
    }

    [Fact]
    public void About_help_is_found_by_get_help()
    {
        var result = module.Run("Get-Help about_IclPs | ForEach-Object { $_.ToString() }");
        var text = string.Join("\n", result.Output.Select(o => o.ToString()));
        Assert.Contains("New-IclModel", text);
    }
}
