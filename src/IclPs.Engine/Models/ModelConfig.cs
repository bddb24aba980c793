using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IclPs.Engine.Models;

/// <summary>
/// Decoder families. <see cref="Regression"/> is the GPT-2 block stack with a read-in Linear(d_in -> d_model) in place of
/// the token embedding and a read-out Linear(d_model -> 1) in place of the unembedding (docs/science.md §2).
/// </summary>
public enum ModelFamily { Gpt2, Llama, Regression }

/// <summary>Raised for a config.json that is missing, unparsable or inconsistent; names the file and field.</summary>
public sealed class ModelConfigException(string message, string? source, string? field, string? errorId = null, IclErrorKind kind = IclErrorKind.InvalidData)
    : IclPsException(errorId ?? (field is null ? "InvalidModelConfig" : "InvalidModelConfigField"), kind, message, (object?)field ?? source)
{
    public string? ConfigSource { get; } = source;
    public string? Field { get; } = field;
}

/// <summary>
/// Architecture of a decoder transformer, read from and written to Hugging Face <c>config.json</c> field names
/// (GPT-2: n_embd, n_layer, n_head, n_positions; LLaMA: hidden_size, num_hidden_layers, ...). The regression family uses
/// GPT-2's names under model_type "iclps-regression", plus n_dims_in (read-in width) and n_dims_out (read-out width, 1);
/// for it <see cref="VocabSize"/> is the read-out width.
/// </summary>
public sealed record ModelConfig
{
    public required ModelFamily Family { get; init; }
    public required int VocabSize { get; init; }
    public required int ContextLength { get; init; }
    public required int DModel { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    /// <summary>Key/value heads for grouped-query attention (LLaMA); equal to <see cref="Heads"/> for GPT-2.</summary>
    public int KvHeads { get; init; }
    /// <summary>MLP hidden width: 4*d_model for GPT-2 unless n_inner says otherwise; intermediate_size for LLaMA.</summary>
    public int MlpHidden { get; init; }
    public double NormEps { get; init; } = 1e-5;
    public double RopeTheta { get; init; } = 10000.0;
    public bool TieEmbeddings { get; init; } = true;
    public int? BosTokenId { get; init; }
    public int? EosTokenId { get; init; }
    /// <summary>Read-in width d_in of the regression family (D + 1 channels for D-dimensional x); 0 for text families.</summary>
    public int InputDim { get; init; }

    public int DHead => DModel / Heads;

    /// <summary>
    /// Parameter count from the shapes the model will allocate (<see cref="ModelMemory.Components(ModelConfig)"/>);
    /// long.MaxValue for configs too large to count in a long.
    /// </summary>
    public long ParameterCount => (long)Int128.Min(ModelMemory.ParameterCount(this), long.MaxValue);

    public void Validate(string? source = null)
    {
        void Require(bool ok, string field, string what)
        {
            if (!ok) throw new ModelConfigException($"config{(source is null ? "" : $" '{source}'")}: field '{field}' {what}.", source, field);
        }
        if (Family == ModelFamily.Regression)
        {
            Require(InputDim > 0, "n_dims_in", "must be positive");
            Require(VocabSize == 1, "n_dims_out", "must be 1 (the read-out predicts one value per position)");
        }
        else
        {
            Require(VocabSize > 0, "vocab_size", "must be positive");
        }
        Require(ContextLength > 0, Family != ModelFamily.Llama ? "n_positions" : "max_position_embeddings", "must be positive");
        Require(DModel > 0, Family != ModelFamily.Llama ? "n_embd" : "hidden_size", "must be positive");
        Require(Layers > 0, Family != ModelFamily.Llama ? "n_layer" : "num_hidden_layers", "must be positive");
        Require(Heads > 0 && DModel % Heads == 0, Family != ModelFamily.Llama ? "n_head" : "num_attention_heads", $"must be positive and divide the model width {DModel}");
        Require(KvHeads > 0 && Heads % KvHeads == 0, "num_key_value_heads", $"must be positive and divide the head count {Heads}");
        Require(MlpHidden > 0, Family != ModelFamily.Llama ? "n_inner" : "intermediate_size", "must be positive");
        Require(NormEps > 0 && double.IsFinite(NormEps), Family != ModelFamily.Llama ? "layer_norm_epsilon" : "rms_norm_eps", "must be a positive number");
        Require(Family != ModelFamily.Llama || DHead % 2 == 0, "hidden_size", "must give an even head width for rotary embeddings");
        Require(RopeTheta > 0, "rope_theta", "must be positive");
    }

    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ModelConfigException($"config.json not found: '{path}'.", path, null, "ModelConfigNotFound", IclErrorKind.ObjectNotFound);
        return Parse(File.ReadAllText(path), path);
    }

