using System.Management.Automation;
using IclPs.Engine.Regression.Runs;

namespace IclPs.Cmdlets;

/// <summary>
/// -TaskFamily, -Dimension, -Points, -TaskPoolSize, -NoiseVariance, -TaskSeed, -Sparsity, -Depth and -Hidden as the
/// regression cmdlets resolve them: a bound parameter wins, then the model's recorded training tasks, then the defaults
/// (linear, D = 8, K = 16, fresh tasks, noise 0.25 — 0 for Garg's other classes, which are noiseless —, seed 0, s = 3,
/// depth 4, H = 100). -TaskPoolSize 0 means a fresh task per sequence. Cmdlets without the family parameters keep the
/// recorded ones.
/// </summary>
internal static class RegressionTaskParameters
{
    /// <summary>-TaskFamily's values (the ValidateSet lists the same names) and the engine's names for them.</summary>
    public static readonly IReadOnlyDictionary<string, string> FamilyNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Linear"] = RegressionTaskSettings.Linear,
        ["SparseLinear"] = RegressionTaskSettings.SparseLinear,
        ["DecisionTree"] = RegressionTaskSettings.DecisionTree,
        ["ReluNet"] = RegressionTaskSettings.ReluNet,
    };

    public static RegressionTaskSettings Resolve(PSCmdlet cmdlet, RegressionTaskSettings? recorded, int dimension, int points, int poolSize, double noiseVariance, long taskSeed)
    {
        var bound = cmdlet.MyInvocation.BoundParameters;
        var basis = recorded ?? new RegressionTaskSettings();
        var family = bound.TryGetValue("TaskFamily", out var named) ? FamilyNames[(string)named] : basis.Family;
        var defaultNoise = recorded is null && family != RegressionTaskSettings.Linear ? 0.0 : basis.NoiseVariance;
        var settings = new RegressionTaskSettings
        {
            Family = family,
            Dimension = bound.ContainsKey("Dimension") ? dimension : basis.Dimension,
            Points = bound.ContainsKey("Points") ? points : basis.Points,
            PoolSize = bound.ContainsKey("TaskPoolSize") ? (poolSize == 0 ? null : poolSize) : basis.PoolSize,
            NoiseVariance = bound.ContainsKey("NoiseVariance") ? noiseVariance : defaultNoise,
            TaskSeed = bound.ContainsKey("TaskSeed") ? taskSeed : basis.TaskSeed,
            Sparsity = bound.TryGetValue("Sparsity", out var s) ? (int)s : basis.Sparsity,
            Depth = bound.TryGetValue("Depth", out var depth) ? (int)depth : basis.Depth,
            Hidden = bound.TryGetValue("Hidden", out var h) ? (int)h : basis.Hidden,
        };
        settings.Validate();
        return settings;
    }
}
