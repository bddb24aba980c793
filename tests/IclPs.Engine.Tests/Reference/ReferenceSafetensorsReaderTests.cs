using System.Text;
using IclPs.Engine.Native;
using IclPs.Engine.Tests.Models;

namespace IclPs.Engine.Tests.Reference;

public sealed class ReferenceSafetensorsReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iclps-ref-safetensors-").FullName;

    public ReferenceSafetensorsReaderTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Reads_names_shapes_and_values_in_any_offset_order()
    {
        var path = Path.Combine(_dir, "two.safetensors");
        // Data section: b's two floats first, then a's six, while the header lists a first.
        var header = """{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]},"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        var floats = new float[] { -1.5f, 2.25f, 1, 2, 3, 4, 5, 6.5f };
        var headerBytes = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)headerBytes.Length), .. headerBytes, .. floats.SelectMany(BitConverter.GetBytes)]);

        var tensors = ReferenceSafetensorsReader.Read(path);

        Assert.Equal(["a", "b"], tensors.Keys.Order());
        Assert.Equal([2, 3], tensors["a"].Shape);
        Assert.Equal([1.0, 2, 3, 4, 5, 6.5], tensors["a"].Data);
        Assert.Equal(4.0, tensors["a"][1, 0]);
        Assert.Equal([-1.5, 2.25], tensors["b"].Data);
    }

    [Fact]
    public void Rejects_other_dtypes_and_offsets_outside_the_file_naming_the_tensor()
    {
        var f16 = Path.Combine(_dir, "f16.safetensors");
        SafetensorsTestFile.Write(f16, [("w", [1], [1f])]);
        var text = File.ReadAllBytes(f16);
        var patched = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(text).Replace("\"F32\"", "\"F16\""));
        File.WriteAllBytes(f16, patched);
        Assert.Contains("'w'", Assert.Throws<InvalidDataException>(() => ReferenceSafetensorsReader.Read(f16)).Message);

        var truncated = Path.Combine(_dir, "truncated.safetensors");
        SafetensorsTestFile.Write(truncated, [("v", [4], [1f, 2f, 3f, 4f])]);
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..^4]);
        Assert.Contains("'v'", Assert.Throws<InvalidDataException>(() => ReferenceSafetensorsReader.Read(truncated)).Message);

        var shortHeader = Path.Combine(_dir, "short.safetensors");
        File.WriteAllBytes(shortHeader, [.. BitConverter.GetBytes(1000UL), .. "{}"u8.ToArray()]);
        Assert.Throws<InvalidDataException>(() => ReferenceSafetensorsReader.Read(shortHeader));
    }

    /// <summary>A checkpoint written in Hugging Face layout gives the reference exactly the weights the model holds.</summary>
    [Theory]
    [InlineData("gpt2-1layer-3heads-untied")]
    [InlineData("llama-gqa4to1-theta100-untied")]
    public void A_model_checkpoint_read_from_safetensors_gives_the_same_reference(string name)
    {
        using var model = TestModels.Create(name);
        var path = Path.Combine(_dir, "model.safetensors");
        SafetensorsTestFile.Write(path, model);

        var fromFile = ReferenceWeights.FromSafetensors(path);
        var fromModel = ReferenceWeights.FromModel(model);

        Assert.Equal(fromModel.Names.Order(), fromFile.Names.Order());
        foreach (var key in fromModel.Names) Assert.Equal(fromModel[key].Data, fromFile[key].Data);
        var prompt = TestModels.Prompt(model.Config, 5, 80);
        Assert.Equal(ReferenceTransformer.For(model.Config, fromModel).Run(prompt).LogitsTensor.Data,
                     ReferenceTransformer.For(model.Config, fromFile).Run(prompt).LogitsTensor.Data);
    }
}
