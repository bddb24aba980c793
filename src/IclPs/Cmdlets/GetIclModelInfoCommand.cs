using System.Management.Automation;
using IclPs.Engine.Models;

namespace IclPs.Cmdlets;

/// <summary>Shows a text model's architecture, parameter count, device, dtype, tokenizer and source.</summary>
/// <remarks>
/// <para>
/// Writes one ModelInfo object per model: Name, Family (Gpt2 or Llama), Layers, DModel, Heads, KvHeads, DHead, MlpHidden,
/// VocabSize, ContextLength, Parameters, Device, DType, Tokenizer and Source (the checkpoint folder, or the preset and seed
/// that made it, so the model can be made again). The default view is a table; Format-List shows every field.
/// </para>
/// <para>
/// It takes IclModel objects (from New-IclModel, Import-IclModel, Get-IclModel -Load on a text model, Start-IclTraining
/// -TextFamily -PassThru). Regression models (IclRegressionModel) are not IclModel objects; their Config property holds
/// the same facts.
/// </para>
/// </remarks>
/// <example>
/// <code>New-IclModel -Preset gpt2-tiny | Get-IclModelInfo</code>
/// <para>Shows the shape of the tiny GPT-2 preset: 2 layers, d_model 64, 4 heads, about 149 thousand parameters.</para>
/// </example>
/// <example>
/// <code>Get-IclModel text-icl-tiny -Load | Get-IclModelInfo | Format-List</code>
/// <para>Shows every field of the shipped text model, including its tokenizer and the folder it was loaded from.</para>
/// </example>
/// <example>
/// <code>'gpt2-tiny', 'llama-tiny' | ForEach-Object { New-IclModel -Preset $_ } | Get-IclModelInfo</code>
/// <para>Compares two presets side by side: one row per model.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "IclModelInfo", HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#get-iclmodelinfo")]
[OutputType(typeof(ModelInfo))]
public sealed class GetIclModelInfoCommand : IclPsCmdlet
{
    /// <summary>
    /// The text models to describe (IclModel objects, usually piped in from New-IclModel, Import-IclModel or Get-IclModel
    /// -Load).
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public IclModel[] Model { get; set; } = [];

    protected override void Process()
    {
        foreach (var model in Model) WriteObject(ModelInfo.From(model));
    }
}
