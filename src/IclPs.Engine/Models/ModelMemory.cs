using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Models;

/// <summary>
/// How much memory a <see cref="ModelConfig"/> needs before anything is allocated for it: the exact parameter count
/// computed from the config alone (embeddings, per-layer attention and MLP including LLaMA's grouped-query attention and
/// SwiGLU, norms, unembedding; the regression variant's read-in and read-out), times the element size of the dtype.
/// <see cref="EnsureFits"/> refuses a config that cannot fit, naming the field(s) to shrink, before libtorch is asked
/// for the memory (which would otherwise page for minutes or fail with a raw allocator error).
/// </summary>
public static class ModelMemory
{
    /// <summary>Environment variable that overrides the memory limit: a number of bytes (8589934592, or 8GB), or "unlimited" to turn the check off.</summary>
    public const string LimitVariable = "ICLPS_MEMORY_LIMIT_BYTES";

    /// <summary>Error id of a config (or training state) that cannot fit in the memory limit.</summary>
    public const string ModelTooLargeErrorId = "ModelTooLarge";

    /// <summary>Error id of a malformed <see cref="LimitVariable"/>.</summary>
    public const string InvalidLimitErrorId = "InvalidMemoryLimit";

    /// <summary>One group of parameters: what it is, the config fields it grows with, and its exact parameter count.</summary>
    public sealed record Component(string Name, string Fields, Int128 Parameters);

