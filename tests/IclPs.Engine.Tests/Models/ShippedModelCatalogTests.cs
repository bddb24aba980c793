using IclPs.Engine.TextTasks;
using System.Text.Json.Nodes;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Models.Shipped;
using IclPs.Engine.Native;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.Tests.Data;

namespace IclPs.Engine.Tests.Models;

public sealed class ShippedModelCatalogTests : IDisposable
{
    private readonly TempFolder _root = new();

    public ShippedModelCatalogTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose() => _root.Dispose();

    private static JsonObject Manifest(string name, string kind) => new()
    {
        ["name"] = name, ["kind"] = kind, ["description"] = $"{name} for tests", ["command"] = "dotnet test", ["seed"] = 3,
        ["steps"] = 10, ["batchSize"] = 4, ["trainingSeconds"] = 1.5,
        ["metrics"] = new JsonObject { ["freshError"] = 0.25, ["freshDeltaRidge"] = 0.125, ["pretrainError"] = 0.5, ["extra"] = 2 },
        ["commit"] = "abc1234",
    };

    private string Folder(string name, JsonObject? manifest)
    {
        var folder = Path.Combine(_root.Path, name);
        Directory.CreateDirectory(folder);
        if (manifest is not null) File.WriteAllText(Path.Combine(folder, ShippedModelCatalog.ManifestFileName), manifest.ToJsonString());
        return folder;
    }

    private static byte[] Weights(TransformerModel model) =>
        model.CheckpointTensors().SelectMany(t => t.Tensor.detach().contiguous().bytes.ToArray()).ToArray();

    [Fact]
    public void Lists_every_manifest_in_name_order_and_skips_dot_folders()
    {
        Folder("zeta", Manifest("zeta", "Text"));
        Folder("alpha", Manifest("alpha", "Regression"));
        Folder(".alpha.partial-1", null);

        var models = new ShippedModelCatalog(_root.Path).List();

        Assert.Equal(["alpha", "zeta"], models.Select(m => m.Name));
        var alpha = models[0];
        Assert.Equal(ShippedModelKind.Regression, alpha.Kind);
        Assert.Equal(("alpha for tests", "dotnet test", 3L, 10, 4, 1.5, "abc1234"),
            (alpha.Description, alpha.Command, alpha.Seed, alpha.Steps, alpha.BatchSize, alpha.TrainingSeconds, alpha.Commit));
        Assert.Equal(Path.Combine(_root.Path, "alpha"), alpha.Path);
        Assert.Equal(2.0, alpha.Metrics["extra"]);
        Assert.Equal("freshError=0.25 freshDeltaRidge=0.125 pretrainError=0.5", alpha.KeyMetrics);
        Assert.Equal("freshError=0.25 freshDeltaRidge=0.125 pretrainError=0.5 extra=2", alpha.MetricsSummary);
    }

    [Fact]
    public void Names_match_case_insensitively_and_an_unknown_name_is_not_found()
    {
        Folder("linear", Manifest("linear", "Regression"));
        var catalog = new ShippedModelCatalog(_root.Path);

        Assert.Equal("linear", catalog.Get("LINEAR").Name);
        var e = Assert.Throws<IclPsException>(() => catalog.Get("absent"));
        Assert.Equal((ShippedModelErrorIds.ModelNotFound, IclErrorKind.ObjectNotFound, (object?)"absent"), (e.ErrorId, e.Kind, e.Target));
        Assert.Contains("linear", e.Message);
    }

    [Fact]
    public void A_missing_root_or_manifest_is_an_error_naming_it()
    {
        var absent = Path.Combine(_root.Path, "absent");
        var e = Assert.Throws<IclPsException>(() => new ShippedModelCatalog(absent));
        Assert.Equal((ShippedModelErrorIds.CatalogNotFound, (object?)absent), (e.ErrorId, e.Target));

        Folder("bare", null);
        e = Assert.Throws<IclPsException>(() => new ShippedModelCatalog(_root.Path).List());
        Assert.Equal((ShippedModelErrorIds.ManifestNotFound, (object?)Path.Combine(_root.Path, "bare", "iclps-model.json")), (e.ErrorId, e.Target));
    }

