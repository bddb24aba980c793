using IclPs.Engine.Data;

namespace IclPs.Engine.Tests.Data;

public class IclDatasetTests
{
    private static readonly IclDataset Antonyms = DatasetLoader.LoadJson(TestData.FunctionVectors("antonym.json"));

    [Fact]
    public void SplitPutsEveryItemInExactlyOnePart()
    {
        var split = Antonyms.Split(0.7, 0.1, seed: 3);
        Assert.Equal(1679, split.Train.Count);   // round(2398 * 0.7)
        Assert.Equal(240, split.Valid.Count);    // round(2398 * 0.1)
        Assert.Equal(2398 - 1679 - 240, split.Test.Count);
        // Items are compared as a multiset (the file may repeat a pair); parts are identified by reference.
        var seen = new HashSet<IclExample>(ReferenceEqualityComparer.Instance);
        foreach (var item in split.Train.Items.Concat(split.Valid.Items).Concat(split.Test.Items)) Assert.True(seen.Add(item));
        Assert.Equal(Antonyms.Count, seen.Count);
        Assert.All(Antonyms.Items, x => Assert.Contains(x, seen));
        Assert.Equal(("train", "valid", "test"), (split.Train.Partition, split.Valid.Partition, split.Test.Partition));
    }

    [Fact]
    public void SplitIsReproducibleBySeedAndKeepsFileOrder()
    {
        var a = Antonyms.Split(0.7, 0.15, seed: 11);
        var b = Antonyms.Split(0.7, 0.15, seed: 11);
        var c = Antonyms.Split(0.7, 0.15, seed: 12);
        Assert.Equal(a.Train.Items, b.Train.Items);
        Assert.Equal(a.Test.Items, b.Test.Items);
        Assert.NotEqual(a.Train.Items, c.Train.Items);
        var position = Antonyms.Items.Select((x, i) => (x, i)).ToDictionary(p => p.x, p => p.i, (IEqualityComparer<IclExample>)ReferenceEqualityComparer.Instance);
        var order = a.Train.Items.Select(x => position[x]).ToArray();
        Assert.Equal(order.Order(), order);
    }

    [Theory]
    [InlineData(0.0, 0.1)]
    [InlineData(1.2, 0.0)]
    [InlineData(0.8, 0.3)]
    [InlineData(0.5, -0.1)]
    public void SplitRejectsBadFractions(double train, double valid)
    {
        var ex = Assert.Throws<IclPsException>(() => Antonyms.Split(train, valid, 0));
        Assert.Equal("InvalidSplitFraction", ex.ErrorId);
    }
}
