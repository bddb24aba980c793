using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.TaskVectors;

namespace IclPs.Engine.Tests.TaskVectors;

public sealed class TaskVectorFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public TaskVectorFileTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose() => _folder.Dispose();

    private static readonly TaskVectorModelShape Shape = new(ModelFamily.Gpt2, 2, 4, 8);

    /// <summary>Floats from random bit patterns (finite ones, subnormals and -0 included), so any lossy step would show.</summary>
    private static float[] Bits(int count, int seed)
    {
        var rng = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            float v;
            do v = BitConverter.Int32BitsToSingle(rng.Next(int.MinValue, int.MaxValue)); while (!float.IsFinite(v));
            values[i] = v;
        }
        values[0] = -0f;
        values[1] = float.Epsilon;
        return values;
    }

    private static TaskVectorProvenance Provenance() => new()
    {
        Source = "sevens.json (split seed 3)",
        Shots = 10,
        Seed = 7,
        Prompts = 100,
        ValidationPrompts = 25,
        Settings = new Dictionary<string, string> { ["top_k"] = "2", ["note"] = "ünïcode \"quoted\"" },
        TrainingCurve = [new(1, 10, 0.1 + 0.2, 1.0 / 3, double.NaN), new(2, 20, double.PositiveInfinity, 5e-324, -0.0)],
    };

    private static TaskVector FunctionVectorLike() => new(TaskVectorMethod.FunctionVector, "tiny (test)", Shape, TaskVectorInjection.Add,
        [new TaskVectorLayer(1, Bits(8, 1))],
        [new TaskVectorHead(0, 3, 1.0, Bits(2, 2)), new TaskVectorHead(1, 0, 1.0, Bits(2, 3))], Provenance());

    private static TaskVector LtvLike()
    {
        var rng = new Random(4);
        var heads = Enumerable.Range(0, 8).Select(i => new TaskVectorHead(i / 4, i % 4, BitConverter.Int64BitsToDouble(rng.NextInt64(0, long.MaxValue >> 2)) * (i % 2 == 0 ? 1 : -1))).ToArray();
        return new(TaskVectorMethod.Ltv, "tiny", Shape, TaskVectorInjection.Add, [], heads, Provenance(), HeadActivationSource.Live, authorsVariant: true);
    }

    private static void AssertBitIdentical(TaskVector expected, TaskVector actual)
    {
        Assert.Equal(expected.Method, actual.Method);
        Assert.Equal(expected.ModelName, actual.ModelName);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Injection, actual.Injection);
        Assert.Equal(expected.ActivationSource, actual.ActivationSource);
        Assert.Equal(expected.AuthorsVariant, actual.AuthorsVariant);
        static int[] Raw(float[] v) => v.Select(BitConverter.SingleToInt32Bits).ToArray();
        Assert.Equal(expected.Vectors.Select(v => (v.Layer, Raw(v.Values))), actual.Vectors.Select(v => (v.Layer, Raw(v.Values))));
        Assert.Equal(expected.Heads.Count, actual.Heads.Count);
        foreach (var (e, a) in expected.Heads.Zip(actual.Heads))
        {
            Assert.Equal((e.Layer, e.Head, BitConverter.DoubleToInt64Bits(e.Weight)), (a.Layer, a.Head, BitConverter.DoubleToInt64Bits(a.Weight)));
            Assert.Equal(e.MeanActivation is null ? null : Raw(e.MeanActivation), a.MeanActivation is null ? null : Raw(a.MeanActivation));
        }
        var (p, q) = (expected.Provenance, actual.Provenance);
        Assert.Equal((p.Source, p.Shots, p.Seed, p.Prompts, p.ValidationPrompts), (q.Source, q.Shots, q.Seed, q.Prompts, q.ValidationPrompts));
        Assert.Equal(p.Settings.OrderBy(kv => kv.Key), q.Settings.OrderBy(kv => kv.Key));
        static long[] Curve(TaskVectorProvenance x) => x.TrainingCurve.SelectMany(t => new[] { t.Epoch, t.Step,
            BitConverter.DoubleToInt64Bits(t.TrainLoss), BitConverter.DoubleToInt64Bits(t.ValidationLoss), BitConverter.DoubleToInt64Bits(t.ValidationMetric) }).ToArray();
        Assert.Equal(Curve(p), Curve(q));
    }

    [Fact]
    public void Round_trips_are_bit_exact_for_a_function_vector_and_a_live_ltv()
    {
        foreach (var (vector, name) in new[] { (FunctionVectorLike(), "fv"), (LtvLike(), "ltv") })
        {
            var json = TaskVectorFile.Export(vector, _folder.File(name));
            Assert.EndsWith(".json", json);
            Assert.True(File.Exists(_folder.File(name + ".safetensors")));
            AssertBitIdentical(vector, TaskVectorFile.Import(json));
            AssertBitIdentical(vector, TaskVectorFile.Import(_folder.File(name + ".safetensors")));
        }
        Assert.Empty(Directory.GetFiles(_folder.Path, "*.tmp"));
    }

    [Fact]
    public void Damaged_or_missing_files_are_errors_with_ids()
    {
        var json = TaskVectorFile.Export(FunctionVectorLike(), _folder.File("v"));
        var tensors = _folder.File("v.safetensors");
        var text = File.ReadAllText(json);
        var bytes = File.ReadAllBytes(tensors);

        File.WriteAllText(json, text[..(text.Length / 2)]);
        Assert.Equal(TaskVectorErrorIds.InvalidFile, Assert.Throws<IclPsException>(() => TaskVectorFile.Import(json)).ErrorId);

        File.WriteAllText(json, text);
        File.WriteAllBytes(tensors, bytes[..^4]);
        var truncated = Assert.Throws<IclPsException>(() => TaskVectorFile.Import(json));
        Assert.Equal(TaskVectorErrorIds.InvalidFile, truncated.ErrorId);
        Assert.Contains("SHA-256", truncated.Message);

        File.Delete(tensors);
        Assert.Equal(TaskVectorErrorIds.FileNotFound, Assert.Throws<IclPsException>(() => TaskVectorFile.Import(json)).ErrorId);
        Assert.Equal(TaskVectorErrorIds.FileNotFound, Assert.Throws<IclPsException>(() => TaskVectorFile.Import(_folder.File("absent"))).ErrorId);
    }

    [Fact]
    public void Impossible_shapes_and_mismatched_tensors_are_named()
    {
        var json = TaskVectorFile.Export(FunctionVectorLike(), _folder.File("v"));
        var text = File.ReadAllText(json);

        File.WriteAllText(json, text.Replace("\"heads\": 4", "\"heads\": 3"));
        var shape = Assert.Throws<IclPsException>(() => TaskVectorFile.Import(json));
        Assert.Equal(TaskVectorErrorIds.InvalidFile, shape.ErrorId);
        Assert.Contains("divisible", shape.Message);

        File.WriteAllText(json, text.Replace("\"d_model\": 8", "\"d_model\": 16"));
        var width = Assert.Throws<IclPsException>(() => TaskVectorFile.Import(json));
        Assert.Equal(TaskVectorErrorIds.InvalidFile, width.ErrorId);
        Assert.Contains("vector.layer1", width.Message);

        File.WriteAllText(json, text.Replace("\"method\": \"FunctionVector\"", "\"method\": \"Magic\""));
        Assert.Contains("Magic", Assert.Throws<IclPsException>(() => TaskVectorFile.Import(json)).Message);
    }

    [Fact]
    public void Non_finite_tensor_values_are_named()
    {
        var json = TaskVectorFile.Export(FunctionVectorLike(), _folder.File("v"));
        var tensors = _folder.File("v.safetensors");
        var values = Bits(8, 1);
        values[5] = float.NaN;
        using (var scope = TorchSharp.torch.NewDisposeScope())
        {
            IclPs.Engine.Checkpoints.SafetensorsWriter.Write(tensors, [("vector.layer1", TorchSharp.torch.tensor(values)),
                ("head.0.3.mean_activation", TorchSharp.torch.tensor(Bits(2, 2))), ("head.1.0.mean_activation", TorchSharp.torch.tensor(Bits(2, 3)))]);
        }
        // A consistent pair (hash updated), so the value check itself is reached.
        using (var stream = File.OpenRead(tensors))
        {
            var text = File.ReadAllText(json);
            var old = System.Text.RegularExpressions.Regex.Match(text, "\"tensors_sha256\": \"([0-9a-f]+)\"").Groups[1].Value;
            var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream)).ToLowerInvariant();
            File.WriteAllText(json, text.Replace(old, hash));
        }
        var e = Assert.Throws<IclPsException>(() => TaskVectorFile.Import(json));
        Assert.Equal(TaskVectorErrorIds.NonFinite, e.ErrorId);
        Assert.Contains("vector.layer1", e.Message);
    }

    [Fact]
    public void A_loaded_vector_refuses_a_model_of_another_shape_naming_the_field()
    {
        var json = TaskVectorFile.Export(FunctionVectorLike(), _folder.File("v"));
        var loaded = TaskVectorFile.Import(json);
        using var model = TransformerModel.Create(new ModelConfig
        {
            Family = ModelFamily.Gpt2, VocabSize = 16, ContextLength = 8, DModel = 12, Layers = 2, Heads = 4, KvHeads = 4, MlpHidden = 16,
        }, TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.Float32, seed: 1);
        var e = Assert.Throws<IclPsException>(() => { loaded.CreateHooks(model, -1).Dispose(); });
        Assert.Equal(TaskVectorErrorIds.ShapeMismatch, e.ErrorId);
        Assert.Contains("d_model", e.Message);
    }
}