    /// <summary>The memory available for new tensors: <see cref="Bytes"/> (null: no limit) and where that figure came from.</summary>
    public sealed record Budget(long? Bytes, string Source);

    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    public static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Float64 or ScalarType.Int64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.ComplexFloat64 => 16,
        _ => 4,
    };

    /// <summary>The parameters a model of <paramref name="config"/> allocates, group by group; their sum is exact (no overflow).</summary>
    public static IReadOnlyList<Component> Components(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Components(Sizes.Of(config), config.Family, config.TieEmbeddings);
    }

    /// <summary>
    /// Every parameter a model of <paramref name="config"/> has, by checkpoint name, with its shape: what a checkpoint must
    /// store, known before anything is allocated (tied weights appear once). Call only for configs that fit
    /// (<see cref="EnsureFits"/>): the list has a dozen entries per layer.
    /// </summary>
    public static IReadOnlyList<(string Name, long[] Shape)> ParameterShapes(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long d = config.DModel, v = config.VocabSize, f = config.MlpHidden;
        var list = new List<(string, long[])>();
        if (config.Family == ModelFamily.Llama)
        {
            var kv = (long)config.KvHeads * config.DHead;
            list.Add(("model.embed_tokens.weight", [v, d]));
            for (var l = 0; l < config.Layers; l++)
            {
                var p = $"model.layers.{l}.";
                list.Add((p + "input_layernorm.weight", [d]));
                list.Add((p + "self_attn.q_proj.weight", [d, d]));
                list.Add((p + "self_attn.k_proj.weight", [kv, d]));
                list.Add((p + "self_attn.v_proj.weight", [kv, d]));
                list.Add((p + "self_attn.o_proj.weight", [d, d]));
                list.Add((p + "post_attention_layernorm.weight", [d]));
                list.Add((p + "mlp.gate_proj.weight", [f, d]));
                list.Add((p + "mlp.up_proj.weight", [f, d]));
                list.Add((p + "mlp.down_proj.weight", [d, f]));
            }
            list.Add(("model.norm.weight", [d]));
            if (!config.TieEmbeddings) list.Add(("lm_head.weight", [v, d]));
            return list;
        }
        var regression = config.Family == ModelFamily.Regression;
        if (regression) list.Add(("read_in.weight", [d, config.InputDim]));
        else list.Add(("transformer.wte.weight", [v, d]));
        list.Add(("transformer.wpe.weight", [config.ContextLength, d]));
        for (var l = 0; l < config.Layers; l++)
        {
            var p = $"transformer.h.{l}.";
            list.Add((p + "ln_1.weight", [d]));
            list.Add((p + "ln_1.bias", [d]));
            list.Add((p + "attn.c_attn.weight", [d, 3 * d]));
            list.Add((p + "attn.c_attn.bias", [3 * d]));
            list.Add((p + "attn.c_proj.weight", [d, d]));
            list.Add((p + "attn.c_proj.bias", [d]));
            list.Add((p + "ln_2.weight", [d]));
            list.Add((p + "ln_2.bias", [d]));
            list.Add((p + "mlp.c_fc.weight", [d, f]));
            list.Add((p + "mlp.c_fc.bias", [f]));
            list.Add((p + "mlp.c_proj.weight", [f, d]));
            list.Add((p + "mlp.c_proj.bias", [d]));
        }
        list.Add(("transformer.ln_f.weight", [d]));
        list.Add(("transformer.ln_f.bias", [d]));
        if (regression)
        {
            list.Add(("read_out.weight", [v, d]));
            list.Add(("read_out.bias", [v]));
        }
        else if (!config.TieEmbeddings)
        {
            list.Add(("lm_head.weight", [v, d]));
        }
        return list;
    }

    /// <summary>The exact parameter count of <paramref name="config"/>, without overflow for absurd sizes.</summary>
    public static Int128 ParameterCount(ModelConfig config) => Sum(Components(config));

    /// <summary>Bytes the parameters of <paramref name="config"/> take in <paramref name="dtype"/>.</summary>
    public static Int128 EstimateBytes(ModelConfig config, ScalarType dtype = ScalarType.Float32) =>
        ParameterCount(config) * ElementSize(dtype);

    /// <summary>
    /// The memory new tensors may take on <paramref name="device"/>: <see cref="LimitVariable"/> when set; else, for the CPU,
    /// the smaller of /proc/meminfo's MemAvailable and the runtime's total available memory (a container limit counts);
    /// for other devices no limit (libtorch's own out-of-memory error is reported then).
    /// </summary>
    public static Budget Available(Device? device = null)
    {
        if (TestLimit.Value is long test) return new Budget(test, "the test limit");
        var configured = Environment.GetEnvironmentVariable(LimitVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var text = configured.Trim();
            if (text.Equals("unlimited", StringComparison.OrdinalIgnoreCase)) return new Budget(null, $"{LimitVariable}=unlimited");
            if (ParseBytes(text) is not long limit)
                throw new IclPsException(InvalidLimitErrorId, IclErrorKind.InvalidArgument,
                    $"Environment variable {LimitVariable} must be a positive number of bytes (optionally with KB, MB, GB or TB, as in 8GB) or 'unlimited'; got '{configured}'.", LimitVariable);
            return new Budget(limit, $"{LimitVariable}={limit}");
        }
        if (device is not null && device.type != DeviceType.CPU) return new Budget(null, $"no limit checked for {device.type} memory");
        long? available = null;
        var source = new List<string>();
        if (MemAvailable() is long memAvailable)
        {
            available = memAvailable;
            source.Add("MemAvailable in /proc/meminfo");
        }
        var total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (total > 0 && (available is null || total < available))
        {
            available = total;
            source.Add("the runtime's total available memory");
        }
        return new Budget(available, source.Count == 0 ? "unknown" : string.Join(" and ", source));
    }

    /// <summary>
    /// Throws a <see cref="ModelConfigException"/> (id <see cref="ModelTooLargeErrorId"/>, kind LimitsExceeded, naming the
    /// field to shrink) when <paramref name="copies"/> copies of the parameters of <paramref name="config"/> in
    /// <paramref name="dtype"/> exceed the memory <see cref="Available"/> on <paramref name="device"/>.
    /// <paramref name="what"/> says what the memory is for (e.g. "its weights", "training state").
    /// </summary>
    public static void EnsureFits(ModelConfig config, ScalarType dtype, Device? device = null, string? source = null, int copies = 1, string what = "its weights")
    {
        ArgumentNullException.ThrowIfNull(config);
        var budget = Available(device);
        if (budget.Bytes is not long limit) return;
        var elementBytes = (Int128)ElementSize(dtype) * copies;
        var components = Components(config);
        var parameters = Sum(components);
        var needed = parameters * elementBytes;
        if (needed <= limit) return;

        var sizes = Sizes.Of(config);
        var maxParameters = (Int128)limit / elementBytes;
        var fixes = Fields(config.Family)
            .Select(f => (Field: f, Value: f.Get(sizes), Max: MaxFitting(sizes, f, config, maxParameters)))
            .Where(f => f.Value > 1)
            .OrderByDescending(f => f.Max == 0 ? double.PositiveInfinity : (double)f.Value / (double)f.Max)
            .ToList();
        var alone = fixes.Where(f => f.Max > 0).OrderByDescending(f => (double)f.Value / (double)f.Max).ToList();
        // The field most over its fitting value; when no single field can make it fit, the one that grows fastest.
        var primary = alone.Count > 0 ? alone[0] : fixes.FirstOrDefault();
        var field = primary.Field?.Name ?? "config";
        var advice = alone.Count > 0
            ? "; to fit, " + string.Join(", or ", alone.Take(2).Select(f => Invariant($"{f.Field.Name} = {f.Value} would have to be at most {f.Max}")))
            : Invariant($"; no single field can shrink it enough (largest: {field} = {primary.Value})");
        var breakdown = string.Join("; ", components.Where(c => c.Parameters > 0).OrderByDescending(c => c.Parameters)
            .Take(3).Select(c => Invariant($"{c.Name} ({c.Fields}) {FormatCount(c.Parameters)}")));
        var copiesText = copies == 1 ? "" : Invariant($" x {copies} copies");
        throw new ModelConfigException(
            Invariant($"Model config{(source is null ? "" : $" '{source}'")} ({config}) needs about {FormatBytes(needed)} for {what}: ") +
            Invariant($"{FormatCount(parameters)} parameters x {ElementSize(dtype)} bytes ({dtype.ToString().ToLowerInvariant()}){copiesText}; ") +
            Invariant($"largest parts: {breakdown}. Only {FormatBytes(limit)} of memory is available ({budget.Source}){advice}. ") +
            $"Set {LimitVariable} (bytes, e.g. 8GB, or 'unlimited') to change the limit.",
            source, field, ModelTooLargeErrorId, IclErrorKind.LimitsExceeded);
    }

    private static readonly AsyncLocal<long?> TestLimit = new();

    /// <summary>
    /// Sets the limit for the calling flow only (what it calls and the tasks it starts), so tests running side by side do
    /// not see each other's limit as they would an environment variable's. Dispose to restore.
    /// </summary>
    internal static IDisposable OverrideLimit(long bytes)
    {
        var previous = TestLimit.Value;
        TestLimit.Value = bytes;
        return new Restore(() => TestLimit.Value = previous);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>"1.5 GiB"-style text for a byte count.</summary>
    public static string FormatBytes(Int128 bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        var value = (double)bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return unit == 0 ? Invariant($"{value:0} bytes") : Invariant($"{value:0.0} {units[unit]}");
    }

    /// <summary>A positive byte count: digits, optionally with a fraction and a KB/MB/GB/TB suffix (powers of 1024, as PowerShell's 8GB).</summary>
    internal static long? ParseBytes(string text)
    {
        var units = new[] { ("TB", 1L << 40), ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10) };
        var multiplier = 1L;
        foreach (var (suffix, factor) in units)
        {
            if (!text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) continue;
            (text, multiplier) = (text[..^suffix.Length].TrimEnd(), factor);
            break;
        }
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return null;
        var bytes = number * multiplier;
        return bytes is >= 1 and <= long.MaxValue ? (long)bytes : null;
    }

    /// <summary>MemAvailable of /proc/meminfo in bytes (Linux), or null where there is none.</summary>
    private static long? MemAvailable()
    {
        try
        {
            if (!File.Exists("/proc/meminfo")) return null;
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line["MemAvailable:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static string FormatCount(Int128 n) => n <= long.MaxValue ? ((long)n).ToString("N0", CultureInfo.InvariantCulture) : ((double)n).ToString("0.###e0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static Int128 Sum(IEnumerable<Component> components) => components.Aggregate(Int128.Zero, (s, c) => s + c.Parameters);

    /// <summary>The sizes a parameter count depends on, widened so that no product overflows.</summary>
    private readonly record struct Sizes(Int128 Vocab, Int128 Context, Int128 D, Int128 Layers, Int128 Inner, Int128 Heads, Int128 KvHeads, Int128 InputDim)
    {
        public static Sizes Of(ModelConfig c) => new(c.VocabSize, c.ContextLength, c.DModel, c.Layers, c.MlpHidden, c.Heads, c.KvHeads, c.InputDim);
        /// <summary>Width of the key and value projections: KV heads x d_head.</summary>
        public Int128 KvWidth => Heads > 0 ? KvHeads * (D / Heads) : D;
    }

    private sealed record SizeField(string Name, Func<Sizes, Int128> Get, Func<Sizes, Int128, Sizes> Set);

    private static IReadOnlyList<SizeField> Fields(ModelFamily family)
    {
        var llama = family == ModelFamily.Llama;
        var fields = new List<SizeField>
        {
            new(llama ? "num_hidden_layers" : "n_layer", s => s.Layers, (s, v) => s with { Layers = v }),
            new(llama ? "hidden_size" : "n_embd", s => s.D, (s, v) => s with { D = v }),
            new(llama ? "intermediate_size" : "n_inner", s => s.Inner, (s, v) => s with { Inner = v }),
        };
        if (family == ModelFamily.Regression)
            fields.Add(new("n_dims_in", s => s.InputDim, (s, v) => s with { InputDim = v }));
        else
            fields.Add(new("vocab_size", s => s.Vocab, (s, v) => s with { Vocab = v }));
        if (!llama) fields.Add(new("n_positions", s => s.Context, (s, v) => s with { Context = v }));
        return fields;
    }

    /// <summary>The largest value of <paramref name="field"/> (others as they are) whose parameters fit; 0 when even 1 does not.</summary>
    private static Int128 MaxFitting(Sizes sizes, SizeField field, ModelConfig config, Int128 maxParameters)
    {
        Int128 Count(Int128 v) => Sum(Components(field.Set(sizes, v), config.Family, config.TieEmbeddings));
        Int128 low = 0, high = field.Get(sizes);
        while (low < high)
        {
            var mid = low + (high - low + 1) / 2;
            if (Count(mid) <= maxParameters) low = mid;
            else high = mid - 1;
        }
        return low;
    }

    private static List<Component> Components(Sizes s, ModelFamily family, bool tied)
    {
        var (v, d, f, l) = (s.Vocab, s.D, s.Inner, s.Layers);
        var list = new List<Component>();
        if (family == ModelFamily.Llama)
        {
            list.Add(new("token embedding", "vocab_size x hidden_size", v * d));
            // q and o: d x d; k and v: d x (KV heads x d_head) (grouped-query attention); SwiGLU gate, up and down: 3 d f; two RMSNorms.
            var block = 2 * d * d + 2 * d * s.KvWidth + 3 * d * f + 2 * d;
            list.Add(new("blocks", "num_hidden_layers x (hidden_size, num_key_value_heads, intermediate_size)", l * block));
            list.Add(new("final norm", "hidden_size", d));
            list.Add(new("unembedding", "vocab_size x hidden_size", tied ? 0 : v * d));
            return list;
        }
        var regression = family == ModelFamily.Regression;
        list.Add(regression
            ? new("read-in", "n_dims_in x n_embd", s.InputDim * d)
            : new("token embedding", "vocab_size x n_embd", v * d));
        list.Add(new("position embedding", "n_positions x n_embd", s.Context * d));
        // ln_1, ln_2: 2 d each; c_attn: d x 3d + 3d; attention c_proj: d x d + d; c_fc: d x f + f; MLP c_proj: f x d + d.
        var gpt2Block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d);
        list.Add(new("blocks", "n_layer x (n_embd, n_inner)", l * gpt2Block));
        list.Add(new("final norm", "n_embd", 2 * d));
        list.Add(regression
            ? new("read-out", "n_dims_out x n_embd", v * d + v)
            : new("unembedding", "vocab_size x n_embd", tied ? 0 : v * d));
        return list;
    }
}
