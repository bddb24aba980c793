namespace IclPs.Engine.Sweeps;

/// <summary>
/// A sweep's plan as its folder keeps it (sweep.json): the units in merge order and the script that runs each, so a
/// worker process, a Slurm array task or a later session can run any unit from the folder alone.
/// </summary>
public sealed record SweepManifest(IReadOnlyList<SweepUnit> Units, SweepScript Script);
