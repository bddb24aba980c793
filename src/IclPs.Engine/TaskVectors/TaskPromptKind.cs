namespace IclPs.Engine.TaskVectors;

/// <summary>The prompt settings task-vector methods build and are evaluated on (docs/science.md §5).</summary>
public enum TaskPromptKind
{
    /// <summary>k demonstrations with their true outputs, then the query.</summary>
    Clean,
    /// <summary>The query alone.</summary>
    ZeroShot,
    /// <summary>k demonstrations whose outputs are permuted among themselves, then the query (Todd's corrupted prompts).</summary>
    ShuffledLabels,
    /// <summary>k demonstrations, then a dummy query drawn from the demonstration pool (Hendel's task-vector prompts).</summary>
    DummyQuery,
}
