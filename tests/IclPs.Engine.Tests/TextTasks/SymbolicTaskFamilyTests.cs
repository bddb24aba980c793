using IclPs.Engine.TextTasks;

namespace IclPs.Engine.Tests.TextTasks;

public class SymbolicTaskFamilyTests
{
    private static readonly SymbolicTaskFamily Family = new();

    [Fact]
    public void SameTaskSeedSameTasksOtherSeedOtherPermutations()
    {
        var again = new SymbolicTaskFamily();
        var other = new SymbolicTaskFamily(new SymbolicTaskFamilyOptions { TaskSeed = 1 });
        Assert.Equal(Family.TrainTasks.Select(t => t.ToString()), again.TrainTasks.Select(t => t.ToString()));
        Assert.Equal(Family.HeldOutTasks.Select(t => t.ToString()), again.HeldOutTasks.Select(t => t.ToString()));
        Assert.NotEqual(Family.Task("perm-0000").Outputs, other.Task("perm-0000").Outputs);
        Assert.Equal(Family.Task("successor").Outputs, other.Task("successor").Outputs);
    }

    [Fact]
    public void TrainAndHeldOutTasksShareNoNameAndNoMap()
    {
        var trainNames = Family.TrainTasks.Select(t => t.Name).ToHashSet();
        var trainMaps = Family.TrainTasks.Select(t => string.Join(",", t.Outputs)).ToHashSet();
        Assert.Equal(Family.TrainTasks.Count, trainNames.Count);
        Assert.Equal(Family.TrainTasks.Count, trainMaps.Count);
        Assert.All(Family.HeldOutTasks, t =>
        {
            Assert.DoesNotContain(t.Name, trainNames);
            Assert.DoesNotContain(string.Join(",", t.Outputs), trainMaps);
        });
        Assert.Equal(Family.HeldOutTasks.Count, Family.HeldOutTasks.Select(t => string.Join(",", t.Outputs)).Distinct().Count());
    }

    [Fact]
    public void PoolSizesAndHeldOutNamedTasksFollowTheOptions()
    {
        var o = Family.Options;
        Assert.Equal(o.TrainPermutations, Family.TrainTasks.Count(t => t.Kind == SymbolicTaskKind.Permutation));
        Assert.Equal(o.HeldOutPermutations, Family.HeldOutTasks.Count(t => t.Kind == SymbolicTaskKind.Permutation));
        Assert.Equal(o.TrainCategoryTasks, Family.TrainTasks.Count(t => t.Kind == SymbolicTaskKind.Category));
        Assert.Equal(o.HeldOutCategoryTasks, Family.HeldOutTasks.Count(t => t.Kind == SymbolicTaskKind.Category));
        Assert.Equal(o.HeldOutNamedTasks.Order(), Family.HeldOutTasks.Where(t => t.Kind is not (SymbolicTaskKind.Permutation or SymbolicTaskKind.Category)).Select(t => t.Name).Order());
        // 9 symbols: copy, successor, predecessor, shift-2..shift-7, constant-a..constant-i.
        Assert.Equal(3 + 6 + 9, Family.TrainTasks.Concat(Family.HeldOutTasks).Count(t => t.Kind is not (SymbolicTaskKind.Permutation or SymbolicTaskKind.Category)));
    }

    [Fact]
    public void PermutationsAndShiftsAreBijectionsOfTheAlphabet()
    {
        var bijective = Family.TrainTasks.Concat(Family.HeldOutTasks)
            .Where(t => t.Kind is not (SymbolicTaskKind.Constant or SymbolicTaskKind.Category)).ToArray();
        Assert.True(bijective.Length > 1000);
        Assert.All(bijective, t =>
        {
            Assert.Equal(Family.Alphabet, t.Inputs);
            Assert.Equal(Family.Alphabet.Order(), t.Outputs.Order());
            Assert.True(t.IsBijection);
        });
        Assert.False(Family.Task("constant-b").IsBijection);
    }

    [Fact]
    public void NamedTasksComputeTheirRules()
    {
        Assert.Equal("b", Family.Task("successor").Apply("a"));
        Assert.Equal("a", Family.Task("successor").Apply("i"));
        Assert.Equal("i", Family.Task("predecessor").Apply("a"));
        Assert.Equal("d", Family.Task("shift-3").Apply("a"));
        Assert.Equal("b", Family.Task("shift-3").Apply("h"));
        Assert.Equal("e", Family.Task("copy").Apply("e"));
        Assert.All(Family.Alphabet, s => Assert.Equal("c", Family.Task("constant-c").Apply(s)));
    }

    [Fact]
    public void CategoryTasksAreBalancedOverTheLabels()
    {
        var categories = Family.TrainTasks.Concat(Family.HeldOutTasks).Where(t => t.Kind == SymbolicTaskKind.Category);
        Assert.All(categories, t =>
        {
            var counts = t.Outputs.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(["X", "Y", "Z"], counts.Keys.Order());
            Assert.All(counts.Values, c => Assert.Equal(3, c));
        });
    }

    [Fact]
    public void BadOptionsAndNamesAreRejectedWithTheirValue()
    {
        var e = Assert.Throws<IclPsException>(() => new SymbolicTaskFamily(new SymbolicTaskFamilyOptions { Alphabet = "abca" }));
        Assert.Equal("InvalidAlphabet", e.ErrorId);
        Assert.Equal("abca", e.Target);
        e = Assert.Throws<IclPsException>(() => new SymbolicTaskFamily(new SymbolicTaskFamilyOptions { CategoryLabels = "aZ" }));
        Assert.Equal("InvalidCategoryLabels", e.ErrorId);
        e = Assert.Throws<IclPsException>(() => new SymbolicTaskFamily(new SymbolicTaskFamilyOptions { HeldOutNamedTasks = ["shift-12"] }));
        Assert.Equal("UnknownHeldOutTask", e.ErrorId);
        Assert.Equal("shift-12", e.Target);
        // 3 symbols have only 6 permutations, 3 of them named.
        e = Assert.Throws<IclPsException>(() => new SymbolicTaskFamily(new SymbolicTaskFamilyOptions { Alphabet = "abc", CategoryLabels = "XY", HeldOutNamedTasks = [], TrainPermutations = 4 }));
        Assert.Equal("TooManyTasks", e.ErrorId);
        Assert.Equal("UnknownTask", Assert.Throws<IclPsException>(() => Family.Task("perm-9999")).ErrorId);
        Assert.Equal("UnknownSymbol", Assert.Throws<IclPsException>(() => Family.Task("copy").Apply("z")).ErrorId);
    }
}
