using IclPs.Engine.Checkpoints;
using IclPs.Engine.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Models;

/// <summary>A network with the tokenizer that feeds it: what cmdlets pass along the pipeline as "a model".</summary>
public sealed class IclModel(TransformerModel network, ITextTokenizer tokenizer, string name, string source) : IDisposable
{
    public TransformerModel Network { get; } = network;
    public ITextTokenizer Tokenizer { get; } = tokenizer;
    /// <summary>Short name shown in results (preset, folder name, or user-given).</summary>
    public string Name { get; } = name;
    /// <summary>Where it came from: a checkpoint path, or "preset:NAME seed:N", so results can be rerun.</summary>
    public string Source { get; } = source;
    public ModelConfig Config => Network.Config;

    /// <summary>A randomly initialised preset or config with the byte-level tokenizer (every preset's vocabulary holds its 260 ids).</summary>
    public static IclModel CreateRandom(ModelConfig config, long seed, string? name = null, Device? device = null, ScalarType dtype = ScalarType.Float32, string? configDescription = null)
    {
        var tokenizer = SimpleTokenizer.Bytes();
        CheckVocabulary(tokenizer, config, configDescription ?? config.ToString());
        var network = TransformerModel.Create(config, device, dtype, seed);
        var source = $"{configDescription ?? config.ToString()} seed:{seed}";
        network.Identity = source;
        return new IclModel(network, tokenizer, name ?? configDescription ?? config.Family.ToString(), source);
    }

    /// <summary>Loads a Hugging Face style checkpoint folder: config.json, safetensors weights and tokenizer files.</summary>
    public static IclModel Load(string directory, Device? device = null, ScalarType? dtype = null, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(directory);
        // Checked first: otherwise a missing folder would surface as a missing tokenizer.
        if (!Directory.Exists(full))
        {
            var problem = File.Exists(full) ? "is a file, not a checkpoint folder" : "not found";
            throw new CheckpointException(CheckpointErrorIds.CheckpointNotFound, IclErrorKind.ObjectNotFound, $"Checkpoint folder '{full}' {problem}.", full);
        }
        var tokenizer = TokenizerLoader.Load(full);
        var config = HfCheckpoint.ReadConfig(full);
        CheckVocabulary(tokenizer, config, full);
        var network = HfCheckpoint.Load(full, device, dtype, progress, cancellationToken);
        return new IclModel(network, tokenizer, new DirectoryInfo(full).Name, full);
    }

    /// <summary>Writes config, weights and tokenizer; tokenizer files of other kinds left from an earlier save are removed so loading finds this one.</summary>
    public void Save(string directory, long? maxShardBytes = null, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        HfCheckpoint.Save(Network, directory, maxShardBytes, progress, cancellationToken);
        var staged = Path.Combine(directory, $".tokenizer-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Tokenizer.Save(staged);
            var written = Directory.GetFiles(staged).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
            foreach (var stale in TokenizerLoader.TokenizerFileNames.Where(f => !written.Contains(f)))
            {
                File.Delete(Path.Combine(directory, stale));
            }
            foreach (var file in written)
            {
                File.Move(Path.Combine(staged, file!), Path.Combine(directory, file!), overwrite: true);
            }
        }
        finally
        {
            if (Directory.Exists(staged)) Directory.Delete(staged, recursive: true);
        }
    }

    private static void CheckVocabulary(ITextTokenizer tokenizer, ModelConfig config, string where)
    {
        if (tokenizer.VocabSize > config.VocabSize)
            throw new IclPsException("TokenizerVocabularyTooLarge", IclErrorKind.InvalidData,
                $"Tokenizer {tokenizer.Name} has {tokenizer.VocabSize} ids but the model in '{where}' has vocab_size {config.VocabSize}.", where);
    }

    public void Dispose() => Network.Dispose();

    public override string ToString() => $"{Name} ({Config})";
}
