namespace IclPs.Engine.TaskVectors;

/// <summary>A function vector and the indirect-effect table it was chosen from (every head, by layer then head).</summary>
public sealed record FunctionVectorResult(TaskVector Vector, IReadOnlyList<HeadEffect> Effects);
