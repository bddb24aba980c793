using System.Management.Automation;
using IclPs.Engine.Models;

namespace IclPs.Cmdlets;

/// <summary>Get-IclModelInfo: a model's architecture, parameter count, device, dtype, tokenizer and source.</summary>
[Cmdlet(VerbsCommon.Get, "IclModelInfo")]
[OutputType(typeof(ModelInfo))]
public sealed class GetIclModelInfoCommand : IclPsCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public IclModel[] Model { get; set; } = [];

    protected override void Process()
    {
        foreach (var model in Model) WriteObject(ModelInfo.From(model));
    }
}
