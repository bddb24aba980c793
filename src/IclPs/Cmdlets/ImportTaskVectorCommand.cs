using System.Management.Automation;
using IclPs.Engine.Models;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.TaskVectors;

namespace IclPs.Cmdlets;

/// <summary>Reads a task vector saved by Export-TaskVector, checking both files and, optionally, that it fits a model.</summary>
/// <remarks>
/// <para>
/// Reads STEM.json and STEM.safetensors and checks them: the format, the SHA-256 of the tensor file recorded in the JSON,
/// every tensor's shape and that its values are finite. A missing file is a TaskVectorFileNotFound error, a damaged or
/// mismatched pair an InvalidTaskVectorFile error. With -Model or -RegressionModel it also checks that the vector fits that
/// model, and a TaskVectorShapeMismatch error names the first field that differs (layers, heads, d_model).
/// </para>
/// <para>
/// Writes the TaskVector, ready for Invoke-IclPrompt -TaskVector and Measure-HiddenSimilarity -TaskVector. Files can be
/// piped in (Get-ChildItem *.json | Import-TaskVector).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $stem = Join-Path ([IO.Path]::GetTempPath()) "antonym-$([guid]::NewGuid())"
/// New-TaskVector -Model $model -Dataset $data -Method TaskVector -Shots 3 -Prompts 4 -ValidationPrompts 4 | Export-TaskVector -Path $stem
/// $vector = Import-TaskVector -Path "$stem.json" -Model $model
/// Invoke-IclPrompt -Model $model -Dataset $data -Shots 0 -First 3 -TaskVector $vector
/// </code>
/// <para>Saves a task vector, reads it back checked against the model it is meant for, and injects it into zero-shot prompts.</para>
/// </example>
/// <example>
/// <code>
/// $linear = Get-IclModel linear-d8 -Load
/// $folder = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
/// $linear | New-TaskVector -Method TaskVector -Prompts 4 -ValidationPrompts 8 | Export-TaskVector -Path (Join-Path $folder 'regression')
/// Get-ChildItem $folder -Filter *.json | Import-TaskVector -RegressionModel $linear
/// </code>
/// <para>Imports every task vector in a folder by piping its JSON files in, each checked against the regression model.</para>
/// </example>
[Cmdlet(VerbsData.Import, "TaskVector", HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#import-taskvector")]
[OutputType(typeof(TaskVector))]
public sealed class ImportTaskVectorCommand : IclPsCmdlet
{
    /// <summary>
    /// The task vector to read: the .json file, the .safetensors file or their common stem. Binds from piped strings and from
    /// the FullName of piped files; relative paths are resolved from the current PowerShell location.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>
    /// A text model (IclModel) the vector must fit: same layers, heads and d_model, else a TaskVectorShapeMismatch error.
    /// Default: no check.
    /// </summary>
    [Parameter]
    public IclModel? Model { get; set; }

    /// <summary>
    /// A regression model (IclRegressionModel) the vector must fit: same layers, heads and d_model, else a
    /// TaskVectorShapeMismatch error. Default: no check.
    /// </summary>
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
