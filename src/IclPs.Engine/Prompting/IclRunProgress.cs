namespace IclPs.Engine.Prompting;

/// <summary>Reported after each batch; <see cref="Total"/> is null when the queries are a stream of unknown length.</summary>
public sealed record IclRunProgress(int Completed, int? Total);
