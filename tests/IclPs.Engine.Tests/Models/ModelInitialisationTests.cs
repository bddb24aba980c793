using IclPs.Engine.Models;
using IclPs.Engine.Native;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

public sealed class ModelInitialisationTests
{
    public ModelInitialisationTests() => TorchNativeLoader.EnsureLoaded();

    private static Dictionary<string, double[]> Parameters(TransformerModel model) =>
        model.CheckpointTensors().ToDictionary(p => p.Name, p => Numerics.ToDoubles(p.Tensor));

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void The_same_seed_gives_the_same_weights_and_another_seed_other_weights(string name)
    {
        var config = TestModels.Configs[name];
        using var a = TransformerModel.Create(config, CPU, seed: 5);
        using var b = TransformerModel.Create(config, CPU, seed: 5);
        using var c = TransformerModel.Create(config, CPU, seed: 6);
        var (pa, pb, pc) = (Parameters(a), Parameters(b), Parameters(c));

        Assert.Equal(pa.Keys, pb.Keys);
        foreach (var key in pa.Keys)
        {
            Assert.Equal(pa[key], pb[key]);
            // Random matrices differ between seeds; norm gains and biases are constants.
            if (a.CheckpointTensors().Single(p => p.Name == key).Tensor.dim() == 2) Assert.NotEqual(pa[key], pc[key]);
            else Assert.Equal(pa[key], pc[key]);
        }
    }

    /// <summary>Every parameter is written (none left as uninitialised memory): matrices at their stated std, gains 1, biases 0.</summary>
    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Initialise_sets_every_parameter(string name)
    {
        var config = TestModels.Configs[name];
        using var model = TransformerModel.Create(config, CPU, seed: 8);
        var residualStd = 0.02 / Math.Sqrt(2.0 * config.Layers);
        foreach (var (key, values) in Parameters(model))
        {
            if (key.EndsWith("bias", StringComparison.Ordinal)) Assert.All(values, v => Assert.Equal(0.0, v));
            else if (key.Contains("norm", StringComparison.Ordinal) || key.Contains("ln_", StringComparison.Ordinal)) Assert.All(values, v => Assert.Equal(1.0, v));
            else
            {
                var expected = key.EndsWith("c_proj.weight", StringComparison.Ordinal) || key.Contains("o_proj", StringComparison.Ordinal) || key.Contains("down_proj", StringComparison.Ordinal)
                    ? residualStd
                    : key == "transformer.wpe.weight" ? 0.01 : 0.02;
                var std = Math.Sqrt(values.Select(v => v * v).Average());
                Assert.InRange(std, 0.85 * expected, 1.15 * expected);
            }
        }
    }
}
