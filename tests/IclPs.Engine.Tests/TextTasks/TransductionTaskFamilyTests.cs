using IclPs.Engine.Data;
using IclPs.Engine.Native;
using IclPs.Engine.Prompting;
using IclPs.Engine.TextTasks;
using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Tests.TextTasks;

public class TransductionTaskFamilyTests
{
    private static readonly TransductionTaskFamily Family = new();

    public TransductionTaskFamilyTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void SameTaskSeedSameTasksOtherSeedOtherTasks()
    {
        var again = new TransductionTaskFamily();
        var other = new TransductionTaskFamily(new TransductionTaskFamilyOptions { TaskSeed = 1 });
        Assert.Equal(Family.TrainTasks.Select(t => t.ToString()), again.TrainTasks.Select(t => t.ToString()));
        Assert.Equal(Family.HeldOutTasks.Select(t => t.ToString()), again.HeldOutTasks.Select(t => t.ToString()));
        Assert.NotEqual(Family.HeldOutTasks.Select(t => t.Name), other.HeldOutTasks.Select(t => t.Name));
    }

    [Fact]
    public void HeldOutPermutationsAreNeverTrainingOnesAndDoNotDependOnTheTrainingPoolSize()
    {
        var trainMaps = Family.TrainTasks.Select(t => string.Join(",", t.Outputs)).ToHashSet();
        Assert.Equal(512, trainMaps.Count);
        Assert.Equal(64, Family.HeldOutTasks.Select(t => string.Join(",", t.Outputs)).Distinct().Count());
        Assert.All(Family.HeldOutTasks, t => Assert.DoesNotContain(string.Join(",", t.Outputs), trainMaps));
        var smaller = new TransductionTaskFamily(new TransductionTaskFamilyOptions { TrainTasks = 10 });
        Assert.Equal(Family.HeldOutTasks.Select(t => t.Name), smaller.HeldOutTasks.Select(t => t.Name));
        // Every permutation of 3 symbols: 3! = 6 of them fit exactly.
        var all = new TransductionTaskFamily(new TransductionTaskFamilyOptions { Alphabet = "xyz", Outputs = "xyz", TrainTasks = 4, HeldOutTasks = 2 });
        Assert.Equal(6, all.TrainTasks.Concat(all.HeldOutTasks).Select(t => t.Name).Distinct().Count());
    }

    [Fact]
    public void EveryWordIsRewrittenSymbolBySymbolByThePermutationTheNameSpells()
    {
        Assert.Equal(81, Family.Inputs.Count);
        Assert.Equal(["AA", "AB"], Family.Inputs.Take(2));
        Assert.Equal("II", Family.Inputs[^1]);
        Assert.All(Family.TrainTasks.Concat(Family.HeldOutTasks), task =>
        {
            Assert.Equal(SymbolicTaskKind.Transduction, task.Kind);
            Assert.Equal(Family.Inputs, task.Inputs);
            var images = task.Name["perm-".Length..];
            Assert.Equal("JKLMNOPQR", string.Concat(images.Order()));
            foreach (var word in task.Inputs)
                Assert.Equal(string.Concat(word.Select(c => images["ABCDEFGHI".IndexOf(c)])), task.Apply(word));
        });
        var task = Family.HeldOutTasks[0];
        var n = task.Name["perm-".Length..];
        Assert.Equal($"{n[1]}{n[3]}", task.Apply("BD"));
        Assert.Same(task, Family.Task(task.Name));
        // Outputs equal to the alphabet: each task permutes the alphabet itself.
        var self = new TransductionTaskFamily(new TransductionTaskFamilyOptions { Outputs = "ABCDEFGHI", TrainTasks = 8, HeldOutTasks = 2 });
        Assert.All(self.TrainTasks, t => Assert.All(t.Outputs, o => Assert.True(o.All("ABCDEFGHI".Contains), o)));
    }

