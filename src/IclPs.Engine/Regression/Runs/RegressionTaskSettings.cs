using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IclPs.Engine.Checkpoints;

namespace IclPs.Engine.Regression.Runs;

/// <summary>
/// The linear-regression tasks a model was trained on (docs/science.md §2): D, K, the pool size M (null: a fresh task per
/// sequence), the noise variance and the pool's seed. A training run stores them in its folder as regression-task.json so
/// evaluation can rebuild the same pool without being told again.
/// </summary>
public sealed record RegressionTaskSettings
{
    public const string FileName = "regression-task.json";
    public const string Format = "iclps-regression-task/1";

    public int Dimension { get; init; } = 8;
    public int Points { get; init; } = 16;
    /// <summary>M, or null for infinitely many tasks.</summary>
    public int? PoolSize { get; init; }
    public double NoiseVariance { get; init; } = 0.25;
    public long TaskSeed { get; init; }

    public void Validate()
    {
        RegressionChecks.AtLeast("Dimension", Dimension, 1);
        RegressionChecks.AtLeast("Points", Points, 1);
        if (PoolSize is { } m) RegressionChecks.AtLeast("TaskPoolSize", m, 1);
        RegressionChecks.NonNegative("NoiseVariance", NoiseVariance);
    }

    /// <summary>The family at <see cref="Dimension"/> (or <paramref name="dimension"/>, for a curriculum stage); the caller disposes it.</summary>
    public LinearTaskFamily CreateFamily(int? dimension = null, RegressionInputOptions? inputs = null) =>
        new(dimension ?? Dimension, NoiseVariance, PoolSize, TaskSeed, inputs);

    /// <summary>Writes <see cref="FileName"/> into <paramref name="folder"/> through a temporary file, so a reader never sees half of it.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var json = new JsonObject
        {
            ["format"] = Format,
            ["dimension"] = Dimension,
            ["points"] = Points,
            ["pool_size"] = PoolSize,
            ["noise_variance"] = NoiseVariance,
            ["task_seed"] = TaskSeed,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        // Staged under a temporary name, forced to disk and renamed into place; a failure removes the temporary copy.
        using var file = new StagedFile(Path.Combine(folder, FileName));
        file.WriteAllText(json);
        file.Commit();
    }

    /// <summary>The settings stored in <paramref name="folder"/>, or null when it has no <see cref="FileName"/>.</summary>
    public static RegressionTaskSettings? TryLoad(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object");
            if (o["format"]?.GetValue<string>() != Format) throw new JsonException($"format is not {Format}");
            var settings = new RegressionTaskSettings
            {
                Dimension = o["dimension"]?.GetValue<int>() ?? throw new JsonException("lacks 'dimension'"),
                Points = o["points"]?.GetValue<int>() ?? throw new JsonException("lacks 'points'"),
                PoolSize = o["pool_size"]?.GetValue<int>(),
                NoiseVariance = o["noise_variance"]?.GetValue<double>() ?? throw new JsonException("lacks 'noise_variance'"),
                TaskSeed = o["task_seed"]?.GetValue<long>() ?? throw new JsonException("lacks 'task_seed'"),
            };
            settings.Validate();
            return settings;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new IclPsException(RegressionRunErrorIds.InvalidTaskFile, IclErrorKind.InvalidData, $"Regression task file '{path}' is not valid: {e.Message}", path, e);
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"linear D={Dimension} K={Points} M={(PoolSize is { } m ? m.ToString(CultureInfo.InvariantCulture) : "fresh")} noise={NoiseVariance:R} taskSeed={TaskSeed}");
}
