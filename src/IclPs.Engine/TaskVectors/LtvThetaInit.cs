namespace IclPs.Engine.TaskVectors;

/// <summary>How an LTV's theta [L, H] starts.</summary>
public enum LtvThetaInit
{
    /// <summary>theta = 0: training starts from the unmodified model, so every move of theta is one the task asked for.</summary>
    Zeros,
    /// <summary>theta ~ N(0, 1), drawn like the authors' code (<c>torch.randn(n_layers, n_heads)</c> after seeding) from a CPU generator seeded with the run's seed.</summary>
    Normal,
}
