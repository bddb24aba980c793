using IclPs.Engine.TextTasks;

namespace IclPs.Engine.Training;

/// <summary>One task family of a <see cref="MixtureTrainingSource"/>: its name, its sequences and its relative weight (above 0).</summary>
public sealed record MixtureComponent(string Name, SymbolicBatchSource Source, double Weight);
