using IclPs.Engine.Data;
using IclPs.Engine.Native;
using IclPs.Engine.Prompting;
using IclPs.Engine.TextTasks;
using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Tests.TextTasks;

public class KeyedLookupTaskFamilyTests
{
    private static readonly KeyedLookupTaskFamily Family = new();

    public KeyedLookupTaskFamilyTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void SameTaskSeedSameTasksOtherSeedOtherTasks()
    {
        var again = new KeyedLookupTaskFamily();
        var other = new KeyedLookupTaskFamily(new KeyedLookupTaskFamilyOptions { TaskSeed = 1 });
        Assert.Equal(Family.TrainTasks.Select(t => t.ToString()), again.TrainTasks.Select(t => t.ToString()));
        Assert.Equal(Family.HeldOutTasks.Select(t => t.ToString()), again.HeldOutTasks.Select(t => t.ToString()));
        Assert.NotEqual(Family.HeldOutTasks.Select(t => t.Name), other.HeldOutTasks.Select(t => t.Name));
    }

    [Fact]
    public void HeldOutMapsAreNeverTrainingMapsAndDoNotDependOnTheTrainingPoolSize()
    {
        var trainMaps = Family.TrainTasks.Select(t => string.Join(",", t.Outputs)).ToHashSet();
        Assert.Equal(512, trainMaps.Count);
        Assert.Equal(64, Family.HeldOutTasks.Select(t => string.Join(",", t.Outputs)).Distinct().Count());
        Assert.All(Family.HeldOutTasks, t => Assert.DoesNotContain(string.Join(",", t.Outputs), trainMaps));
        Assert.Empty(Family.TrainTasks.Select(t => t.Name).Intersect(Family.HeldOutTasks.Select(t => t.Name)));
        var smaller = new KeyedLookupTaskFamily(new KeyedLookupTaskFamilyOptions { TrainTasks = 10 });
        Assert.Equal(Family.HeldOutTasks.Select(t => t.Name), smaller.HeldOutTasks.Select(t => t.Name));
        // Every map: 9^3 = 729 of them fit exactly.
        var all = new KeyedLookupTaskFamily(new KeyedLookupTaskFamilyOptions { TrainTasks = 729 - 64 });
        Assert.Equal(729, all.TrainTasks.Concat(all.HeldOutTasks).Select(t => t.Name).Distinct().Count());
    }

    [Fact]
    public void EveryInputMapsToTheOutputOfItsKeyAndTheNameSpellsTheMap()
    {
        Assert.Equal(27, Family.Inputs.Count);
        Assert.Equal(["a1", "a2"], Family.Inputs.Take(2));
        Assert.Equal("c9", Family.Inputs[^1]);
        Assert.All(Family.TrainTasks.Concat(Family.HeldOutTasks), task =>
        {
            Assert.Equal(SymbolicTaskKind.KeyedLookup, task.Kind);
            Assert.Equal(Family.Inputs, task.Inputs);
            var keyOutputs = task.Name["keyed-".Length..];
            Assert.Equal(3, keyOutputs.Length);
            foreach (var input in task.Inputs)
                Assert.Equal(keyOutputs[Family.Keys.ToList().IndexOf(Family.KeyOf(input))].ToString(), task.Apply(input));
        });
        Assert.Same(Family.HeldOutTasks[0], Family.Task(Family.HeldOutTasks[0].Name));
    }

    [Fact]
    public void MissProbabilityAndCeilingMatchTheBinomialRatioAndACount()
    {
        static double Choose(int n, int k) => k < 0 || k > n ? 0 : Enumerable.Range(1, k).Aggregate(1.0, (acc, i) => acc * (n - k + i) / i);
        Assert.Equal(1.0, Family.QueryKeyMissProbability(0));
        Assert.Equal(Choose(18, 8) / Choose(26, 8), Family.QueryKeyMissProbability(8), 12);
        Assert.Equal(0.0, Family.QueryKeyMissProbability(19));
        Assert.Equal(1.0 / 9, Family.AccuracyCeiling(0), 12);
        // One shot: 8 of the 26 other inputs share the key.
        Assert.Equal(8.0 / 26 + 18.0 / 26 / 9, Family.AccuracyCeiling(1), 12);

        // Independent check by counting: 2 shots from a family with 2 keys x 3 instances (5 others, 2 share the key).
        var small = new KeyedLookupTaskFamily(new KeyedLookupTaskFamilyOptions { Keys = "ab", Instances = "123", Outputs = "xy", TrainTasks = 1, HeldOutTasks = 0 });
        var pairs = 0;
        var misses = 0;
        for (var i = 0; i < 5; i++)
            for (var j = i + 1; j < 5; j++) { pairs++; if (i >= 2 && j >= 2) misses++; }
        Assert.Equal((double)misses / pairs, small.QueryKeyMissProbability(2), 12);
        var error = Assert.Throws<IclPsException>(() => small.QueryKeyMissProbability(6));
        Assert.Equal(6, error.Target);
    }

