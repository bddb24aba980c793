namespace IclPs.Engine.Sweeps;

/// <summary>Stable ErrorIds of sweeps (<see cref="SweepPlanner"/>, <see cref="SweepFolder"/>, <see cref="SweepMerger"/>).</summary>
public static class SweepErrorIds
{
    /// <summary>No axes, or an axis without values.</summary>
    public const string AxisEmpty = "SweepAxisEmpty";
    /// <summary>An axis name that cannot be a script parameter (letters, digits and '_', not starting with a digit).</summary>
    public const string AxisNameInvalid = "SweepAxisNameInvalid";
    /// <summary>Two axes whose names differ only in case (PowerShell parameters are case-insensitive).</summary>
    public const string AxisDuplicate = "SweepAxisDuplicate";
    /// <summary>An axis value that is not a string, a Boolean, an integer or a finite number.</summary>
    public const string AxisValueType = "SweepAxisValueType";
    /// <summary>The same value twice on one axis: two units with one id.</summary>
    public const string UnitDuplicate = "SweepUnitDuplicate";
    /// <summary>More units than <see cref="SweepPlanner.MaxUnits"/>.</summary>
    public const string TooManyUnits = "SweepTooManyUnits";
    /// <summary>The sweep folder has no sweep.json (Invoke-IclSweep with units writes it).</summary>
    public const string ManifestNotFound = "SweepManifestNotFound";
    /// <summary>sweep.json cannot be read as a sweep plan.</summary>
    public const string ManifestInvalid = "SweepManifestInvalid";
    /// <summary>A unit id or task index that the plan does not have.</summary>
    public const string UnitNotFound = "SweepUnitNotFound";
    /// <summary>A unit of the plan has no shard yet (not run, failed, or still running).</summary>
    public const string ShardMissing = "SweepShardMissing";
    /// <summary>A shard's unit.json or rows.csv cannot be read, or does not belong to its unit.</summary>
    public const string ShardInvalid = "SweepShardInvalid";
    /// <summary>A shard has a column the merged file's header (the first shard's columns) lacks.</summary>
    public const string ShardColumnMismatch = "SweepShardColumnMismatch";
    /// <summary>The unit's script failed (threw, or wrote an error).</summary>
    public const string UnitFailed = "SweepUnitFailed";
}
