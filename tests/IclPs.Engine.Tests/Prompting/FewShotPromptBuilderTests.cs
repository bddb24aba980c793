using IclPs.Engine.Data;
using IclPs.Engine.Prompting;
using IclPs.Engine.Tests.Data;

namespace IclPs.Engine.Tests.Prompting;

public class FewShotPromptBuilderTests
{
    private static readonly IclDatasetSplit Split = DatasetLoader.LoadJson(TestData.FunctionVectors("country-capital.json")).Split(0.7, 0.0, seed: 1);

    [Fact]
    public void DemonstrationsComeFromThePoolAndNeverShowTheQuery()
    {
        var pool = Split.Train.Items;
        var builder = new FewShotPromptBuilder(PromptFormat.QuestionAnswer, pool, shots: 5, seed: 7);
        for (var i = 0; i < pool.Count; i++)
        {
            var prompt = builder.Build(pool[i], i);
            Assert.Equal(5, prompt.Shots);
            Assert.Equal(5, prompt.Demonstrations.Distinct(ReferenceEqualityComparer.Instance).Count());
            Assert.All(prompt.Demonstrations, d => Assert.Contains(d, pool));
            Assert.DoesNotContain(prompt.Demonstrations, d => d.Input == pool[i].Input);
            Assert.Equal(PromptFormat.QuestionAnswer.BuildPrompt(prompt.Demonstrations, pool[i].Input), prompt.Text);
            Assert.Equal(" " + pool[i].Output, prompt.ExpectedContinuation);
        }
    }

    [Fact]
    public void ItemsSharingTheQueryInputAreExcludedToo()
    {
        var pool = new[] { new IclExample("x", "1"), new IclExample("x", "2"), new IclExample("y", "3"), new IclExample("z", "4") };
        var builder = new FewShotPromptBuilder(PromptFormat.Default, pool, shots: 2, seed: 0);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(new[] { "y", "z" }, builder.Build(new IclExample("x", "?"), i).Demonstrations.Select(d => d.Input).Order());
        }
    }

    [Fact]
    public void SamplesAreReproducibleBySeedAndQueryIndex()
    {
        var pool = Split.Train.Items;
        var query = Split.Test.Items[0];
        IReadOnlyList<IclExample> Demos(int seed, int index) => new FewShotPromptBuilder(PromptFormat.Default, pool, 4, seed).Build(query, index).Demonstrations;

        Assert.Equal(Demos(3, 10), Demos(3, 10));
        Assert.NotEqual(Demos(3, 10), Demos(4, 10));
        Assert.NotEqual(Demos(3, 10), Demos(3, 11));
        // Order is part of the sample: the same seed gives the same order too.
        Assert.Equal(Demos(3, 10).Select(d => d.Input), Demos(3, 10).Select(d => d.Input));
    }

    [Fact]
    public void TooSmallPoolIsNotEnoughExamples()
    {
        var pool = new[] { new IclExample("a", "1"), new IclExample("b", "2"), new IclExample("c", "3") };
        Assert.Equal(2, new FewShotPromptBuilder(PromptFormat.Default, pool, 2, 0).Build(pool[0], 0).Shots);
        var ex = Assert.Throws<IclPsException>(() => new FewShotPromptBuilder(PromptFormat.Default, pool, 3, 0).Build(pool[1], 4));
        Assert.Equal("NotEnoughExamples", ex.ErrorId);
        Assert.Contains("Query 4", ex.Message);
        Assert.Same(pool[1], ex.Target);
        Assert.Equal(0, new FewShotPromptBuilder(PromptFormat.Default, Array.Empty<IclExample>(), 0, 0).Build(pool[0], 0).Shots);
    }

    [Fact]
    public void DroppingLeadingDemonstrationsKeepsTheLastOnes()
    {
        var prompt = new FewShotPromptBuilder(PromptFormat.Default, Split.Train.Items, 4, 2).Build(Split.Test.Items[1], 1);
        var shorter = prompt.WithoutLeadingDemonstrations(3);
        Assert.Equal(prompt.Demonstrations.Skip(3), shorter.Demonstrations);
        Assert.Equal(prompt.Demonstrations[3].Input + " " + prompt.Demonstrations[3].Output + "\n\n" + prompt.Query.Input, shorter.Text);
    }
}