    [Fact]
    public void SampledSequencesRenderAsInvokeIclPromptsPrompts()
    {
        var task = Family.HeldOutTasks[0];
        var format = SymbolicSequenceSampler.DefaultFormat;
        var builder = new FewShotPromptBuilder(format, task.Examples, shots: 8, seed: 2);
        for (var i = 0; i < task.Examples.Count; i++)
        {
            var prompt = builder.Build(task.Examples[i], i);
            var sequence = new SymbolicSequence(task, prompt.Demonstrations, prompt.Query, format);
            Assert.Equal(prompt.Text, sequence.Prompt);
            Assert.Equal(prompt.Text + prompt.ExpectedContinuation, sequence.Text);
        }
        var o = task.Name["keyed-".Length..];
        var example = new SymbolicSequence(task, [new IclExample("a3", o[0..1]), new IclExample("b7", o[1..2])], new IclExample("a5", o[0..1]), format);
        Assert.Equal($"a3={o[0]},b7={o[1]},a5={o[0]}", example.Text);
        Assert.Equal(o[0..1], example.ToPrompt().ExpectedContinuation);

        var sampled = new SymbolicSequenceSampler().Sample(32, 8, seed: 4, step: 0, Family.TrainTasks);
        Assert.All(sampled, s =>
        {
            Assert.False(s.QuerySeen);
            Assert.Equal(8, s.Demonstrations.Select(d => d.Input).Distinct().Count());
            Assert.All(s.Demonstrations.Append(s.Query), d => Assert.Equal(s.Task.Apply(d.Input), d.Output));
        });
        // Byte tokens: BOS + 8 x "k i = o ," + "k i = o".
        using var batch = SymbolicSequenceSampler.Encode(sampled, SimpleTokenizer.Bytes(), 64);
        Assert.Equal(new long[] { 32, 1 + 8 * 5 + 4 }, batch.InputIds.shape);
    }

    [Fact]
    public void ExportWritesFunctionVectorDatasetsTheLoaderReadsBack()
    {
        using var folder = new TempFolder();
        var paths = Family.Export(folder.Path, Family.HeldOutTasks.Take(2));
        Assert.Equal(2, paths.Count);
        var loaded = DatasetLoader.LoadJson(paths[0]);
        Assert.Equal(Family.HeldOutTasks[0].Examples.Select(e => (e.Input, e.Output)), loaded.Items.Select(e => (e.Input, e.Output)));
        Assert.EndsWith(Family.HeldOutTasks[0].Name + ".json", paths[0]);
    }

    public static IEnumerable<object?[]> BadOptions() =>
    [
        [new KeyedLookupTaskFamilyOptions { Keys = "" }, "InvalidKeys", ""],
        [new KeyedLookupTaskFamilyOptions { Keys = "aa" }, "InvalidKeys", "aa"],
        [new KeyedLookupTaskFamilyOptions { Instances = "1" }, "InvalidInstances", "1"],
        [new KeyedLookupTaskFamilyOptions { Outputs = "r s" }, "InvalidOutputs", "r s"],
        [new KeyedLookupTaskFamilyOptions { Outputs = "rsa" }, "SymbolSetsOverlap", "a"],
        [new KeyedLookupTaskFamilyOptions { Instances = "12r" }, "SymbolSetsOverlap", "r"],
        [new KeyedLookupTaskFamilyOptions { TrainTasks = 0 }, "InvalidTaskCount", 0],
        [new KeyedLookupTaskFamilyOptions { HeldOutTasks = -1 }, "InvalidTaskCount", -1],
        [new KeyedLookupTaskFamilyOptions { TrainTasks = 700 }, "TooManyTasks", 764],
    ];

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptionsAreErrorsNamingTheValue(KeyedLookupTaskFamilyOptions options, string errorId, object target)
    {
        var error = Assert.Throws<IclPsException>(() => new KeyedLookupTaskFamily(options));
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(target, error.Target);
        Assert.Contains(target.ToString()!, error.Message);
    }
}
