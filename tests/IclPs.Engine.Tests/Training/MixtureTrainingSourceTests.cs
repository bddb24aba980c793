using IclPs.Engine.Native;
using IclPs.Engine.TextTasks;
using IclPs.Engine.Tokenization;
using IclPs.Engine.Training;
using TorchSharp;

namespace IclPs.Engine.Tests.Training;

public sealed class MixtureTrainingSourceTests
{
    private const int ContextLength = 128, Shots = 8;
    private static readonly KeyedLookupTaskFamily Keyed = new(new KeyedLookupTaskFamilyOptions { TrainTasks = 40, HeldOutTasks = 8 });
    private static readonly TransductionTaskFamily Words = new(new TransductionTaskFamilyOptions { TrainTasks = 40, HeldOutTasks = 8 });

    public MixtureTrainingSourceTests() => TorchNativeLoader.EnsureLoaded();

    private static SymbolicBatchSource Source(IReadOnlyList<SymbolicTask> tasks, int contextLength = ContextLength) =>
        new(tasks, new SymbolicSequenceSampler(), SimpleTokenizer.Bytes(), contextLength, batchSize: 1, Shots, seed: 3);

    private static MixtureTrainingSource Mixture(double keyedWeight = 3, double wordsWeight = 1) => new(
    [
        new MixtureComponent("KeyedLookup", Source(Keyed.TrainTasks), keyedWeight),
        new MixtureComponent("Transduction", Source(Words.TrainTasks), wordsWeight),
    ]);

    [Fact]
    public void SequencesComeFromEachFamilyAtItsStatedRate()
    {
        var mixture = Mixture();
        Assert.Equal([0.75, 0.25], mixture.Probabilities);
        // 4 standard errors of a binomial proportion over 20000 rows: 4 sqrt(0.75 0.25 / 20000) = 0.0122.
        var picks = mixture.ComponentsOf(20_000, stream: 11);
        Assert.Equal(0.75, picks.Count(p => p == 0) / 20_000.0, 0.0123);
        Assert.Equal(picks, mixture.ComponentsOf(20_000, stream: 11));
        Assert.NotEqual(picks, mixture.ComponentsOf(20_000, stream: 12));
        // A single component takes every row.
        Assert.All(new MixtureTrainingSource([new MixtureComponent("KeyedLookup", Source(Keyed.TrainTasks), 0.1)]).ComponentsOf(100, 1), p => Assert.Equal(0, p));
    }

    [Fact]
    public void EveryRowIsATrainingSequenceOfItsFamilyAndNeverAHeldOutMap()
    {
        var mixture = Mixture(1, 1);
        var heldOut = Keyed.HeldOutTasks.Concat(Words.HeldOutTasks).Select(t => t.Name).ToHashSet();
        var training = new[] { Keyed.TrainTasks.Select(t => t.Name).ToHashSet(), Words.TrainTasks.Select(t => t.Name).ToHashSet() };
        for (var stream = 0L; stream < 20; stream++)
        {
            var picks = mixture.ComponentsOf(16, stream);
            var rows = mixture.Sample(16, stream);
            for (var r = 0; r < rows.Count; r++)
            {
                Assert.Contains(rows[r].Task.Name, training[picks[r]]);
                Assert.DoesNotContain(rows[r].Task.Name, heldOut);
                Assert.Equal(Shots, rows[r].Shots);
                Assert.All(rows[r].Demonstrations.Append(rows[r].Query), d => Assert.Equal(rows[r].Task.Apply(d.Input), d.Output));
            }
        }
    }

    [Fact]
    public void ABatchIsFixedByTheGeneratorAndScoresEveryAnswerTokenOfBothFamilies()
    {
        var mixture = Mixture(1, 1);
        using var generator = new torch.Generator(5);
        using var batch = mixture.Next(0, 12, generator);
        using var again = mixture.Next(0, 12, new torch.Generator(5));
        using var other = mixture.Next(0, 12, new torch.Generator(6));
        Assert.Equal(batch.Inputs.data<long>().ToArray(), again.Inputs.data<long>().ToArray());
        Assert.NotEqual(batch.Inputs.data<long>().ToArray(), other.Inputs.data<long>().ToArray());

        // Replaying the generator's one draw gives the rows: 9 answers of 1 token for a keyed lookup, of 2 for a transduction.
        long stream;
        using (var g = new torch.Generator(5))
        using (var draw = torch.randint(0, long.MaxValue, [1], dtype: torch.ScalarType.Int64, generator: g)) stream = draw.item<long>();
        var rows = mixture.Sample(12, stream);
        Assert.Contains(rows, r => r.Task.Kind == SymbolicTaskKind.KeyedLookup);
        Assert.Contains(rows, r => r.Task.Kind == SymbolicTaskKind.Transduction);
        var answerTokens = rows.Sum(r => (Shots + 1) * (r.Task.Kind == SymbolicTaskKind.Transduction ? 2 : 1));
        Assert.Equal(answerTokens, (int)batch.LossMask.sum().item<float>());
        // Rows are right-padded to the longest: BOS + 8 x "ww=oo," + "ww=oo" = 54 tokens, 53 after the next-token shift.
        Assert.Equal(new long[] { 12, 53 }, batch.Inputs.shape);
    }

    [Fact]
    public void TheDescriptionNamesEachFamilyAndItsShareSoAResumeOntoOtherWeightsIsRefused()
    {
        var mixture = Mixture();
        Assert.Contains("KeyedLookup p=0.75", mixture.Description);
        Assert.Contains("Transduction p=0.25", mixture.Description);
        Assert.NotEqual(mixture.Description, Mixture(1, 1).Description);
        Assert.Equal(mixture.Description, Mixture(6, 2).Description);
    }

    public static IEnumerable<object?[]> BadComponents() =>
    [
        ["NoMixtureComponents", Array.Empty<MixtureComponent>()],
        ["InvalidMixtureWeight", new[] { new MixtureComponent("KeyedLookup", Source(Keyed.TrainTasks), 0) }],
        ["InvalidMixtureWeight", new[] { new MixtureComponent("KeyedLookup", Source(Keyed.TrainTasks), double.NaN) }],
        ["DuplicateMixtureComponent", new[] { new MixtureComponent("KeyedLookup", Source(Keyed.TrainTasks), 1), new MixtureComponent("keyedlookup", Source(Keyed.TrainTasks), 1) }],
        ["MixtureEncodingMismatch", new[] { new MixtureComponent("KeyedLookup", Source(Keyed.TrainTasks), 1), new MixtureComponent("Transduction", Source(Words.TrainTasks, 96), 1) }],
    ];

    [Theory]
    [MemberData(nameof(BadComponents))]
    public void BadMixturesAreErrors(string errorId, MixtureComponent[] components)
    {
        var error = Assert.Throws<IclPsException>(() => new MixtureTrainingSource(components));
        Assert.Equal(errorId, error.ErrorId);
    }
}