    public static TheoryData<string, string> MalformedManifests() => new()
    {
        { "{ not json", "is not valid: " },
        { "[1, 2]", "not a JSON object" },
        { Manifest("other", "Text").ToJsonString(), "'name' is 'other' but the folder is 'broken'" },
        { Manifest("broken", "Vision").ToJsonString(), "'kind' is 'Vision'" },
        { Without(Manifest("broken", "Text"), "commit"), "lacks 'commit'" },
        { With(Manifest("broken", "Text"), "steps", "many"), "'steps' is not a Int32" },
        { With(Manifest("broken", "Text"), "metrics", new JsonObject { ["accuracy"] = "high" }), "metric 'accuracy' is not a number" },
        { Without(Manifest("broken", "Text"), "metrics"), "lacks the 'metrics' object" },
    };

    private static string Without(JsonObject o, string key)
    {
        o.Remove(key);
        return o.ToJsonString();
    }

    private static string With(JsonObject o, string key, JsonNode value)
    {
        o[key] = value;
        return o.ToJsonString();
    }

    [Theory]
    [MemberData(nameof(MalformedManifests))]
    public void A_malformed_manifest_is_invalid_data_naming_its_file(string json, string problem)
    {
        var file = Path.Combine(Folder("broken", null), ShippedModelCatalog.ManifestFileName);
        File.WriteAllText(file, json);

        var e = Assert.Throws<IclPsException>(() => new ShippedModelCatalog(_root.Path).Get("broken"));

        Assert.Equal((ShippedModelErrorIds.InvalidManifest, IclErrorKind.InvalidData, (object?)file), (e.ErrorId, e.Kind, e.Target));
        Assert.Contains(file, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Loads_a_regression_model_with_its_tasks_and_a_text_model_with_its_tokenizer()
    {
        var task = new RegressionTaskSettings { Dimension = 4, Points = 8, PoolSize = 2, TaskSeed = 5 };
        using var regression = IclRegressionModel.CreateRandom(ModelConfig.RegressionPresets["regression-tiny"], 1, "r", "preset", task);
        var regressionFolder = Folder("reg", Manifest("reg", "Regression"));
        HfCheckpoint.Save(regression.Network, regressionFolder);
        task.Save(regressionFolder);
        using var text = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"], 2);
        text.Save(Folder("txt", Manifest("txt", "Text")));
        var catalog = new ShippedModelCatalog(_root.Path);

        using var loadedRegression = catalog.LoadRegression("reg");
        using var loadedText = catalog.LoadText("txt");

        Assert.Equal(("reg", task), (loadedRegression.Name, loadedRegression.Task));
        Assert.Equal(Weights(regression.Network), Weights(loadedRegression.Network));
        Assert.Equal(("txt", text.Tokenizer.Name), (loadedText.Name, loadedText.Tokenizer.Name));
        Assert.Equal(Weights(text.Network), Weights(loadedText.Network));
        var e = Assert.Throws<IclPsException>(() => catalog.LoadText("reg"));
        Assert.Equal((ShippedModelErrorIds.KindMismatch, (object?)"reg"), (e.ErrorId, e.Target));
    }

    [Fact]
    public void The_module_ships_both_regression_defaults_with_complete_manifests()
    {
        var catalog = new ShippedModelCatalog(Path.Combine(TestData.RepositoryRoot(), "module", "models"));
        foreach (var name in new[] { "linear-d8", "linear-d8-pool" })
        {
            var info = catalog.Get(name);
            Assert.Equal(ShippedModelKind.Regression, info.Kind);
            Assert.StartsWith("./tools/Train-DefaultModels.ps1 -Name " + name, info.Command);
            Assert.True(info.Steps > 0 && info.BatchSize > 0 && info.TrainingSeconds > 0, $"{name}: steps, batch and seconds must be recorded");
            var task = RegressionTaskSettings.TryLoad(info.Path);
            Assert.NotNull(task);
            Assert.Equal((8, 16), (task.Dimension, task.Points));
            // A later task prompts these models with up to ~2.4x the training length.
            Assert.True(HfCheckpoint.ReadConfig(info.Path).ContextLength >= 2.5 * 2 * task.Points);
        }
        Assert.Null(RegressionTaskSettings.TryLoad(catalog.Get("linear-d8").Path)!.PoolSize);
        Assert.NotNull(RegressionTaskSettings.TryLoad(catalog.Get("linear-d8-pool").Path)!.PoolSize);
    }

    /// <summary>
    /// The shipped text model still learns in context (issue target: held-out 8-shot accuracy at least 0.9, 0-shot near chance),
    /// measured on 12 held-out maps of its family through the prompt runner Invoke-IclPrompt uses.
    /// </summary>
    [Fact]
    public void The_shipped_text_model_learns_held_out_maps_in_context()
    {
        var catalog = new ShippedModelCatalog(Path.Combine(TestData.RepositoryRoot(), "module", "models"));
        var info = catalog.Get("text-icl-tiny");
        Assert.Equal(ShippedModelKind.Text, info.Kind);
        Assert.StartsWith("./examples/text-icl-shots.ps1", info.Command);
        using var model = catalog.LoadText("text-icl-tiny");
        var family = new KeyedLookupTaskFamily(new KeyedLookupTaskFamilyOptions());
        var tasks = family.HeldOutTasks.Take(12).ToArray();
        var eight = SymbolicIclEvaluator.FirstTokenAccuracy(model, tasks, 8, seed: 7);
        var zero = SymbolicIclEvaluator.FirstTokenAccuracy(model, tasks, 0, seed: 7);
        Assert.True(eight >= 0.9, $"8-shot held-out accuracy {eight:0.000}");
        Assert.InRange(zero, 0.0, family.Chance + 0.1);
    }

    /// <summary>
    /// The shipped mixture model is the LLaMA-family 4 x 64 model the LoRA comparison needs, and keeps what
    /// docs/results/llama-tiny-4l-mix-shots.csv reports, measured here on 8 held-out maps of each family through the prompt
    /// runner Invoke-IclPrompt uses: both families rise from chance with the shots to near the ceiling at 8 (0.965 and
    /// 0.928 on all 64 maps).
    /// </summary>
    [Fact]
    public void The_shipped_mixture_model_learns_held_out_maps_of_both_families_in_context()
    {
        var catalog = new ShippedModelCatalog(Path.Combine(TestData.RepositoryRoot(), "module", "models"));
        var info = catalog.Get("llama-tiny-4l-mix");
        Assert.Equal(ShippedModelKind.Text, info.Kind);
        Assert.Contains("./examples/text-icl-mixture-shots.ps1", info.Command);
        Assert.True(info.Steps > 0 && info.BatchSize > 0 && info.TrainingSeconds > 0, "steps, batch and seconds must be recorded");
        using var model = catalog.LoadText("llama-tiny-4l-mix");
        Assert.Equal((ModelFamily.Llama, 4, 64), (model.Config.Family, model.Config.Layers, model.Config.DModel));

        var keyed = new KeyedLookupTaskFamily();
        var words = new TransductionTaskFamily();
        foreach (var family in new[] { (Name: "keyed lookup", keyed.HeldOutTasks, keyed.Chance), (Name: "transduction", words.HeldOutTasks, words.Chance) })
        {
            var tasks = family.HeldOutTasks.Take(8).ToArray();
            var zero = SymbolicIclEvaluator.FirstTokenAccuracy(model, tasks, 0, seed: 7);
            var four = SymbolicIclEvaluator.FirstTokenAccuracy(model, tasks, 4, seed: 7);
            var eight = SymbolicIclEvaluator.FirstTokenAccuracy(model, tasks, 8, seed: 7);
            var curve = $"{family.Name} 0/4/8-shot {zero:0.000}/{four:0.000}/{eight:0.000}";
            Assert.True(zero <= family.Chance + 0.05, curve);
            Assert.True(four >= zero + 0.4 && eight >= four + 0.1, curve);
            Assert.True(eight >= 0.85, curve);
        }
    }
}