    public static ModelConfig Parse(string json, string? source = null)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject
                ?? throw new ModelConfigException($"config '{source}' is not a JSON object.", source, null);
        }
        catch (JsonException e)
        {
            throw new ModelConfigException($"config '{source}' is not valid JSON: {e.Message}", source, null);
        }

        var modelType = Optional<string?>("model_type", null, "a string")?.ToLowerInvariant();
        var family = modelType switch
        {
            "gpt2" => ModelFamily.Gpt2,
            "llama" or "mistral" or "qwen2" => ModelFamily.Llama,
            RegressionModelType => ModelFamily.Regression,
            null when root.ContainsKey("n_embd") => ModelFamily.Gpt2,
            null when root.ContainsKey("hidden_size") => ModelFamily.Llama,
            _ => throw new ModelConfigException($"config '{source}': model_type '{modelType}' is not supported (gpt2, llama or {RegressionModelType}).", source, "model_type"),
        };

        int Int(string field, int? fallback = null)
        {
            var node = root[field];
            if (node is null)
            {
                return fallback ?? throw new ModelConfigException($"config '{source}': required field '{field}' is missing.", source, field);
            }
            try { return node.GetValue<int>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new ModelConfigException($"config '{source}': field '{field}' must be an integer, got {node.ToJsonString()}.", source, field);
            }
        }
        double Double(string field, double fallback) => Optional(field, fallback, "a number");
        // A wrongly typed optional field names itself instead of escaping as System.Text.Json's InvalidOperationException.
        T Optional<T>(string field, T fallback, string expected)
        {
            var node = root[field];
            if (node is null) return fallback;
            try { return node.GetValue<T>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new ModelConfigException($"config '{source}': field '{field}' must be {expected}, got {node.ToJsonString()}.", source, field);
            }
        }
        int? OptionalInt(string field) => root[field] is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;

        ModelConfig config;
        if (family != ModelFamily.Llama)
        {
            var activation = Optional<string?>("activation_function", null, "a string") ?? "gelu_new";
            if (activation is not ("gelu_new" or "gelu_pytorch_tanh"))
                throw new ModelConfigException($"config '{source}': activation_function '{activation}' is not supported (gelu_new).", source, "activation_function");
            var d = Int("n_embd");
            var heads = Int("n_head");
            var inner = root["n_inner"] is JsonValue innerValue && innerValue.TryGetValue<int>(out var n) ? n : 4L * d;
            // The default MLP width 4 x n_embd must itself be a valid tensor dimension.
            if (inner > int.MaxValue)
                throw new ModelConfigException(string.Create(CultureInfo.InvariantCulture,
                    $"config '{source}': field 'n_embd' = {d} is too large: its default MLP width 4 x n_embd = {inner} exceeds {int.MaxValue}."),
                    source, "n_embd", ModelMemory.ModelTooLargeErrorId, IclErrorKind.LimitsExceeded);
            var regression = family == ModelFamily.Regression;
            // Attention variants GPT2Model can be configured into and IclPs does not compute: refused, not run as plain GPT-2.
            if (!Optional("scale_attn_weights", true, "true or false"))
                throw new ModelConfigException($"config '{source}': scale_attn_weights false is not supported (attention scaled by 1/sqrt(d_head)).", source, "scale_attn_weights");
            if (Optional("scale_attn_by_inverse_layer_idx", false, "true or false"))
                throw new ModelConfigException($"config '{source}': scale_attn_by_inverse_layer_idx true is not supported.", source, "scale_attn_by_inverse_layer_idx");
            config = new ModelConfig
            {
                Family = family,
                VocabSize = regression ? Int("n_dims_out", 1) : Int("vocab_size"),
                InputDim = regression ? Int("n_dims_in") : 0,
                ContextLength = Int("n_positions", OptionalInt("n_ctx")),
                DModel = d,
                Layers = Int("n_layer"),
                Heads = heads,
                KvHeads = heads,
                MlpHidden = (int)inner,
                NormEps = Double("layer_norm_epsilon", 1e-5),
                TieEmbeddings = !regression && Optional("tie_word_embeddings", true, "true or false"),
                BosTokenId = OptionalInt("bos_token_id"),
                EosTokenId = OptionalInt("eos_token_id"),
            };
        }
        else
        {
            var activation = Optional<string?>("hidden_act", null, "a string") ?? "silu";
            if (activation != "silu")
                throw new ModelConfigException($"config '{source}': hidden_act '{activation}' is not supported (silu).", source, "hidden_act");
            if (root["rope_scaling"] is JsonObject)
                throw new ModelConfigException($"config '{source}': rope_scaling is not supported.", source, "rope_scaling");
            var heads = Int("num_attention_heads");
            var contextLength = Int("max_position_embeddings");
            // transformers v5 keeps the rotary settings in rope_parameters; only the plain rotation is computed here.
            var ropeTheta = Double("rope_theta", 10000.0);
            if (root["rope_parameters"] is JsonObject rope)
            {
                var ropeType = rope["rope_type"] is JsonValue t && t.TryGetValue<string>(out var name) ? name : "default";
                if (ropeType != "default")
                    throw new ModelConfigException($"config '{source}': rope_parameters.rope_type '{ropeType}' is not supported (default).", source, "rope_parameters");
                if (rope["rope_theta"] is JsonNode theta)
                    ropeTheta = theta is JsonValue v && v.TryGetValue<double>(out var value) ? value
                        : throw new ModelConfigException($"config '{source}': field 'rope_parameters.rope_theta' must be a number, got {theta.ToJsonString()}.", source, "rope_parameters");
            }
            // Mistral's and Qwen2's sliding-window attention sees only the last `sliding_window` tokens, which for sequences no
            // longer than the window is full attention: the context is cut to the window, so longer prompts are refused.
            var window = OptionalInt("sliding_window");
            var windowed = modelType == "qwen2" ? Optional("use_sliding_window", false, "true or false") && window is not null : window is not null;
            if (windowed && window < contextLength) contextLength = window.Value;
            config = new ModelConfig
            {
                Family = family,
                VocabSize = Int("vocab_size"),
                ContextLength = contextLength,
                DModel = Int("hidden_size"),
                Layers = Int("num_hidden_layers"),
                Heads = heads,
                KvHeads = Int("num_key_value_heads", heads),
                MlpHidden = Int("intermediate_size"),
                NormEps = Double("rms_norm_eps", 1e-6),
                RopeTheta = ropeTheta,
                TieEmbeddings = Optional("tie_word_embeddings", false, "true or false"),
                BosTokenId = OptionalInt("bos_token_id"),
                EosTokenId = OptionalInt("eos_token_id"),
            };
        }
        config.Validate(source);
        return config;
    }

    /// <summary>Hugging Face config.json text that transformers' AutoConfig reads back to the same architecture.</summary>
    public string ToHfJson()
    {
        var o = new JsonObject();
        if (Family != ModelFamily.Llama)
        {
            if (Family == ModelFamily.Regression)
            {
                // Not a transformers architecture: only IclPs reads it back.
                o["architectures"] = new JsonArray("IclPsRegressionModel");
                o["model_type"] = RegressionModelType;
                o["n_dims_in"] = InputDim;
                o["n_dims_out"] = VocabSize;
            }
            else
            {
                o["architectures"] = new JsonArray("GPT2LMHeadModel");
                o["model_type"] = "gpt2";
                o["vocab_size"] = VocabSize;
            }
            o["n_positions"] = ContextLength;
            o["n_ctx"] = ContextLength;
            o["n_embd"] = DModel;
            o["n_layer"] = Layers;
            o["n_head"] = Heads;
            o["n_inner"] = MlpHidden;
            o["activation_function"] = "gelu_new";
            o["layer_norm_epsilon"] = NormEps;
            o["resid_pdrop"] = 0.0;
            o["embd_pdrop"] = 0.0;
            o["attn_pdrop"] = 0.0;
        }
        else
        {
            o["architectures"] = new JsonArray("LlamaForCausalLM");
            o["model_type"] = "llama";
            o["vocab_size"] = VocabSize;
            o["max_position_embeddings"] = ContextLength;
            o["hidden_size"] = DModel;
            o["num_hidden_layers"] = Layers;
            o["num_attention_heads"] = Heads;
            o["num_key_value_heads"] = KvHeads;
            o["intermediate_size"] = MlpHidden;
            o["hidden_act"] = "silu";
            o["rms_norm_eps"] = NormEps;
            o["rope_theta"] = RopeTheta;
            o["attention_bias"] = false;
            o["mlp_bias"] = false;
        }
        if (Family != ModelFamily.Regression) o["tie_word_embeddings"] = TieEmbeddings;
        if (BosTokenId is int bos) o["bos_token_id"] = bos;
        if (EosTokenId is int eos) o["eos_token_id"] = eos;
        o["torch_dtype"] = "float32";
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Named architectures that need no download: tiny ones for tests, GPT-2 small for benchmarks.</summary>
    public static IReadOnlyDictionary<string, ModelConfig> Presets { get; } = new Dictionary<string, ModelConfig>(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt2-tiny"] = new() { Family = ModelFamily.Gpt2, VocabSize = 512, ContextLength = 256, DModel = 64, Layers = 2, Heads = 4, KvHeads = 4, MlpHidden = 256 },
        // Six blocks at gpt2-tiny's width: deep enough that layers / 3 (Todd et al.'s injection depth) is a middle block.
        ["gpt2-tiny-6l"] = new() { Family = ModelFamily.Gpt2, VocabSize = 512, ContextLength = 256, DModel = 64, Layers = 6, Heads = 4, KvHeads = 4, MlpHidden = 256 },
        ["gpt2-mini"] = new() { Family = ModelFamily.Gpt2, VocabSize = 512, ContextLength = 512, DModel = 128, Layers = 4, Heads = 4, KvHeads = 4, MlpHidden = 512 },
        ["gpt2-small"] = new() { Family = ModelFamily.Gpt2, VocabSize = 50257, ContextLength = 1024, DModel = 768, Layers = 12, Heads = 12, KvHeads = 12, MlpHidden = 3072 },
        ["llama-tiny"] = new() { Family = ModelFamily.Llama, VocabSize = 512, ContextLength = 256, DModel = 64, Layers = 2, Heads = 4, KvHeads = 2, MlpHidden = 176, NormEps = 1e-6, TieEmbeddings = false },
        // Four blocks at llama-tiny's width: the size of the shipped mixture model, whose q_proj and v_proj take LoRA adapters.
        ["llama-tiny-4l"] = new() { Family = ModelFamily.Llama, VocabSize = 512, ContextLength = 256, DModel = 64, Layers = 4, Heads = 4, KvHeads = 2, MlpHidden = 176, NormEps = 1e-6, TieEmbeddings = false },
    };

    /// <summary>model_type of the regression family's config.json.</summary>
    public const string RegressionModelType = "iclps-regression";

    /// <summary>
    /// Regression architectures (docs/science.md §2), kept apart from <see cref="Presets"/> because they take vectors, not
    /// tokens. Raventós base (8 layers, 128 wide, 2 heads) and small (4, 64, 2) with d_in = 9 (D = 8), and a tiny one for
    /// tests (D = 4). Positions reach 256 tokens so longer-than-trained prompts can be evaluated; set InputDim with
    /// <c>with { InputDim = D + 1 }</c> for other dimensions.
    /// </summary>
    public static IReadOnlyDictionary<string, ModelConfig> RegressionPresets { get; } = new Dictionary<string, ModelConfig>(StringComparer.OrdinalIgnoreCase)
    {
        ["regression-base"] = Regression(inputDim: 9, dModel: 128, layers: 8, heads: 2, contextLength: 256),
        ["regression-small"] = Regression(inputDim: 9, dModel: 64, layers: 4, heads: 2, contextLength: 256),
        ["regression-tiny"] = Regression(inputDim: 5, dModel: 32, layers: 2, heads: 2, contextLength: 64),
    };

    /// <summary>A regression-family architecture with GPT-2 defaults (MLP 4*d_model, LayerNorm eps 1e-5).</summary>
    public static ModelConfig Regression(int inputDim, int dModel, int layers, int heads, int contextLength) => new()
    {
        Family = ModelFamily.Regression, VocabSize = 1, InputDim = inputDim, ContextLength = contextLength, DModel = dModel,
        Layers = layers, Heads = heads, KvHeads = heads, MlpHidden = 4 * dModel, TieEmbeddings = false,
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Family} L={Layers} d={DModel} H={Heads}{(KvHeads != Heads ? $"/{KvHeads}kv" : "")} ctx={ContextLength} {(Family == ModelFamily.Regression ? $"d_in={InputDim}" : $"vocab={VocabSize}")}");
}
