namespace IclPs.Engine.TaskVectors;

/// <summary>Which head activations a_{l,h} an LTV weights (docs/science.md §5).</summary>
public enum HeadActivationSource
{
    /// <summary>a_{l,h} is the mean hook_z at the prediction position over ICL prompts, so each layer's vector is fixed (the formula).</summary>
    Mean,
    /// <summary>
    /// a_{l,h} is the prompt's own hook_z at the prediction position in the same forward pass, so v_l = sum_h theta_{l,h} z_{l,h} W_O[h]
    /// (the authors' regression setting: per-prompt activations at the last x-token; a regression task differs per prompt, so its mean activation carries no task).
    /// </summary>
    Live,
}
