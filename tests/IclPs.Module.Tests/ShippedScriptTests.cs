using System.Management.Automation;
using System.Management.Automation.Language;

namespace IclPs.Module.Tests;

/// <summary>Scripts shipped for pwsh users cannot run here (no pwsh, no Pester); they must at least parse, and the demo must run.</summary>
[Collection(ModuleCollection.Name)]
public sealed class ShippedScriptTests(ModuleFixture module)
{
    [Theory]
    [InlineData("build.ps1")]
    [InlineData("tools/Demo.ps1")]
    [InlineData("tools/Train-DefaultModels.ps1")]
    [InlineData("examples/quickstart.ps1")]
    [InlineData("tests/pester/IclPs.Tests.ps1")]
    [InlineData("module/IclPs.psd1")]
    public void Parses_without_errors(string relativePath)
    {
        Parser.ParseFile(Path.Combine(module.RepositoryRoot, relativePath), out _, out var errors);
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}")));
    }

    [Fact]
    public void Demo_runs_with_core_cmdlets_only()
    {
        using var runspace = module.OpenRunspace();
        var result = ModuleFixture.Run(runspace, $"& '{Path.Combine(module.RepositoryRoot, "tools", "Demo.ps1")}' -Seed 5").Succeeded();
        var lines = result.Output.Select(o => o.BaseObject).OfType<string>().ToList();
        Assert.Contains("seed 5 vs seed 5 identical: True", lines);
        Assert.Contains("seed 5 vs seed 6 identical: False", lines);
        Assert.Equal(3, result.Output.Count(o => o.TypeNames[0] == "IclPs.ModelInfo"));
        var problem = Assert.Single(result.Output, o => o.Properties["Id"] is not null);
        Assert.Equal("ModelConfigNotFound,IclPs.Cmdlets.NewIclModelCommand", problem.Properties["Id"].Value);
    }
}
