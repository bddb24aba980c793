using System.Management.Automation;
using System.Management.Automation.Language;

namespace IclPs.Module.Tests;

/// <summary>Scripts shipped for pwsh users cannot run here (no pwsh, no Pester); they must at least parse, and the demo must run.</summary>
[Collection(ModuleCollection.Name)]
public sealed class ShippedScriptTests(ModuleFixture module)
{
    public static TheoryData<string> ShippedScripts()
    {
        var root = ModuleFixture.SourceTree;
        var scripts = new TheoryData<string>("build.ps1", "tools/Demo.ps1", "tools/Train-DefaultModels.ps1", "tests/pester/IclPs.Tests.ps1", "module/IclPs.psd1");
        // Every example, so a new one is checked without touching this list.
        foreach (var path in Directory.EnumerateFiles(Path.Combine(root, "examples"), "*.ps1").Order(StringComparer.Ordinal))
            scripts.Add(Path.GetRelativePath(root, path).Replace('\\', '/'));
        return scripts;
    }

    [Theory]
    [MemberData(nameof(ShippedScripts))]
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

    [Fact]
    public void Ltv_regression_reproduction_runs_small_and_writes_its_table()
    {
        var dir = Directory.CreateTempSubdirectory("iclps-ltv-regression-").FullName;
        try
        {
            using var runspace = module.OpenRunspace();
            ModuleFixture.Run(runspace, $"""
                & '{Path.Combine(module.RepositoryRoot, "examples", "ltv-regression.ps1")}' -ResultDir '{dir}' -Samples 16 -MaxPoints 20 -LongerPoints 20 `
                    -TrainPrompts 32 -ValidationPrompts 16 -MaxEpochs 2 -Patience 1 -FunctionVectorPrompts 32 -EffectPrompts 16
                """).Succeeded();
            var lines = File.ReadAllLines(Path.Combine(dir, "ltv-regression.csv"));
            Assert.Equal("Method,Shift,PromptLength,Error,N", lines[0]);
            var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
            // K = 2..20 step 2 for three shifts with Icl, Ridge, FV, Ltv, LtvLonger (trained at 20 > the model's 16); an orthogonal
            // query stops at D = 8, without LtvLonger.
            Assert.Equal(3 * 10 * 5 + 4 * 4, rows.Count);
            Assert.All(rows, r => Assert.True(double.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture) is > 0 and < 100, string.Join(",", r)));
            Assert.DoesNotContain(rows, r => r[1] == "OrthogonalQuery" && (int.Parse(r[2]) > 8 || r[0] == "LtvLonger"));
            foreach (var shift in new[] { "None", "SkewedCovariance", "NoisyTargets", "OrthogonalQuery" })
                Assert.True(new FileInfo(Path.Combine(dir, $"ltv-regression-{shift}.png")).Length > 1000, shift);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Text_task_vector_reproduction_runs_on_one_map_and_writes_its_table()
    {
        var dir = Directory.CreateTempSubdirectory("iclps-task-vectors-text-").FullName;
        try
        {
            using var runspace = module.OpenRunspace();
            ModuleFixture.Run(runspace, $"& '{Path.Combine(module.RepositoryRoot, "examples", "task-vectors-text.ps1")}' -ResultDir '{dir}' -Tasks 1").Succeeded();
            var lines = File.ReadAllLines(Path.Combine(dir, "task-vectors-text.csv"));
            Assert.Equal("Method,Setting,Task,Accuracy,N", lines[0]);
            var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
            Assert.Equal(2 * 6, rows.Count);
            Assert.All(rows, r => Assert.Equal("4", r[4]));
            // The shipped model learns held-out maps in context: 8 clean shots beat the empty prompt.
            double Accuracy(string method) => double.Parse(rows.First(r => r[0] == method && r[1] == "ZeroShot")[3], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Accuracy("Icl") > Accuracy("Baseline"));
            foreach (var png in new[] { "task-vectors-text.png", "task-vectors-ltv-theta.png", "task-vectors-head-effects.png" })
                Assert.True(new FileInfo(Path.Combine(dir, png)).Length > 1000, png);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
