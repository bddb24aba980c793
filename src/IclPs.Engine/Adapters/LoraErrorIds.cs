namespace IclPs.Engine.Adapters;

/// <summary>Stable ErrorIds of LoRA adapters, so callers and tests can tell failures apart.</summary>
public static class LoraErrorIds
{
    /// <summary>Rank, alpha, dropout or targets out of range.</summary>
    public const string InvalidAdapterSettings = "InvalidAdapterSettings";
    /// <summary>The settings target no projection of the model.</summary>
    public const string NoTargetedModules = "AdapterTargetsNoModule";
    /// <summary>The model family takes no adapter (the regression family reads vectors).</summary>
    public const string UnsupportedFamily = "AdapterUnsupportedFamily";
    /// <summary>The model already carries an adapter kept separate.</summary>
    public const string AdapterAlreadyAttached = "AdapterAlreadyAttached";
    /// <summary>An operation that needs an attached adapter found none.</summary>
    public const string NoAdapter = "ModelHasNoAdapter";
    /// <summary>A model whose adapter is kept separate cannot be saved or trained as a whole: merge it first.</summary>
    public const string AdapterNotMerged = "AdapterNotMerged";

    // PEFT adapter folders.
    public const string AdapterNotFound = "AdapterNotFound";
    /// <summary>adapter_config.json missing from the folder.</summary>
    public const string AdapterConfigNotFound = "AdapterConfigNotFound";
    /// <summary>adapter_model.safetensors missing (adapter_model.bin is not read).</summary>
    public const string AdapterWeightsNotFound = "AdapterWeightsNotFound";
    /// <summary>adapter_config.json is not JSON, or a field has the wrong type or value.</summary>
    public const string InvalidAdapterConfig = "InvalidAdapterConfig";
    /// <summary>A PEFT option IclPs does not implement (another peft_type, bias, DoRA, rank or alpha patterns, modules_to_save, layers_to_transform).</summary>
    public const string UnsupportedAdapter = "UnsupportedAdapter";
    /// <summary>A tensor name that is not base_model.model.&lt;module&gt;.lora_A.weight or .lora_B.weight.</summary>
    public const string UnexpectedAdapterTensor = "UnexpectedAdapterTensor";
    /// <summary>A tensor for a module the model does not have, or that is not a linear projection.</summary>
    public const string AdapterModuleNotFound = "AdapterModuleNotFound";
    /// <summary>A tensor for a module the config's target_modules does not target.</summary>
    public const string AdapterModuleNotTargeted = "AdapterModuleNotTargeted";
    /// <summary>lora_A without lora_B or the reverse.</summary>
    public const string MissingAdapterTensor = "MissingAdapterTensor";
    /// <summary>lora_A is not [r, in] or lora_B not [out, r] for the projection and the config's r.</summary>
    public const string AdapterShapeMismatch = "AdapterShapeMismatch";
    /// <summary>An adapter tensor holds NaN or infinity, or is not floating point.</summary>
    public const string InvalidAdapterTensor = "InvalidAdapterTensor";
}
