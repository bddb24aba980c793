using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using IclPs.Engine.Models;
using TorchSharp;

namespace IclPs.Engine.Tests.Reference;

/// <summary>Writes F32 safetensors files byte by byte, so the reference reader can be tested on files of known content.</summary>
public static class SafetensorsTestFile
{
    public static void Write(string path, IEnumerable<(string Name, int[] Shape, float[] Data)> tensors, string? metadataFormat = "pt")
    {
        var header = new JsonObject();
        if (metadataFormat is not null) header["__metadata__"] = new JsonObject { ["format"] = metadataFormat };
        var data = new MemoryStream();
        var four = new byte[4];
        foreach (var (name, shape, values) in tensors)
        {
            var begin = data.Length;
            foreach (var v in values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, v);
                data.Write(four);
            }
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(shape.Select(s => JsonValue.Create(s)).ToArray<JsonNode?>()),
                ["data_offsets"] = new JsonArray(begin, data.Length),
            };
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
        file.Write(length);
        file.Write(headerBytes);
        data.Position = 0;
        data.CopyTo(file);
    }

    /// <summary>A float32 model's parameters under their checkpoint names, as a Hugging Face safetensors checkpoint holds them.</summary>
    public static void Write(string path, TransformerModel model) =>
        Write(path, model.CheckpointTensors().Select(p =>
        {
            using var scope = torch.NewDisposeScope();
            return (p.Name, p.Tensor.shape.Select(s => (int)s).ToArray(), p.Tensor.detach().cpu().contiguous().data<float>().ToArray());
        }).ToList());
}
