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
