using System.Globalization;
using System.Text;
using System.Text.Json;

namespace IclPs.Engine.Sweeps;

/// <summary>Reads and writes units and scripts in sweep.json and unit.json, keeping each value's type (see <see cref="SweepUnitId.ValueJson"/>).</summary>
internal static class SweepJson
{
    public static void WriteUnit(Utf8JsonWriter json, SweepUnit unit)
    {
        json.WriteNumber("index", unit.Index);
        json.WriteString("id", unit.Id);
        json.WriteString("name", unit.Name);
        json.WriteStartObject("parameters");
        foreach (var (name, value) in unit.Parameters)
        {
            json.WritePropertyName(name);
            json.WriteRawValue(SweepUnitId.ValueJson(value));
        }
        json.WriteEndObject();
    }

    public static void WriteScript(Utf8JsonWriter json, SweepScript script)
    {
        json.WriteStartObject("script");
        if (script.Path is not null) json.WriteString("path", script.Path);
        if (script.Text is not null) json.WriteString("text", script.Text);
        json.WriteEndObject();
    }

    /// <summary>The unit a JSON object describes; its id is recomputed from the parameters and must match the stored one.</summary>
    public static SweepUnit ReadUnit(JsonElement element)
    {
        var parameters = new List<KeyValuePair<string, object>>();
        foreach (var property in element.GetProperty("parameters").EnumerateObject())
            parameters.Add(new(property.Name, ReadValue(property.Value)));
        var unit = new SweepUnit(element.GetProperty("index").GetInt32(), parameters);
        var stored = element.GetProperty("id").GetString();
        if (!string.Equals(stored, unit.Id, StringComparison.Ordinal))
            throw new InvalidDataException($"unit {unit.Index} is stored with id '{stored}' but its parameters ({unit.Name}) give '{unit.Id}'");
        return unit;
    }

    public static SweepScript ReadScript(JsonElement element)
    {
        var script = element.GetProperty("script");
        string? Text(string name) => script.TryGetProperty(name, out var value) ? value.GetString() : null;
        var result = new SweepScript(Text("path"), Text("text"));
        if (result.Path is null == (result.Text is null)) throw new InvalidDataException("the script has neither a path nor a text, or both");
        return result;
    }

    private static object ReadValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => value.GetRawText().IndexOfAny(['.', 'e', 'E']) >= 0
            // Cast each arm: a conditional of double and long would be a double.
            ? (object)value.GetDouble()
            : (object)long.Parse(value.GetRawText(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
        _ => throw new InvalidDataException($"a parameter value is {value.ValueKind}, not a string, Boolean or number"),
    };

    public static byte[] Document(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }
        buffer.Write(Encoding.UTF8.GetBytes("\n"));
        return buffer.ToArray();
    }
}
