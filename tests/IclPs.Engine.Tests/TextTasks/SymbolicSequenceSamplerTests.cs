using IclPs.Engine.Data;
using IclPs.Engine.Native;
using IclPs.Engine.Prompting;
using IclPs.Engine.TextTasks;
using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Tests.TextTasks;

public class SymbolicSequenceSamplerTests
{
    private static readonly SymbolicTaskFamily Family = new();

    public SymbolicSequenceSamplerTests() => TorchNativeLoader.EnsureLoaded();

    public static IEnumerable<object[]> Formats() => new[]
    {
        SymbolicSequenceSampler.DefaultFormat,
        PromptFormat.Default,
        PromptFormat.QuestionAnswer,
        PromptFormat.Arrow,
        SymbolicSequenceSampler.DefaultFormat with { Description = "successor:" },
    }.Select(f => new object[] { f });

    [Theory]
    [MemberData(nameof(Formats))]
    public void RenderedTextIsFewShotPromptBuildersPromptForTheSameDemonstrations(PromptFormat format)
    {
        var task = Family.Task("heldout-perm-000");
        var builder = new FewShotPromptBuilder(format, task.Examples, shots: 8, seed: 5);
        for (var i = 0; i < task.Examples.Count; i++)
        {
            var prompt = builder.Build(task.Examples[i], i);
            var sequence = new SymbolicSequence(task, prompt.Demonstrations, prompt.Query, format);
            Assert.Equal(prompt.Text, sequence.Prompt);
            Assert.Equal(prompt.Text + prompt.ExpectedContinuation, sequence.Text);
            Assert.Equal(prompt.Text, sequence.ToPrompt(i).Text);
        }
    }

    [Fact]
    public void DefaultFormatIsCompactAndItsFirstContinuationTokenIsTheAnswer()
    {
        var task = Family.Task("successor");
        var sequence = new SymbolicSequence(task, [new IclExample("a", "b"), new IclExample("c", "d")], new IclExample("h", "i"), SymbolicSequenceSampler.DefaultFormat);
        Assert.Equal("a=b,c=d,h=i", sequence.Text);
        Assert.Equal("i", sequence.ToPrompt().ExpectedContinuation);
    }

    [Fact]
    public void SameSeedAndStepSameSequencesOtherwiseDifferent()
    {
        var sampler = new SymbolicSequenceSampler();
        string[] Texts(long seed, long step) => sampler.Sample(16, 8, seed, step, Family.TrainTasks).Select(s => s.Task.Name + ":" + s.Text).ToArray();
        Assert.Equal(Texts(3, 7), Texts(3, 7));
        Assert.NotEqual(Texts(3, 7), Texts(3, 8));
        Assert.NotEqual(Texts(3, 7), Texts(4, 7));
    }

    [Fact]
    public void ExcludedPlacementDrawsDistinctDemonstrationsWithoutTheQuery()
    {
        var sequences = new SymbolicSequenceSampler().Sample(200, 5, 1, 0, Family.TrainTasks);
        Assert.All(sequences, s =>
        {
            Assert.Equal(5, s.Shots);
            Assert.False(s.QuerySeen);
            Assert.DoesNotContain(s.Query.Input, s.Demonstrations.Select(d => d.Input));
            Assert.Equal(5, s.Demonstrations.Select(d => d.Input).Distinct().Count());
            Assert.All(s.Demonstrations.Append(s.Query), d => Assert.Equal(s.Task.Apply(d.Input), d.Output));
        });
        Assert.True(sequences.Select(s => s.Task.Name).Distinct().Count() > 100);
    }

    [Fact]
    public void InContextPlacementAlwaysShowsTheQueryPairOnceAtAVaryingPlace()
    {
        var sequences = new SymbolicSequenceSampler(placement: QueryPlacement.InContext).Sample(200, 4, 2, 0, Family.HeldOutTasks);
        Assert.All(sequences, s =>
        {
            Assert.True(s.QuerySeen);
            Assert.Single(s.Demonstrations, d => d == s.Query);
            Assert.Equal(4, s.Demonstrations.Select(d => d.Input).Distinct().Count());
        });
        var positions = sequences.Select(s => s.Demonstrations.ToList().IndexOf(s.Query)).Distinct().Order();
        Assert.Equal([0, 1, 2, 3], positions);
    }

    [Fact]
    public void EightShotsOfANineSymbolBijectionDetermineTheQueryByElimination()
    {
        var sequences = new SymbolicSequenceSampler().Sample(100, 8, 9, 0, Family.HeldOutTasks.Where(t => t.IsBijection).ToArray());
        Assert.All(sequences, s => Assert.Equal(s.Query.Output, Assert.Single(Family.Alphabet.Except(s.Demonstrations.Select(d => d.Output)))));
    }

