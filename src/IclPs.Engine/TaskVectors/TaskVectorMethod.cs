namespace IclPs.Engine.TaskVectors;

/// <summary>The three task representations of docs/science.md §5.</summary>
public enum TaskVectorMethod
{
    /// <summary>Learnable task vector (Saglam et al. 2025): one trained weight per head, added to every block's output.</summary>
    Ltv,
    /// <summary>Function vector (Todd et al. 2024): summed W_O-projected mean outputs of the heads with the largest causal effect, added to one block.</summary>
    FunctionVector,
    /// <summary>Task vector (Hendel et al. 2023): the mean last-token block output of one layer, replacing that layer's hidden state.</summary>
    TaskVector,
}
