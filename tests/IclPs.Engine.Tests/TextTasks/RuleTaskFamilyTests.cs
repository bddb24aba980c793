using IclPs.Engine.TextTasks;

namespace IclPs.Engine.Tests.TextTasks;

public class RuleTaskFamilyTests
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    [Fact]
    public void DefaultRulesAreTheNamedShiftsAndFourPermutations()
    {
        var family = new RuleTaskFamily();
        Assert.Equal(["copy", "successor", "predecessor", "forward-2", "back-2", "forward-3", "back-3", "forward-26", "perm-1", "perm-2", "perm-3", "perm-4"],
            family.TrainTasks.Select(t => t.Name));
        Assert.Equal(["forward-4"], family.HeldOutTasks.Select(t => t.Name));
        Assert.Equal(1.0 / 12, family.Chance, 12);
        Assert.All(family.TrainTasks.Concat(family.HeldOutTasks), t => Assert.True(t.IsBijection));
        // Hand-worked: successor wraps from Z to a, back-2 from b to Z, forward-26 swaps the case.
        Assert.Equal("a", family.Task("successor").Apply("Z"));
        Assert.Equal("Z", family.Task("back-2").Apply("b"));
        Assert.Equal("Q", family.Task("forward-26").Apply("q"));
        Assert.Equal("m", family.Task("copy").Apply("m"));
        Assert.Equal("e", family.Task("forward-4").Apply("a"));
    }

    [Fact]
    public void ShiftsMoveEverySymbolByTheirOffset()
    {
        var family = new RuleTaskFamily();
        foreach (var (name, k) in new[] { ("copy", 0), ("successor", 1), ("predecessor", 51), ("forward-3", 3), ("back-3", 49), ("forward-4", 4) })
        {
            var task = family.Task(name);
            for (var i = 0; i < Letters.Length; i++) Assert.Equal(Letters[(i + k) % 52].ToString(), task.Apply(Letters[i].ToString()));
        }
    }

    [Fact]
    public void PermutationsAreSeededDistinctAndNotShifts()
    {
        var a = new RuleTaskFamily(new RuleTaskFamilyOptions { TaskSeed = 3 });
        var b = new RuleTaskFamily(new RuleTaskFamilyOptions { TaskSeed = 3 });
        var c = new RuleTaskFamily(new RuleTaskFamilyOptions { TaskSeed = 4 });
        var perms = a.TrainTasks.Where(t => t.Kind == SymbolicTaskKind.Permutation).ToArray();
        Assert.Equal(4, perms.Length);
        Assert.Equal(perms.Select(t => string.Concat(t.Outputs)), b.TrainTasks.Where(t => t.Kind == SymbolicTaskKind.Permutation).Select(t => string.Concat(t.Outputs)));
        Assert.NotEqual(string.Concat(perms[0].Outputs), string.Concat(c.TrainTasks.Single(t => t.Name == "perm-1").Outputs));
        var maps = a.TrainTasks.Concat(a.HeldOutTasks).Select(t => string.Concat(t.Outputs)).ToArray();
        Assert.Equal(maps.Length, maps.Distinct().Count());
    }

    [Fact]
    public void RulesDisagreeSoZeroShotChanceIsOneOverTheirCount()
    {
        // Two different shifts never agree on an input; count how often any two trained rules agree (permutations may,
        // by chance, on about one input each), which bounds how far a context-free guess can beat 1 / rules.
        var family = new RuleTaskFamily();
        var agreements = 0;
        foreach (var x in Letters.Select(c => c.ToString()))
        {
            var outputs = family.TrainTasks.Select(t => t.Apply(x)).ToArray();
            agreements += outputs.Length - outputs.Distinct().Count();
        }
        Assert.True(agreements <= 52, $"{agreements} coinciding answers over 52 inputs");
        var shifts = family.TrainTasks.Where(t => t.Kind != SymbolicTaskKind.Permutation).ToArray();
        foreach (var x in Letters.Select(c => c.ToString()))
            Assert.Equal(shifts.Length, shifts.Select(t => t.Apply(x)).Distinct().Count());
    }

    [Fact]
    public void NamesTakeTheShorterWayRound()
    {
        Assert.Equal("copy", RuleTaskFamily.ShiftName(52, 52));
        Assert.Equal("predecessor", RuleTaskFamily.ShiftName(-1, 52));
        Assert.Equal("back-2", RuleTaskFamily.ShiftName(50, 52));
        Assert.Equal("forward-26", RuleTaskFamily.ShiftName(-26, 52));
        Assert.Equal("back-3", RuleTaskFamily.ShiftName(-3, 10));
    }

    [Fact]
    public void BadOptionsAreRefused()
    {
        Assert.Equal("DuplicateRule", Assert.Throws<IclPsException>(() => new RuleTaskFamily(new RuleTaskFamilyOptions { Shifts = [1, 53] })).ErrorId);
        Assert.Equal("DuplicateRule", Assert.Throws<IclPsException>(() => new RuleTaskFamily(new RuleTaskFamilyOptions { HeldOutShifts = [1] })).ErrorId);
        Assert.Equal("InvalidAlphabet", Assert.Throws<IclPsException>(() => new RuleTaskFamily(new RuleTaskFamilyOptions { Alphabet = "aab" })).ErrorId);
        Assert.Equal("NoTasks", Assert.Throws<IclPsException>(() => new RuleTaskFamily(new RuleTaskFamilyOptions { Shifts = [], Permutations = 0 })).ErrorId);
        Assert.Equal("TooManyTasks", Assert.Throws<IclPsException>(() => new RuleTaskFamily(new RuleTaskFamilyOptions { Alphabet = "abc", Shifts = [0], HeldOutShifts = [], Permutations = 9 })).ErrorId);
    }
}
