using System.Text.Json;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Tokenization;
using TorchSharp;

namespace IclPs.Engine.Tests.Checkpoints;

public sealed class IclModelStoreTests
{
    public IclModelStoreTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void SaveThenLoadKeepsWeightsTokenizerAndLogits()
    {
        using var folder = new TempFolder();
        using var model = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"], seed: 3, name: "tiny");
        model.Save(folder.Path);

        using var loaded = IclModel.Load(folder.Path);
        Assert.Equal(model.Tokenizer.Encode("hello, world"), loaded.Tokenizer.Encode("hello, world"));
        Assert.Equal(Path.GetFullPath(folder.Path), loaded.Source);
        using var ids = torch.tensor(model.Tokenizer.Encode("abc abc").Select(i => (long)i).ToArray()).unsqueeze(0);
        using var a = model.Network.Forward(ids);
        using var b = loaded.Network.Forward(ids);
        Assert.Equal(0f, (a - b).abs().max().item<float>());
    }

    [Fact]
    public void SaveRemovesAnotherTokenizerKindLeftInTheFolder()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File(Gpt2BpeTokenizer.VocabFileName), "{}");
        File.WriteAllText(folder.File(Gpt2BpeTokenizer.MergesFileName), "#version: 0.2\n");
        using var model = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"], seed: 1);
        model.Save(folder.Path);

        Assert.False(File.Exists(folder.File(Gpt2BpeTokenizer.VocabFileName)));
        Assert.True(File.Exists(folder.File(SimpleTokenizer.FileName)));
        Assert.Empty(Directory.GetDirectories(folder.Path));
    }

    [Fact]
    public void Gpt2VocabularyModelSavesAndLoadsGpt2sBpeAsAWholeHuggingFaceFolder()
    {
        using var folder = new TempFolder();
        var config = ModelConfig.Presets["gpt2-tiny"] with { VocabSize = Gpt2Vocabulary.Size };
        using var model = IclModel.CreateRandom(config, seed: 5, name: "tiny-gpt2-vocab");
        Assert.IsType<Gpt2BpeTokenizer>(model.Tokenizer);
        model.Save(folder.Path);

        Assert.Equal(["config.json", "merges.txt", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.json"],
            Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetDirectories(folder.Path));
        using (var tokenizerConfig = JsonDocument.Parse(File.ReadAllBytes(folder.File(Gpt2BpeTokenizer.TokenizerConfigFileName))))
            Assert.Equal(config.ContextLength, tokenizerConfig.RootElement.GetProperty("model_max_length").GetInt32());

        using var loaded = IclModel.Load(folder.Path);
        Assert.IsType<Gpt2BpeTokenizer>(loaded.Tokenizer);
        foreach (var text in Tokenization.Gpt2VocabularyTests.VariedStrings(50, seed: 56))
            Assert.Equal(model.Tokenizer.Encode(text, addBos: true), loaded.Tokenizer.Encode(text, addBos: true));
        var prompt = loaded.Tokenizer.Encode("Hello world");
        Assert.Equal(new[] { 15496, 995 }, prompt);
        using var ids = torch.tensor(prompt.Select(i => (long)i).ToArray()).unsqueeze(0);
        using var a = model.Network.Forward(ids);
        using var b = loaded.Network.Forward(ids);
        Assert.Equal(0f, (a - b).abs().max().item<float>());
    }

    [Theory]
    [InlineData("gpt2-tiny", 512)]
    [InlineData("gpt2-tiny", 50304)]
    [InlineData("llama-tiny", 50257)]
    public void OtherVocabulariesKeepTheByteTokenizerFile(string preset, int vocabSize)
    {
        using var folder = new TempFolder();
        using var model = IclModel.CreateRandom(ModelConfig.Presets[preset] with { VocabSize = vocabSize }, seed: 1);
        Assert.IsType<SimpleTokenizer>(model.Tokenizer);
        model.Save(folder.Path);
        Assert.Equal(["config.json", SimpleTokenizer.FileName, "model.safetensors"],
            Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ByteTokenizerSavedOverAGpt2BpeRemovesItsHuggingFaceDescriptions()
    {
        using var folder = new TempFolder();
        using (var gpt2 = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"] with { VocabSize = Gpt2Vocabulary.Size }, seed: 2))
            gpt2.Save(folder.Path);
        using var bytes = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"], seed: 2);
        bytes.Save(folder.Path);

        Assert.Equal(["config.json", SimpleTokenizer.FileName, "model.safetensors"],
            Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var loaded = IclModel.Load(folder.Path);
        Assert.IsType<SimpleTokenizer>(loaded.Tokenizer);
    }

    [Fact]
    public void CancelledSaveOverAGpt2BpeLeavesEveryTokenizerFileAsItWas()
    {
        using var folder = new TempFolder();
        using (var gpt2 = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"] with { VocabSize = Gpt2Vocabulary.Size }, seed: 3))
            gpt2.Save(folder.Path);
        var before = Directory.GetFiles(folder.Path).Order(StringComparer.Ordinal).ToDictionary(f => f, File.ReadAllBytes);

        using var bytes = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"], seed: 3);
        using var cts = new CancellationTokenSource();
        // Cancelled at the first progress report, while the new checkpoint is being staged.
        var progress = new CancelOnReport(cts);
        Assert.ThrowsAny<OperationCanceledException>(() => bytes.Save(folder.Path, progress: progress, cancellationToken: cts.Token));

        var after = Directory.GetFiles(folder.Path).Order(StringComparer.Ordinal).ToDictionary(f => f, File.ReadAllBytes);
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (file, content) in before) Assert.Equal(content, after[file]);
        using var loaded = IclModel.Load(folder.Path);
        Assert.IsType<Gpt2BpeTokenizer>(loaded.Tokenizer);
    }

    private sealed class CancelOnReport(CancellationTokenSource cts) : IProgress<string>
    {
        public void Report(string value) => cts.Cancel();
    }

    [Fact]
    public void ATokenizerConfigOfAnotherKindIsLeftAlone()
    {
        // Without a vocab.json beside it, it does not describe a GPT-2 BPE (a LLaMA folder's, say), so it is not IclPs's to remove.
        using var folder = new TempFolder();
        folder.File(Gpt2BpeTokenizer.TokenizerConfigFileName, "{\"tokenizer_class\": \"LlamaTokenizer\"}");
        using var model = IclModel.CreateRandom(ModelConfig.Presets["gpt2-tiny"], seed: 1);
        model.Save(folder.Path);
        Assert.Equal("{\"tokenizer_class\": \"LlamaTokenizer\"}", File.ReadAllText(folder.File(Gpt2BpeTokenizer.TokenizerConfigFileName)));
    }

    [Fact]
    public void TokenizerLargerThanModelVocabularyIsRejected()
    {
        var config = ModelConfig.Presets["gpt2-tiny"] with { VocabSize = 100 };
        var error = Assert.Throws<IclPsException>(() => IclModel.CreateRandom(config, seed: 0));
        Assert.Equal("TokenizerVocabularyTooLarge", error.ErrorId);
    }

    [Fact]
    public void MissingFolderIsCheckpointNotFoundNotAMissingTokenizer()
    {
        using var folder = new TempFolder();
        var missing = folder.File("nowhere");
        var error = Assert.Throws<IclPs.Engine.Checkpoints.CheckpointException>(() => IclModel.Load(missing));
        Assert.Equal("CheckpointNotFound", error.ErrorId);
        Assert.Equal(IclErrorKind.ObjectNotFound, error.Kind);
        Assert.Equal(missing, error.Target);
    }
}
