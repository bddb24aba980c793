namespace IclPs.Engine.Sweeps;

/// <summary>What happened to a unit in one Invoke-IclSweep.</summary>
public enum SweepUnitStatus
{
    /// <summary>Ran now; its shard was written.</summary>
    Completed,
    /// <summary>Its shard existed already: not run again.</summary>
    Skipped,
    /// <summary>Another process was running it (its lock was held): left to that process.</summary>
    Busy,
}
