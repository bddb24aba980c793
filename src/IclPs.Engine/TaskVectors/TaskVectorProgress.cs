namespace IclPs.Engine.TaskVectors;

/// <summary>Progress of a task-vector build: <paramref name="Completed"/> of <paramref name="Total"/> units (forward passes or batches) of <paramref name="Stage"/>; Total is 0 when not known in advance.</summary>
public sealed record TaskVectorProgress(string Stage, int Completed, int Total);
