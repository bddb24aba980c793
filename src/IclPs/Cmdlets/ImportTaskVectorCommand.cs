using System.Management.Automation;
using IclPs.Engine.Models;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.TaskVectors;

namespace IclPs.Cmdlets;

/// <summary>
/// Import-TaskVector: reads a task vector written by Export-TaskVector, checking both files (format, SHA-256 of the tensors,
/// shapes, finite values). With -Model or -RegressionModel it also checks the vector fits that model and names the first
/// mismatching field (layers, heads, d_model) when it does not.
/// </summary>
[Cmdlet(VerbsData.Import, "TaskVector")]
[OutputType(typeof(TaskVector))]
public sealed class ImportTaskVectorCommand : IclPsCmdlet
{
    /// <summary>The JSON file, the safetensors file or their common stem; binds FileInfo objects by FullName.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public IclModel? Model { get; set; }

    [Parameter]
    public IclRegressionModel? RegressionModel { get; set; }

    protected override void Process()
    {
        var vector = TaskVectorFile.Import(ResolveFilePath(Path));
        var config = Model?.Config ?? RegressionModel?.Config;
        if (config is not null) vector.Shape.CheckFits(config, $"The task vector in '{Path}'");
        WriteVerbose($"Imported {vector} ({vector.Shape}).");
        WriteObject(vector);
    }
}
