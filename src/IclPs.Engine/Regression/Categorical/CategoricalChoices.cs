namespace IclPs.Engine.Regression.Categorical;

/// <summary>The two models of docs/science.md §4.</summary>
public enum CategoricalModelKind
{
    /// <summary>The functional-GD construction: only alpha (L x d'), the kernel parameter beta and W_e are learned.</summary>
    Gd,
    /// <summary>The same blocks with every projection free (two self-attention heads and one cross-attention head per layer) and W_e.</summary>
    Transformer,
}

/// <summary>The kernel head 1 scores context points with (the authors' three).</summary>
public enum CategoricalKernel
{
    /// <summary>softmax_j(beta x_i.x_j / sqrt(width)) over the N context tokens (no 1/N).</summary>
    Softmax,
    /// <summary>beta x_i.x_j / N.</summary>
    Linear,
    /// <summary>exp(-||x_i - x_j||^2 / (2 beta^2)) / N.</summary>
    Rbf,
}

/// <summary>How the GD model's second self-attention head clears the E slot before the cross-attention writes the new expectation.</summary>
public enum CategoricalEraser
{
    /// <summary>E_i is replaced: the head writes exactly -E_i (the reference).</summary>
    Exact,
    /// <summary>
    /// The authors' head: softmax over the context of lambda^2 x_i.x_j / sqrt(width) with lambda = 1e5, a near-hard argmax of
    /// x_i.x_j, writing -E_j*. j* is often not i, so from layer 2 on it can subtract another token's E.
    /// </summary>
    Authors,
    /// <summary>The trained transformer's second head: free projections, whatever training makes of it.</summary>
    Learned,
}

/// <summary>Parses the words cmdlets accept into the enums, failing with an error id that names the value.</summary>
public static class CategoricalChoices
{
    public static CategoricalKernel Kernel(string name) => Parse<CategoricalKernel>(name, CategoricalErrorIds.UnknownKernel, "kernel");

    public static CategoricalEraser Eraser(string name) => Parse<CategoricalEraser>(name, CategoricalErrorIds.UnknownEraser, "eraser");

    public static CategoricalModelKind Kind(string name) => Parse<CategoricalModelKind>(name, CategoricalErrorIds.UnknownModelKind, "model kind");

    private static T Parse<T>(string name, string errorId, string what) where T : struct, Enum
    {
        if (!string.IsNullOrWhiteSpace(name) && !int.TryParse(name, out _) && Enum.TryParse<T>(name.Trim(), ignoreCase: true, out var value)) return value;
        throw new IclPsException(errorId, IclErrorKind.InvalidArgument,
            $"Unknown {what} '{name}'; expected one of {string.Join(", ", Enum.GetNames<T>())}.", name);
    }
}
