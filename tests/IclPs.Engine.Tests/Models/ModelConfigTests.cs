using System.Text.Json.Nodes;
using IclPs.Engine.Models;

namespace IclPs.Engine.Tests.Models;

public sealed class ModelConfigTests
{
    private const string Gpt2Json = """
        {"model_type": "gpt2", "vocab_size": 50257, "n_positions": 1024, "n_ctx": 1024, "n_embd": 768, "n_layer": 12,
         "n_head": 12, "n_inner": null, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05,
         "bos_token_id": 50256, "eos_token_id": 50256, "architectures": ["GPT2LMHeadModel"]}
        """;

    private const string LlamaJson = """
        {"model_type": "llama", "vocab_size": 32000, "max_position_embeddings": 2048, "hidden_size": 2048,
         "num_hidden_layers": 22, "num_attention_heads": 32, "num_key_value_heads": 4, "intermediate_size": 5632,
         "hidden_act": "silu", "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "rope_scaling": null,
         "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2}
        """;

    [Fact]
    public void Parses_a_gpt2_config_with_hugging_face_field_names()
    {
        var c = ModelConfig.Parse(Gpt2Json);
        Assert.Equal(new ModelConfig
        {
            Family = ModelFamily.Gpt2, VocabSize = 50257, ContextLength = 1024, DModel = 768, Layers = 12, Heads = 12, KvHeads = 12,
            MlpHidden = 3072, NormEps = 1e-5, TieEmbeddings = true, BosTokenId = 50256, EosTokenId = 50256,
        }, c);
        Assert.Equal(64, c.DHead);
        Assert.Equal(124_439_808, c.ParameterCount);
    }

    [Fact]
    public void Parses_a_llama_config_with_grouped_query_attention_and_rope_theta()
    {
        var c = ModelConfig.Parse(LlamaJson);
        Assert.Equal(new ModelConfig
        {
            Family = ModelFamily.Llama, VocabSize = 32000, ContextLength = 2048, DModel = 2048, Layers = 22, Heads = 32, KvHeads = 4,
            MlpHidden = 5632, NormEps = 1e-5, RopeTheta = 500000, TieEmbeddings = false, BosTokenId = 1, EosTokenId = 2,
        }, c);
        // TinyLlama-1.1B's published parameter count.
        Assert.Equal(1_100_048_384, c.ParameterCount);
    }

    [Fact]
    public void Reads_rope_theta_from_transformers_v5_rope_parameters_and_cuts_the_context_to_a_sliding_window()
    {
        var v5 = Without(With(LlamaJson, "rope_parameters", """{"rope_type": "default", "rope_theta": 500000.0}"""), "rope_theta");
        Assert.Equal(ModelConfig.Parse(LlamaJson), ModelConfig.Parse(v5));
        Assert.Equal(10000.0, ModelConfig.Parse(Without(LlamaJson, "rope_theta")).RopeTheta);
        // Within a sliding window attention is full, so the context is cut to the window; a longer window, or a Qwen2 window
        // not in use, leaves it as it is.
        var mistral = With(LlamaJson, "model_type", "\"mistral\"");
        Assert.Equal(1024, ModelConfig.Parse(With(mistral, "sliding_window", "1024")).ContextLength);
        Assert.Equal(2048, ModelConfig.Parse(With(mistral, "sliding_window", "4096")).ContextLength);
        Assert.Equal(2048, ModelConfig.Parse(With(mistral, "sliding_window", "null")).ContextLength);
        var qwen = With(With(LlamaJson, "model_type", "\"qwen2\""), "sliding_window", "1024");
        Assert.Equal(2048, ModelConfig.Parse(qwen).ContextLength);
        Assert.Equal(1024, ModelConfig.Parse(With(qwen, "use_sliding_window", "true")).ContextLength);
        Assert.Equal(ModelConfig.Parse(Gpt2Json), ModelConfig.Parse(With(With(Gpt2Json, "scale_attn_weights", "true"), "scale_attn_by_inverse_layer_idx", "false")));
    }

    public static TheoryData<string> ConfigsToRoundTrip()
    {
        var data = new TheoryData<string>(ModelConfig.Presets.Keys.Select(k => "preset:" + k));
        foreach (var name in TestModels.Configs.Keys) data.Add("test:" + name);
        data.Add("json:gpt2");
        data.Add("json:llama");
        return data;
    }

