using System.Text.RegularExpressions;

namespace IclPs.Engine.Adapters;

/// <summary>
/// A LoRA adapter's hyperparameters, named as PEFT's LoraConfig names them. Projections are chosen as PEFT chooses
/// them: by a list of names (a module whose path is, or ends with ".", one of them: "q_proj", "c_attn", "mlp.c_proj"), or
/// by a regular expression the whole path must match (<see cref="TargetPattern"/>, PEFT's string form), or
/// "all-linear" (every projection except the output head).
/// </summary>
public sealed record LoraSettings
{
    public const string AllLinear = "all-linear";
    public const string CausalLanguageModel = "CAUSAL_LM";

    /// <summary>r: the rank of B A.</summary>
    public required int Rank { get; init; }

    /// <summary>lora_alpha: the delta is scaled by alpha / r.</summary>
    public required double Alpha { get; init; }

    /// <summary>target_modules as a list of names; empty when <see cref="TargetPattern"/> is used.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = [];

    /// <summary>target_modules as one string: a regular expression over whole module paths, or "all-linear".</summary>
    public string? TargetPattern { get; init; }

    /// <summary>use_rslora: scale by alpha / sqrt(r) instead of alpha / r.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>lora_dropout, recorded for PEFT; IclPs trains without dropout and inference never applies it.</summary>
    public double Dropout { get; init; }

    /// <summary>base_model_name_or_path: where the model the adapter was made for came from.</summary>
    public string? BaseModel { get; init; }

    /// <summary>task_type; IclPs makes causal language-model adapters.</summary>
    public string TaskType { get; init; } = CausalLanguageModel;

    /// <summary>alpha / r, or alpha / sqrt(r) with rsLoRA.</summary>
    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>Refuses a rank below 1, a non-finite or non-positive alpha, no targets, or a pattern that is not a regular expression.</summary>
    public void Validate()
    {
        if (Rank < 1)
            throw new IclPsException(LoraErrorIds.InvalidAdapterSettings, IclErrorKind.InvalidArgument, $"The LoRA rank r must be at least 1, got {Rank}.", Rank);
        if (!double.IsFinite(Alpha) || Alpha <= 0)
            throw new IclPsException(LoraErrorIds.InvalidAdapterSettings, IclErrorKind.InvalidArgument, $"lora_alpha must be a positive number, got {Alpha}.", Alpha);
        if (!double.IsFinite(Dropout) || Dropout < 0 || Dropout >= 1)
            throw new IclPsException(LoraErrorIds.InvalidAdapterSettings, IclErrorKind.InvalidArgument, $"lora_dropout must lie in [0, 1), got {Dropout}.", Dropout);
        if (TargetPattern is null && (TargetModules.Count == 0 || TargetModules.Any(string.IsNullOrWhiteSpace)))
            throw new IclPsException(LoraErrorIds.InvalidAdapterSettings, IclErrorKind.InvalidArgument,
                "target_modules must name at least one projection (e.g. q_proj, v_proj; c_attn for GPT-2), with no empty names.", TargetModules);
        if (TargetPattern is { } pattern && pattern != AllLinear)
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                throw new IclPsException(LoraErrorIds.InvalidAdapterSettings, IclErrorKind.InvalidArgument,
                    $"target_modules '{pattern}' is not a regular expression: {e.Message}", pattern, e);
            }
        }
    }

    /// <summary>Whether the projection at <paramref name="modulePath"/> is targeted (PEFT's rule: exact name, ".name" suffix, or full regex match).</summary>
    public bool Targets(string modulePath)
    {
        if (TargetPattern == AllLinear) return !modulePath.Equals("lm_head", StringComparison.Ordinal);
        if (TargetPattern is { } pattern) return Regex.IsMatch(modulePath, $"^(?:{pattern})$", RegexOptions.CultureInvariant);
        return TargetModules.Any(t => modulePath.Equals(t, StringComparison.Ordinal) || modulePath.EndsWith("." + t, StringComparison.Ordinal));
    }

    /// <summary>target_modules as PEFT writes it: the list, or the pattern.</summary>
    public string TargetsText => TargetPattern ?? string.Join(", ", TargetModules);
}
