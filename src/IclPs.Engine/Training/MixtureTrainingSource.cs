using System.Globalization;
using IclPs.Engine.Data;
using IclPs.Engine.TextTasks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Training;

/// <summary>
/// Feeds <see cref="IclTrainer"/> few-shot sequences from several symbolic task families at once: each sequence of a batch
/// comes from component c with probability <see cref="Probabilities"/>[c] (its weight over the sum of weights), and then
/// from that component's training tasks, shots and sampler. One draw from the trainer's generator fixes the step's
/// choices, so the trainer's seed fixes the data as <see cref="IBatchSource"/> requires. Every component must share the
/// tokenizer, context length, loss scope and BOS setting, since they are encoded into one batch.
/// </summary>
public sealed class MixtureTrainingSource : IBatchSource
{
    private readonly MixtureComponent[] _components;
    private readonly double[] _cumulative;

    public MixtureTrainingSource(IReadOnlyList<MixtureComponent> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        if (components.Count == 0)
            throw new IclPsException("NoMixtureComponents", IclErrorKind.InvalidArgument, "A mixture needs at least one task family.", components);
        _components = components.ToArray();
        foreach (var c in _components)
        {
            ArgumentNullException.ThrowIfNull(c);
            if (!(c.Weight > 0) || !double.IsFinite(c.Weight))
                throw new IclPsException("InvalidMixtureWeight", IclErrorKind.InvalidArgument,
                    string.Create(CultureInfo.InvariantCulture, $"The weight of '{c.Name}' must be a finite number above 0, got {c.Weight}."), c.Weight);
        }
        var duplicate = _components.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new IclPsException("DuplicateMixtureComponent", IclErrorKind.InvalidArgument, $"Task family '{duplicate.Key}' is in the mixture twice.", duplicate.Key);
        var first = _components[0].Source;
        var mismatch = _components.FirstOrDefault(c => c.Source.Tokenizer.Name != first.Tokenizer.Name || c.Source.ContextLength != first.ContextLength
            || c.Source.Scope != first.Scope || c.Source.AddBos != first.AddBos);
        if (mismatch is not null)
            throw new IclPsException("MixtureEncodingMismatch", IclErrorKind.InvalidArgument,
                $"'{mismatch.Name}' is encoded differently (tokenizer, context length, loss scope or BOS) from '{_components[0].Name}'; one batch needs one encoding.", mismatch.Name);

        var sum = _components.Sum(c => c.Weight);
        Probabilities = _components.Select(c => c.Weight / sum).ToArray();
        _cumulative = new double[_components.Length];
        var running = 0.0;
        for (var i = 0; i < _components.Length; i++) _cumulative[i] = running += Probabilities[i];
        Description = "mixture of " + string.Join("; ", _components.Select((c, i) =>
            string.Create(CultureInfo.InvariantCulture, $"{c.Name} p={Probabilities[i]:0.####} ({new SymbolicTrainingSource(c.Source).Description})")));
    }

    public IReadOnlyList<MixtureComponent> Components => _components;
    /// <summary>The chance that a sequence comes from each component, in component order; they sum to 1.</summary>
    public IReadOnlyList<double> Probabilities { get; }
    public string Description { get; }

    /// <summary>The component index of each of the <paramref name="batchSize"/> sequences drawn with <paramref name="stream"/>.</summary>
    public int[] ComponentsOf(int batchSize, long stream)
    {
        var rng = new SeededRandom(stream, 0);
        var picks = new int[batchSize];
        for (var r = 0; r < batchSize; r++)
        {
            // 53 random bits: a uniform double in [0, 1).
            var u = (rng.NextUInt64() >> 11) * (1.0 / (1UL << 53));
            var c = Array.FindIndex(_cumulative, edge => u < edge);
            // Rounding can leave the last edge a hair below 1.
            picks[r] = c < 0 ? _cumulative.Length - 1 : c;
        }
        return picks;
    }

    /// <summary>The sequences of one step, in batch order: row r from component <see cref="ComponentsOf"/>[r].</summary>
    public IReadOnlyList<SymbolicSequence> Sample(int batchSize, long stream)
    {
        if (batchSize < 1)
            throw new IclPsException("InvalidBatchSize", IclErrorKind.InvalidArgument, $"Batch size must be at least 1, got {batchSize}.", batchSize);
        var picks = ComponentsOf(batchSize, stream);
        var rows = new SymbolicSequence[batchSize];
        for (var c = 0; c < _components.Length; c++)
        {
            var count = picks.Count(p => p == c);
            if (count == 0) continue;
            var s = _components[c].Source;
            // Each component samples from its own stream of the step, so adding a component leaves the others' draws alone.
            var sequences = s.Sampler.Sample(count, s.Shots, s.Seed, (long)new SeededRandom(stream, c + 1).NextUInt64(), s.Tasks);
            var next = 0;
            for (var r = 0; r < batchSize; r++) if (picks[r] == c) rows[r] = sequences[next++];
        }
        return rows;
    }

    public TrainingBatch Next(int step, int batchSize, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        long stream;
        using (var draw = randint(0, long.MaxValue, [1], dtype: ScalarType.Int64, generator: generator)) stream = draw.item<long>();
        var s = _components[0].Source;
        using var batch = SymbolicSequenceSampler.Encode(Sample(batchSize, stream), s.Tokenizer, s.ContextLength, s.Scope, s.AddBos);
        return batch.ToTrainingBatch();
    }
}