    [Theory]
    [MemberData(nameof(ConfigsToRoundTrip))]
    public void ToHfJson_round_trips(string which)
    {
        var config = which.Split(':') switch
        {
            ["preset", var n] => ModelConfig.Presets[n],
            ["test", var n] => TestModels.Configs[n],
            ["json", "gpt2"] => ModelConfig.Parse(Gpt2Json),
            _ => ModelConfig.Parse(LlamaJson),
        };
        Assert.Equal(config, ModelConfig.Parse(config.ToHfJson()));
    }

    public static TheoryData<string, string, string?> BadConfigs() => new()
    {
        // description, JSON, the field the error must name (null: the document as a whole)
        { "missing n_embd", Without(Gpt2Json, "n_embd"), "n_embd" },
        { "missing hidden_size", Without(LlamaJson, "hidden_size"), "hidden_size" },
        { "n_head not an integer", With(Gpt2Json, "n_head", "\"twelve\""), "n_head" },
        { "rope_theta not a number", With(LlamaJson, "rope_theta", "\"big\""), "rope_theta" },
        { "tie_word_embeddings not a boolean", With(LlamaJson, "tie_word_embeddings", "\"no\""), "tie_word_embeddings" },
        { "model_type not a string", With(Gpt2Json, "model_type", "2"), "model_type" },
        { "activation_function not a string", With(Gpt2Json, "activation_function", "[]"), "activation_function" },
        { "n_head does not divide n_embd", With(Gpt2Json, "n_head", "7"), "n_head" },
        { "num_attention_heads does not divide hidden_size", With(LlamaJson, "num_attention_heads", "30"), "num_attention_heads" },
        { "num_key_value_heads does not divide heads", With(LlamaJson, "num_key_value_heads", "5"), "num_key_value_heads" },
        { "negative vocab_size", With(LlamaJson, "vocab_size", "-1"), "vocab_size" },
        { "unsupported model_type", With(Gpt2Json, "model_type", "\"bert\""), "model_type" },
        { "unsupported activation", With(Gpt2Json, "activation_function", "\"relu\""), "activation_function" },
        { "rope_scaling", With(LlamaJson, "rope_scaling", """{"type": "linear", "factor": 2.0}"""), "rope_scaling" },
        { "rope_parameters with scaling", With(LlamaJson, "rope_parameters", """{"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0}"""), "rope_parameters" },
        { "rope_parameters.rope_theta not a number", With(LlamaJson, "rope_parameters", """{"rope_type": "default", "rope_theta": "big"}"""), "rope_parameters" },
        { "gpt2 without attention scaling", With(Gpt2Json, "scale_attn_weights", "false"), "scale_attn_weights" },
        { "gpt2 scaled by inverse layer index", With(Gpt2Json, "scale_attn_by_inverse_layer_idx", "true"), "scale_attn_by_inverse_layer_idx" },
        { "not JSON", "{\"n_embd\": 768,", null },
        { "a JSON array", "[1, 2]", null },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Bad_configs_raise_ModelConfigException_naming_the_field(string description, string json, string? field)
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(json, "bad/config.json"));
        Assert.Equal(field, e.Field);
        Assert.Equal("bad/config.json", e.ConfigSource);
        Assert.Equal(field is null ? "InvalidModelConfig" : "InvalidModelConfigField", e.ErrorId);
        Assert.Equal(IclErrorKind.InvalidData, e.Kind);
        Assert.Contains("bad/config.json", e.Message);
        if (field is not null) Assert.True(e.Message.Contains(field), $"{description}: '{e.Message}' does not name '{field}'.");
    }

    [Fact]
    public void A_missing_file_is_reported_as_not_found()
    {
        var path = Path.Combine(Path.GetTempPath(), $"iclps-missing-{Guid.NewGuid():N}", "config.json");
        var e = Assert.Throws<ModelConfigException>(() => ModelConfig.Load(path));
        Assert.Equal(IclErrorKind.ObjectNotFound, e.Kind);
        Assert.Equal(path, e.Target);
    }

    private static string Without(string json, string field)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        o.Remove(field);
        return o.ToJsonString();
    }

    private static string With(string json, string field, string valueJson)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        o[field] = JsonNode.Parse(valueJson);
        return o.ToJsonString();
    }
}
