using System.Management.Automation;
using IclPs.Engine.Regression.Runs;

namespace IclPs.Cmdlets;

/// <summary>
/// -Dimension, -Points, -TaskPoolSize, -NoiseVariance and -TaskSeed as the regression cmdlets resolve them: a bound
/// parameter wins, then the model's recorded training tasks, then the defaults (D = 8, K = 16, fresh tasks, 0.25, 0).
/// -TaskPoolSize 0 means a fresh task per sequence.
/// </summary>
internal static class RegressionTaskParameters
{
    public static RegressionTaskSettings Resolve(PSCmdlet cmdlet, RegressionTaskSettings? recorded, int dimension, int points, int poolSize, double noiseVariance, long taskSeed)
    {
        var bound = cmdlet.MyInvocation.BoundParameters;
        var basis = recorded ?? new RegressionTaskSettings();
        var settings = new RegressionTaskSettings
        {
            Dimension = bound.ContainsKey("Dimension") ? dimension : basis.Dimension,
            Points = bound.ContainsKey("Points") ? points : basis.Points,
            PoolSize = bound.ContainsKey("TaskPoolSize") ? (poolSize == 0 ? null : poolSize) : basis.PoolSize,
            NoiseVariance = bound.ContainsKey("NoiseVariance") ? noiseVariance : basis.NoiseVariance,
            TaskSeed = bound.ContainsKey("TaskSeed") ? taskSeed : basis.TaskSeed,
        };
        settings.Validate();
        return settings;
    }
}