    [Fact]
    public void ShotsBeyondWhatThePlacementAllowsAreRejected()
    {
        var tasks = new[] { Family.Task("copy") };
        var e = Assert.Throws<IclPsException>(() => new SymbolicSequenceSampler().Sample(1, 9, 0, 0, tasks));
        Assert.Equal("InvalidShots", e.ErrorId);
        Assert.Equal(9, e.Target);
        Assert.Equal(9, new SymbolicSequenceSampler(placement: QueryPlacement.InContext).Sample(1, 9, 0, 0, tasks)[0].Shots);
        Assert.Equal("InvalidShots", Assert.Throws<IclPsException>(() => new SymbolicSequenceSampler(placement: QueryPlacement.InContext).Sample(1, 0, 0, 0, tasks)).ErrorId);
        Assert.Equal("NoTasks", Assert.Throws<IclPsException>(() => new SymbolicSequenceSampler().Sample(1, 1, 0, 0, [])).ErrorId);
        var clash = new SymbolicSequenceSampler(SymbolicSequenceSampler.DefaultFormat with { FewShotDelimiter = "a" });
        Assert.Equal("SymbolClashesWithFormat", Assert.Throws<IclPsException>(() => clash.Sample(1, 1, 0, 0, tasks)).ErrorId);
    }

    [Fact]
    public void LossMaskMarksExactlyTheAnswerCharacters()
    {
        var tokenizer = SimpleTokenizer.Bytes();
        var sequences = new SymbolicSequenceSampler().Sample(8, 8, 4, 0, Family.TrainTasks);
        using var batch = SymbolicSequenceSampler.Encode(sequences, tokenizer, 64);
        Assert.Equal(new long[] { 8, 1 + 8 * 4 + 3 }, batch.InputIds.shape);
        var ids = batch.InputIds.data<long>().ToArray();
        var mask = batch.LossMask.data<float>().ToArray();
        var t = batch.Length;
        for (var r = 0; r < 8; r++)
        {
            var text = sequences[r].Text;
            Assert.Equal(tokenizer.Encode(text, addBos: true).Select(i => (long)i), ids.Skip(r * t).Take(t));
            // Token j is character j-1 (after BOS); in "a=b,c=d,..." the answers are the characters right after '='.
            for (var j = 0; j < t; j++)
                Assert.Equal(j >= 2 && text[j - 2] == '=' ? 1f : 0f, mask[r * t + j]);
        }
        Assert.Equal(8 * 9, (int)batch.LossMask.sum().item<float>());
    }

    [Fact]
    public void LossMaskCoversMultiCharacterContinuationsOrEveryTokenAndPadsOnTheRight()
    {
        var tokenizer = SimpleTokenizer.Bytes();
        var format = new PromptFormat { InputTemplate = "{input}", TargetDelimiter = "->", FewShotDelimiter = ";" };
        var task = Family.Task("successor");
        var longer = new SymbolicSequence(task, [task.Examples[0], task.Examples[1]], task.Examples[2], format);   // a->b;b->c;c->d
        var shorter = new SymbolicSequence(task, [], task.Examples[3], format);                                      // d->e
        using var answers = SymbolicSequenceSampler.Encode([longer, shorter], tokenizer, 32);
        Assert.Equal(new float[] { 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1 }, answers.LossMask[0].data<float>().ToArray());
        Assert.Equal(new float[] { 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, answers.LossMask[1].data<float>().ToArray());
        Assert.Equal(Enumerable.Repeat(1L, 5).Concat(Enumerable.Repeat(0L, 10)), answers.AttentionMask[1].data<long>().ToArray());
        Assert.All(answers.InputIds[1].data<long>().ToArray().Skip(5), id => Assert.Equal(tokenizer.PadTokenId, id));

        using var all = SymbolicSequenceSampler.Encode([longer, shorter], tokenizer, 32, LossScope.AllTokens, addBos: false);
        Assert.Equal(new float[] { 0 }.Concat(Enumerable.Repeat(1f, 13)), all.LossMask[0].data<float>().ToArray());
        Assert.Equal(new float[] { 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, all.LossMask[1].data<float>().ToArray());
    }

    [Fact]
    public void EncodingRejectsTooLongSequencesAndTokenizersThatMergeAcrossSegments()
    {
        var sequences = new SymbolicSequenceSampler().Sample(2, 8, 0, 0, Family.TrainTasks);
        var e = Assert.Throws<IclPsException>(() => SymbolicSequenceSampler.Encode(sequences, SimpleTokenizer.Bytes(), 35));
        Assert.Equal("SequenceTooLong", e.ErrorId);
        using (SymbolicSequenceSampler.Encode(sequences, SimpleTokenizer.Bytes(), 36)) { }
        var words = SimpleTokenizer.FromCorpus([sequences[0].Text], SimpleTokenizerLevel.Word);
        Assert.Equal("TokensCrossSegments", Assert.Throws<IclPsException>(() => SymbolicSequenceSampler.Encode(sequences, words, 64)).ErrorId);
    }

    [Fact]
    public void BatchSourceGivesTheSameBatchForTheSameStep()
    {
        var source = new SymbolicBatchSource(Family.TrainTasks, new SymbolicSequenceSampler(), SimpleTokenizer.Bytes(), 64, batchSize: 4, shots: 8, seed: 1);
        using var a = source.Next(5);
        using var b = source.Next(5);
        using var c = source.Next(6);
        Assert.Equal(a.InputIds.data<long>().ToArray(), b.InputIds.data<long>().ToArray());
        Assert.Equal(a.LossMask.data<float>().ToArray(), b.LossMask.data<float>().ToArray());
        Assert.NotEqual(a.InputIds.data<long>().ToArray(), c.InputIds.data<long>().ToArray());
        Assert.Equal("SequenceTooLong", Assert.Throws<IclPsException>(() =>
            new SymbolicBatchSource(Family.TrainTasks, new SymbolicSequenceSampler(), SimpleTokenizer.Bytes(), 10, 4, 8, 1)).ErrorId);
    }
}
