using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Tests.Reference;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Training;

/// <summary>Tiny regression models with every parameter random at a scale where it matters, and their float64 reference.</summary>
internal static class RegressionModels
{
    /// <summary>1-3 layers would all do; two layers of width 24 and three heads keep the reference fast while exercising head splits.</summary>
    public static ModelConfig Tiny { get; } = ModelConfig.Regression(inputDim: 5, dModel: 24, layers: 2, heads: 3, contextLength: 16) with { NormEps = 1e-3 };

    /// <summary>Like the GPT-2 test models: matrices N(0, 1/sqrt(smaller side)), gains 1 + N(0, 0.2), biases N(0, 0.2).</summary>
    public static RegressionModel CreateRandom(ModelConfig config, long seed = 5, ScalarType dtype = ScalarType.Float32)
    {
        TorchNativeLoader.EnsureLoaded();
        var model = (RegressionModel)TransformerModel.Create(config, torch.CPU, dtype, seed);
        using (no_grad())
        using (var gen = new Generator((ulong)seed + 1000, torch.CPU))
        {
            foreach (var (key, p) in model.CheckpointTensors())
            {
                using var scope = NewDisposeScope();
                var noise = randn(p.shape, dtype: dtype, generator: gen);
                if (p.dim() == 2) p.copy_(noise / Math.Sqrt(Math.Min(p.shape[0], p.shape[1])));
                else if (key.EndsWith("bias", StringComparison.Ordinal)) p.copy_(noise * 0.2);
                else p.copy_(noise * 0.2 + 1);
            }
        }
        return model;
    }

    /// <summary>
    /// The float64 reference: the read-in and positions computed here, the block stack and final norm by
    /// <see cref="ReferenceGpt2"/> (a GPT-2 of the same shape whose untied one-row lm_head is the read-out weight), plus the read-out bias.
    /// </summary>
    public sealed class Reference
    {
        private readonly ReferenceWeights _weights;
        private readonly ReferenceGpt2 _stack;

        public Reference(RegressionModel model)
        {
            _weights = ReferenceWeights.FromModel(model);
            var d = model.Config.DModel;
            var tensors = _weights.Names.ToDictionary(n => n, n => _weights[n]);
            tensors["transformer.wte.weight"] = new RefTensor([1, d], new double[d]);
            tensors["lm_head.weight"] = _weights["read_out.weight"];
            var gpt2 = model.Config with { Family = ModelFamily.Gpt2, InputDim = 0, TieEmbeddings = false };
            _stack = new ReferenceGpt2(gpt2, new ReferenceWeights(tensors));
        }

        /// <summary>Residual stream entering block 0 for one sequence of token vectors [pos][d_in].</summary>
        public double[][] Embed(double[][] tokens) =>
            tokens.Select((x, p) => RefMath.Add(RefMath.OutIn(x, _weights["read_in.weight"]), _weights["transformer.wpe.weight"].Row(p))).ToArray();

        /// <summary>Predictions [pos] from a residual stream entering block <paramref name="layer"/>.</summary>
        public double[] PredictFrom(int layer, double[][] residual) =>
            _stack.LogitsFrom(layer, residual).Select(l => l[0] + _weights["read_out.bias"].Data[0]).ToArray();

        public double[] Predict(double[][] tokens) => PredictFrom(0, Embed(tokens));
    }

    /// <summary>Rows [pos][d] of sequence <paramref name="b"/> of a [b, pos, d] tensor.</summary>
    public static double[][] Rows(Tensor t, int b)
    {
        using var scope = NewDisposeScope();
        var s = t[b].detach().to(ScalarType.Float64).contiguous();
        var (rows, cols) = ((int)s.shape[0], (int)s.shape[1]);
        var data = s.data<double>().ToArray();
        return Enumerable.Range(0, rows).Select(r => data.AsSpan(r * cols, cols).ToArray()).ToArray();
    }
}
