using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IclPs.Engine.Checkpoints;

namespace IclPs.Engine.Regression.Runs;

/// <summary>
/// The regression tasks a model was trained on (docs/science.md §2): the function class (<see cref="Family"/>: linear, or
/// one of Garg et al.'s sparse-linear, decision-tree and relu-net), D, K, the pool size M (linear only; null: a fresh task
/// per sequence), the noise variance, the pool's seed and the class's own size (<see cref="Sparsity"/>, <see cref="Depth"/>,
/// <see cref="Hidden"/>). A training run stores them in its folder as regression-task.json so evaluation can rebuild the
/// same tasks without being told again; a file without a family is linear.
/// </summary>
public sealed record RegressionTaskSettings
{
    public const string FileName = "regression-task.json";
    public const string Format = "iclps-regression-task/1";

    public const string Linear = "linear", SparseLinear = "sparse-linear", DecisionTree = "decision-tree", ReluNet = "relu-net";

    /// <summary>The function classes, in the order the cmdlets list them.</summary>
    public static readonly IReadOnlyList<string> Families = [Linear, SparseLinear, DecisionTree, ReluNet];

    public string Family { get; init; } = Linear;
    public int Dimension { get; init; } = 8;
    public int Points { get; init; } = 16;
    /// <summary>M, or null for infinitely many tasks.</summary>
    public int? PoolSize { get; init; }
    public double NoiseVariance { get; init; } = 0.25;
    public long TaskSeed { get; init; }
    /// <summary>sparse-linear: the nonzero coordinates s of each task (Garg et al.: 3).</summary>
    public int Sparsity { get; init; } = 3;
    /// <summary>decision-tree: the depth of each tree (Garg et al.: 4).</summary>
    public int Depth { get; init; } = 4;
    /// <summary>relu-net: the hidden units H of each network (Garg et al.: 100).</summary>
    public int Hidden { get; init; } = 100;

    public void Validate()
    {
        if (!Families.Contains(Family))
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"Task family '{Family}' is not one of {string.Join(", ", Families)}.", Family);
        if (Family != Linear && PoolSize is { } pool)
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"A task pool (M = {pool}) is defined for the linear family only; {Family} draws a fresh task per sequence.", pool);
        RegressionChecks.AtLeast("Sparsity", Sparsity, 1);
        RegressionChecks.AtLeast("Depth", Depth, 1);
        RegressionChecks.AtLeast("Hidden", Hidden, 1);
        if (Family == SparseLinear && Sparsity > Dimension)
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"Sparsity must be at most the dimension {Dimension}; got {Sparsity}.", Sparsity);
        if (Depth > 20)
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"Depth must be at most 20 (2^(depth+1) nodes per sequence); got {Depth}.", Depth);
        RegressionChecks.AtLeast("Dimension", Dimension, 1);
        RegressionChecks.AtLeast("Points", Points, 1);
        if (PoolSize is { } m) RegressionChecks.AtLeast("TaskPoolSize", m, 1);
        RegressionChecks.NonNegative("NoiseVariance", NoiseVariance);
    }

    /// <summary>
    /// The linear family at <see cref="Dimension"/> (or <paramref name="dimension"/>, for a curriculum stage); the caller
    /// disposes it. Settings of another class are refused: what needs this (dMMSE, numeric prompts, task vectors) is linear.
    /// </summary>
    public LinearTaskFamily CreateFamily(int? dimension = null, RegressionInputOptions? inputs = null)
    {
        if (Family != Linear)
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"This needs linear tasks; the model's tasks are {this}.", Family);
        return new(dimension ?? Dimension, NoiseVariance, PoolSize, TaskSeed, inputs);
    }

    /// <summary>
    /// The family of any class at <see cref="Dimension"/> (or <paramref name="dimension"/>, for a curriculum stage, where the
    /// sparsity is capped at the stage's D). Dispose it when it is <see cref="IDisposable"/> (the linear family's pool).
    /// </summary>
    public IRegressionTaskFamily CreateTaskFamily(int? dimension = null)
    {
        var d = dimension ?? Dimension;
        return Family switch
        {
            SparseLinear => new SparseLinearTaskFamily(d, Math.Min(Sparsity, d), NoiseVariance),
            DecisionTree => new DecisionTreeTaskFamily(d, Depth, NoiseVariance),
            ReluNet => new ReluNetTaskFamily(d, Hidden, NoiseVariance),
            _ => CreateFamily(d),
        };
    }

    /// <summary>Writes <see cref="FileName"/> into <paramref name="folder"/> through a temporary file, so a reader never sees half of it.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var json = new JsonObject
        {
            ["format"] = Format,
            ["family"] = Family,
            ["dimension"] = Dimension,
            ["points"] = Points,
            ["pool_size"] = PoolSize,
            ["noise_variance"] = NoiseVariance,
            ["task_seed"] = TaskSeed,
            ["sparsity"] = Sparsity,
            ["depth"] = Depth,
            ["hidden"] = Hidden,
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
            var defaults = new RegressionTaskSettings();
            var settings = new RegressionTaskSettings
            {
                Family = o["family"]?.GetValue<string>() ?? Linear,
                Sparsity = o["sparsity"]?.GetValue<int>() ?? defaults.Sparsity,
                Depth = o["depth"]?.GetValue<int>() ?? defaults.Depth,
                Hidden = o["hidden"]?.GetValue<int>() ?? defaults.Hidden,
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

    public override string ToString() => Family switch
    {
        SparseLinear => string.Create(CultureInfo.InvariantCulture, $"sparse-linear D={Dimension} K={Points} s={Sparsity} noise={NoiseVariance:R}"),
        DecisionTree => string.Create(CultureInfo.InvariantCulture, $"decision-tree D={Dimension} K={Points} depth={Depth} noise={NoiseVariance:R}"),
        ReluNet => string.Create(CultureInfo.InvariantCulture, $"relu-net D={Dimension} K={Points} hidden={Hidden} noise={NoiseVariance:R}"),
        _ => string.Create(CultureInfo.InvariantCulture,
            $"linear D={Dimension} K={Points} M={(PoolSize is { } m ? m.ToString(CultureInfo.InvariantCulture) : "fresh")} noise={NoiseVariance:R} taskSeed={TaskSeed}"),
    };
}
