using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Storage;
using IclPs.Engine.Training;

namespace IclPs.Engine.Adapters;

/// <summary>
/// An adapter-tuning checkpoint folder <c>step-NNNNNNNN</c>: adapter_config.json + adapter_model.safetensors (a PEFT
/// adapter folder that <see cref="PeftAdapterFolder.Read"/> loads on its own), optimizer.safetensors (AdamW moments of A
/// and B) and trainer.json (step, AdamW step count, the fields that define the run). The batch of update t is drawn from
/// (Seed, t) alone, so a resumed run takes the same batches as an uninterrupted one. Written through
/// <see cref="StagedFileSet"/> and renamed into place complete; listed and pruned like training checkpoints.
/// </summary>
internal static class LoraCheckpoint
{
    public const string Format = "iclps-adapter-checkpoint/1";

    public static string Save(string folder, int step, LoraAdapter adapter, TransformerModel model, AdamWOptimizer optimizer,
        IReadOnlyList<KeyValuePair<string, string>> definingFields)
    {
        var root = Path.GetFullPath(folder);
        Directory.CreateDirectory(root);
        var final = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"step-{step:D8}"));
        if (Directory.Exists(final)) return final;
        using var set = StagedFileSet.Begin(final);
        PeftAdapterFolder.WriteInto(set, adapter, model, CancellationToken.None);
        SafetensorsWriter.Write(set.PathOf(TrainingCheckpoint.OptimizerFileName), optimizer.StateTensors());
        var state = new JsonObject
        {
            ["format"] = Format,
            ["step"] = step,
            ["optimizer_step"] = optimizer.StepCount,
            ["data"] = "update t draws its examples with SplitMix64(seed, t)",
            ["options"] = new JsonObject(definingFields.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)f.Value))),
        };
        using (var stateFile = new StagedFile(set.PathOf(TrainingCheckpoint.StateFileName)))
        {
            stateFile.WriteAllText(state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            stateFile.Commit();
        }
        set.Commit(CancellationToken.None);
        return final;
    }

    /// <summary>
    /// Checks that the checkpoint at <paramref name="path"/> was written by the same run, naming the first field that
    /// differs, then loads A, B and the optimizer state into <paramref name="adapter"/> and <paramref name="optimizer"/>.
    /// Returns the completed update count.
    /// </summary>
    public static int Load(string path, LoraAdapter adapter, AdamWOptimizer optimizer, IReadOnlyList<KeyValuePair<string, string>> definingFields)
    {
        var state = TrainingCheckpoint.ReadState(path, Format, definingFields);
        using (var weights = SafetensorsReader.Open(Path.Combine(path, PeftAdapterFolder.WeightsFileName)))
        {
            foreach (var layer in adapter.Layers)
            {
                foreach (var (matrix, tensor) in new[] { ('A', layer.A), ('B', layer.B) })
                {
                    var key = PeftAdapterFolder.TensorKey(layer.ModulePath, matrix);
                    weights.ReadInto(weights.GetEntry(key), tensor);
                    FiniteCheck.Require(tensor, key, weights.Path);
                }
            }
        }
        return TrainingCheckpoint.LoadOptimizer(path, state, optimizer);
    }
}
