using System.Management.Automation;
using IclPs.Engine.Models;

namespace IclPs;

/// <summary>
/// ValidateSet over <see cref="ModelConfig.Presets"/>: the engine owns the list, so a new preset needs no cmdlet change.
/// (PowerShell Standard 5.1 has no IValidateSetValuesGenerator, hence a validation attribute.)
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidatePresetAttribute : ValidateEnumeratedArgumentsAttribute
{
    protected override void ValidateElement(object element)
    {
        var name = element is PSObject ps ? ps.BaseObject : element;
        if (name is not string s || !ModelConfig.Presets.ContainsKey(s))
            throw new ValidationMetadataException($"'{name}' is not a model preset. Presets: {string.Join(", ", ModelConfig.Presets.Keys)}.");
    }
}
