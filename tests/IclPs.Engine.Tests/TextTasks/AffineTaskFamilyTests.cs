using IclPs.Engine.TextTasks;

namespace IclPs.Engine.Tests.TextTasks;

public class AffineTaskFamilyTests
{
    private static readonly AffineTaskFamily Family = new();

    [Fact]
    public void EveryTaskComputesItsAffineMapAndIsABijection()
    {
        var all = Family.TrainTasks.Concat(Family.HeldOutTasks).ToArray();
        Assert.Equal(11 * 10, all.Length);
        Assert.Equal(all.Length, all.Select(t => string.Concat(t.Outputs)).Distinct().Count());
        Assert.All(all, t =>
        {
            var (a, b) = Family.Coefficients(t);
            Assert.Same(t, Family.Task(a, b));
            Assert.True(t.IsBijection);
            for (var x = 0; x < 11; x++) Assert.Equal("abcdefghijk"[(a * x + b) % 11].ToString(), t.Apply("abcdefghijk"[x].ToString()));
        });
        Assert.Equal("a", Family.Task("affine-3-2").Apply("d"));   // 3*3 + 2 = 11 = 0 mod 11
    }

    [Fact]
    public void ShiftsKeepTheirNames()
    {
        Assert.Equal((1, 0), Family.Coefficients(Family.Task("copy")));
        Assert.Equal((1, 1), Family.Coefficients(Family.Task("successor")));
        Assert.Equal((1, 10), Family.Coefficients(Family.Task("predecessor")));
        Assert.Equal((1, 4), Family.Coefficients(Family.Task("shift-4")));
        Assert.Equal(SymbolicTaskKind.Predecessor, Family.Task(1, 10).Kind);
        Assert.Equal(SymbolicTaskKind.Affine, Family.Task(2, 0).Kind);
        Assert.Equal("a", Family.Task("successor").Apply("k"));
    }

    [Fact]
    public void HeldOutTasksFollowTheOptionsAndLeaveEveryCoefficientInTraining()
    {
        Assert.Equal(16 + 2, Family.HeldOutTasks.Count);
        Assert.Contains(Family.Task("successor"), Family.HeldOutTasks);
        Assert.Contains(Family.Task("shift-3"), Family.HeldOutTasks);
        Assert.Empty(Family.TrainTasks.Intersect(Family.HeldOutTasks));
        var trained = Family.TrainTasks.Select(Family.Coefficients).ToArray();
        Assert.Equal(Enumerable.Range(1, 10), trained.Select(c => c.A).Distinct().Order());
        Assert.Equal(Enumerable.Range(0, 11), trained.Select(c => c.B).Distinct().Order());

        var again = new AffineTaskFamily();
        var other = new AffineTaskFamily(new AffineTaskFamilyOptions { TaskSeed = 1 });
        Assert.Equal(Family.HeldOutTasks.Select(t => t.Name), again.HeldOutTasks.Select(t => t.Name));
        Assert.NotEqual(Family.HeldOutTasks.Select(t => t.Name), other.HeldOutTasks.Select(t => t.Name));
    }

    [Fact]
    public void TwoDemonstrationsWithDistinctInputsDetermineTheTask()
    {
        // Exhaustively: no two different tasks agree on two distinct inputs, so two shots fix the query's answer.
        var all = Family.TrainTasks.Concat(Family.HeldOutTasks).ToArray();
        for (var x1 = 0; x1 < 11; x1++)
            for (var x2 = x1 + 1; x2 < 11; x2++)
            {
                var signatures = all.Select(t => t.Outputs[x1] + t.Outputs[x2]).ToArray();
                Assert.Equal(all.Length, signatures.Distinct().Count());
            }
    }

    [Fact]
    public void BadOptionsAreRejectedWithTheirValue()
    {
        var e = Assert.Throws<IclPsException>(() => new AffineTaskFamily(new AffineTaskFamilyOptions { Alphabet = "abcdefghi" }));
        Assert.Equal(("InvalidAlphabet", (object)"abcdefghi"), (e.ErrorId, e.Target!));
        Assert.Equal("InvalidAlphabet", Assert.Throws<IclPsException>(() => new AffineTaskFamily(new AffineTaskFamilyOptions { Alphabet = "abcda" })).ErrorId);
        e = Assert.Throws<IclPsException>(() => new AffineTaskFamily(new AffineTaskFamilyOptions { HeldOutNamedTasks = ["affine-2-3"] }));
        Assert.Equal(("UnknownHeldOutTask", (object)"affine-2-3"), (e.ErrorId, e.Target!));
        e = Assert.Throws<IclPsException>(() => new AffineTaskFamily(new AffineTaskFamilyOptions { HeldOutAffineTasks = 100 }));
        Assert.Equal(("InvalidTaskCount", (object)100), (e.ErrorId, e.Target!));
        Assert.Equal("InvalidCoefficients", Assert.Throws<IclPsException>(() => Family.Task(0, 3)).ErrorId);
        Assert.Equal("UnknownTask", Assert.Throws<IclPsException>(() => Family.Task("affine-1-3")).ErrorId);
        Assert.Equal("UnknownTask", Assert.Throws<IclPsException>(() => Family.Coefficients(new SymbolicTaskFamily().Task("copy"))).ErrorId);
    }
}
