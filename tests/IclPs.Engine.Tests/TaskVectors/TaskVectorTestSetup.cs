using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.TaskVectors;
using IclPs.Engine.Tests.Models;
using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Tests.TaskVectors;

/// <summary>Tiny models with every parameter random at a scale where heads matter, and a small in-memory task.</summary>
internal static class TaskVectorTestSetup
{
    /// <summary>A text model from <see cref="TestModels"/> ("gpt2-tiny" or "llama-tiny") with the byte tokenizer.</summary>
    public static IclModel TextModel(string name = "gpt2-tiny")
    {
        TorchNativeLoader.EnsureLoaded();
        return new IclModel(TestModels.Create(name), SimpleTokenizer.Bytes(), name, $"test:{name}");
    }

    /// <summary>regression-tiny (D = 4, 2 layers, 2 heads) with parameters scrambled as <see cref="TestModels.Create"/> does.</summary>
    public static IclRegressionModel RegressionModel(long seed = 5)
    {
        TorchNativeLoader.EnsureLoaded();
        var model = IclRegressionModel.CreateRandom(ModelConfig.RegressionPresets["regression-tiny"], seed, "tiny", "test:regression-tiny");
        TestModels.Scramble(model.Network, seed);
        return model;
    }

    /// <summary>A hand-made vector of <paramref name="injection"/> at the given layers, as the methods' outputs are shaped.</summary>
    public static TaskVector Vector(ModelConfig config, TaskVectorInjection injection, params (int Layer, float[] Values)[] layers) =>
        new(TaskVectorMethod.TaskVector, "test", TaskVectorModelShape.Of(config), injection,
            layers.Select(l => new TaskVectorLayer(l.Layer, l.Values)).ToArray(), [], new TaskVectorProvenance { Source = "test" });

    /// <summary>One layer's vector with component i = <paramref name="value"/>(i).</summary>
    public static TaskVector Vector(ModelConfig config, TaskVectorInjection injection, int layer, Func<int, float> value) =>
        Vector(config, injection, (layer, Enumerable.Range(0, config.DModel).Select(value).ToArray()));

    /// <summary>40 pairs "i" -> "(7i mod 40) + 100": every output distinct, so shuffled labels really change them.</summary>
    public static IclDatasetSplit Data() =>
        new IclDataset("sevens", Enumerable.Range(0, 40).Select(i => new IclExample(i.ToString(), (7 * i % 40 + 100).ToString())).ToArray())
            .Split(0.6, 0.2, seed: 3);

    public static TextTaskVectorProblem TextProblem(IclModel model) => new(model, Data());

    public static RegressionTaskVectorProblem RegressionProblem(IclRegressionModel model, RegressionInputOptions? inputs = null) =>
        new(model, new LinearTaskFamily(dimension: 4, noiseVariance: 0.1, inputs: inputs));
}
