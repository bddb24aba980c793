using IclPs.Engine.Adapters;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Storage;
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

    /// <summary>
    /// A randomly initialised preset or config with <paramref name="tokenizer"/>, by default <see cref="DefaultTokenizer"/>.
    /// </summary>
    public static IclModel CreateRandom(ModelConfig config, long seed, string? name = null, Device? device = null, ScalarType dtype = ScalarType.Float32,
        string? configDescription = null, ITextTokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        tokenizer ??= DefaultTokenizer(config);
        CheckVocabulary(tokenizer, config, configDescription ?? config.ToString());
        device ??= TransformerModel.DefaultDevice();
        config.Validate(configDescription);
        ModelMemory.EnsureFits(config, dtype, device, configDescription);
        var network = TransformerModel.Create(config, device, dtype, seed);
        var source = $"{configDescription ?? config.ToString()} seed:{seed}";
        network.Identity = source;
        return new IclModel(network, tokenizer, name ?? configDescription ?? config.Family.ToString(), source);
    }

    /// <summary>
    /// The tokenizer of a random model of <paramref name="config"/>: a GPT-2 model with GPT-2's vocabulary size
    /// (gpt2-small) gets GPT-2's own BPE (<see cref="Gpt2Vocabulary"/>), so its ids mean what they mean to GPT-2 and a saved
    /// folder loads in Hugging Face as a whole; every other model gets the byte-level tokenizer (every preset's vocabulary
    /// holds its 260 ids).
    /// </summary>
    public static ITextTokenizer DefaultTokenizer(ModelConfig config) =>
        Gpt2Vocabulary.Fits(config) ? Gpt2Vocabulary.GetTokenizer() : SimpleTokenizer.Bytes();

    /// <summary>
    /// Loads a Hugging Face style checkpoint folder: config.json, safetensors weights and tokenizer files. Weights holding
    /// NaN or infinity are refused, naming the tensor, unless <paramref name="allowNonFinite"/>.
    /// </summary>
    public static IclModel Load(string directory, Device? device = null, ScalarType? dtype = null, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default, bool allowNonFinite = false)
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
        var network = HfCheckpoint.Load(full, device, dtype, progress, cancellationToken, allowNonFinite);
        return new IclModel(network, tokenizer, new DirectoryInfo(full).Name, full);
    }

    /// <summary>
    /// Writes config, weights and tokenizer into <paramref name="directory"/> (created if missing) as one set: all of them
    /// are put in place or none is (<see cref="StagedFileSet"/>), so a failed or cancelled save leaves the previous checkpoint
    /// loadable. Tokenizer files of other kinds left from an earlier save are removed in the same step, so loading finds
    /// this one; so are Hugging Face's descriptions of a GPT-2 BPE (tokenizer_config.json, special_tokens_map.json,
    /// tokenizer.json) when the vocab.json they describe is replaced by another kind. A GPT-2 BPE writes them afresh,
    /// with the model's context length as model_max_length. The folder is locked for the save (<see cref="WriterLock"/>:
    /// a second writer gets FolderInUse), and leftovers of writers that died in it are removed first; both are reported
    /// to <paramref name="progress"/>.
    /// </summary>
    public void Save(string directory, long? maxShardBytes = null, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        // The weights file would silently lack the adapter; refused before the folder is touched.
        if (Network.Adapter is not null)
            throw new IclPsException(LoraErrorIds.AdapterNotMerged, IclErrorKind.InvalidOperation,
                $"Model {Name} carries a LoRA adapter kept separate from its weights; merge it into the weights first, or save the adapter on its own.", Name);
        var folder = Path.GetFullPath(directory);
        var created = !Directory.Exists(folder);
        var saved = false;
        try
        {
            using var folderLock = WriterLock.AcquireFolder(folder, $"saving model {Name}");
            if (folderLock.Replaced is { } gone) progress?.Report($"Took over the lock of '{folder}' left by {gone}, which is gone.");
            foreach (var cleaned in TempFiles.RemoveStale(folder)) progress?.Report(cleaned.Message);
            using var set = StagedFileSet.Begin(folder, "checkpoint");
            HfCheckpoint.WriteInto(set, Network, maxShardBytes, progress, cancellationToken);
            Tokenizer.Save(set.Folder, Config.ContextLength);
            var written = Directory.GetFiles(set.Folder).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
            var replacesGpt2Bpe = !written.Contains(Gpt2BpeTokenizer.VocabFileName) && File.Exists(Path.Combine(folder, Gpt2BpeTokenizer.VocabFileName));
            var owned = replacesGpt2Bpe ? TokenizerLoader.TokenizerFileNames.Concat(Gpt2BpeTokenizer.HfDescriptionFileNames) : TokenizerLoader.TokenizerFileNames;
            foreach (var stale in owned.Where(f => !written.Contains(f))) set.Remove(stale);
            cancellationToken.ThrowIfCancellationRequested();
            set.Commit(cancellationToken);
            saved = true;
        }
        finally
        {
            // A folder this save created is not left behind empty.
            if (!saved && created) TryRemoveEmptyFolder(folder);
        }
    }

    private static void TryRemoveEmptyFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
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