    [Fact]
    public void CeilingIsChanceAtZeroShotsExactEliminationForOneSymbolWordsAndMatchesACountForTwo()
    {
        Assert.Equal(1.0 / 9, Family.AccuracyCeiling(0, 1000), 12);
        // One-symbol words never show the query's symbol elsewhere: elimination among the 9 - k images not shown.
        var single = new TransductionTaskFamily(new TransductionTaskFamilyOptions { WordLength = 1, TrainTasks = 1, HeldOutTasks = 0 });
        foreach (var k in new[] { 1, 4, 8 }) Assert.Equal(1.0 / (9 - k), single.AccuracyCeiling(k, 1000), 12);
        // Hand count, one shot of two-symbol words: of the 80 other words 16 contain the query's first symbol (right);
        // of the 64 others, 8 repeat one symbol (1 of 8 images left) and 56 show two (1 of 7): 0.2 + 0.1 * 1/8 + 0.7 * 1/7.
        // 4 standard errors of 100000 draws: 4 sqrt(0.3125 0.6875 / 1e5) < 0.006.
        Assert.Equal(0.3125, Family.AccuracyCeiling(1), 0.006);
        Assert.Equal(Family.AccuracyCeiling(4, 2000, seed: 3), Family.AccuracyCeiling(4, 2000, seed: 3));
        var e = Assert.Throws<IclPsException>(() => Family.AccuracyCeiling(81));
        Assert.Equal(("InvalidShots", (object?)81), (e.ErrorId, e.Target));
    }

    [Fact]
    public void SampledSequencesRenderAsInvokeIclPromptsPromptsAndEncodeEveryAnswerToken()
    {
        var task = Family.HeldOutTasks[0];
        var format = SymbolicSequenceSampler.DefaultFormat;
        var builder = new FewShotPromptBuilder(format, task.Examples, shots: 8, seed: 2);
        for (var i = 0; i < task.Examples.Count; i++)
        {
            var prompt = builder.Build(task.Examples[i], i);
            var sequence = new SymbolicSequence(task, prompt.Demonstrations, prompt.Query, format);
            Assert.Equal(prompt.Text + prompt.ExpectedContinuation, sequence.Text);
        }
        var sampled = new SymbolicSequenceSampler().Sample(16, 8, seed: 4, step: 0, Family.TrainTasks);
        // Byte tokens: BOS + 8 x "w w = o o ," + "w w = o o"; both output symbols are scored, 9 answers of 2 tokens.
        using var batch = SymbolicSequenceSampler.Encode(sampled, SimpleTokenizer.Bytes(), 64);
        Assert.Equal(new long[] { 16, 1 + 8 * 6 + 5 }, batch.InputIds.shape);
        Assert.Equal(16 * 9 * 2, (int)batch.LossMask.sum().item<float>());
    }

    public static IEnumerable<object?[]> BadOptions() =>
    [
        [new TransductionTaskFamilyOptions { Alphabet = "A" }, "InvalidAlphabet", "A"],
        [new TransductionTaskFamilyOptions { Alphabet = "AAB" }, "InvalidAlphabet", "AAB"],
        [new TransductionTaskFamilyOptions { Outputs = "JKLM" }, "InvalidOutputs", "JKLM"],
        [new TransductionTaskFamilyOptions { WordLength = 0 }, "InvalidWordLength", 0],
        [new TransductionTaskFamilyOptions { WordLength = 5 }, "InvalidWordLength", 5],
        [new TransductionTaskFamilyOptions { TrainTasks = 0 }, "InvalidTaskCount", 0],
        [new TransductionTaskFamilyOptions { Alphabet = "xyz", Outputs = "uvw", TrainTasks = 5, HeldOutTasks = 2 }, "TooManyTasks", 7],
    ];

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptionsAreErrorsNamingTheValue(TransductionTaskFamilyOptions options, string errorId, object target)
    {
        var error = Assert.Throws<IclPsException>(() => new TransductionTaskFamily(options));
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(target, error.Target);
        Assert.Contains(target.ToString()!, error.Message);
    }
}
