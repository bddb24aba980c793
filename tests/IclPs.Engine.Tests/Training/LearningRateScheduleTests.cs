using IclPs.Engine.Training;

namespace IclPs.Engine.Tests.Training;

/// <summary>Schedules at chosen steps against their closed forms, computed by hand.</summary>
public sealed class LearningRateScheduleTests
{
    [Theory]
    // Triangle over T = 100: t / 50 up to the middle, (100 - t) / 50 after.
    [InlineData(LearningRateSchedule.Triangle, 0, 0.0)]
    [InlineData(LearningRateSchedule.Triangle, 25, 0.5)]
    [InlineData(LearningRateSchedule.Triangle, 50, 1.0)]
    [InlineData(LearningRateSchedule.Triangle, 80, 0.4)]
    [InlineData(LearningRateSchedule.Triangle, 99, 0.02)]
    // Constant with W = 10: t / 10, then 1.
    [InlineData(LearningRateSchedule.Constant, 0, 0.0)]
    [InlineData(LearningRateSchedule.Constant, 5, 0.5)]
    [InlineData(LearningRateSchedule.Constant, 10, 1.0)]
    [InlineData(LearningRateSchedule.Constant, 99, 1.0)]
    // Cosine with W = 10: t / 10, then (1 + cos(pi (t - 10) / 90)) / 2.
    [InlineData(LearningRateSchedule.Cosine, 5, 0.5)]
    [InlineData(LearningRateSchedule.Cosine, 10, 1.0)]
    [InlineData(LearningRateSchedule.Cosine, 55, 0.5)]
    [InlineData(LearningRateSchedule.Cosine, 40, 0.75)]
    public void Learning_rate_follows_the_closed_form(LearningRateSchedule schedule, int step, double fraction)
    {
        var options = new IclTrainingOptions { Steps = 100, LearningRate = 2e-3, Schedule = schedule, WarmupSteps = 10 };
        Assert.Equal(2e-3 * fraction, options.LearningRateAt(step), 12);
    }

    [Fact]
    public void Odd_step_counts_peak_at_the_real_midpoint()
    {
        var options = new IclTrainingOptions { Steps = 7, LearningRate = 1, Schedule = LearningRateSchedule.Triangle };
        Assert.Equal(3 / 3.5, options.LearningRateAt(3), 12);
        Assert.Equal(3 / 3.5, options.LearningRateAt(4), 12);
    }

    [Fact]
    public void Constant_without_warm_up_is_the_learning_rate_from_the_first_update_whatever_the_length()
    {
        foreach (var steps in new[] { 1, 100, 1_000_000 })
        {
            var options = new IclTrainingOptions { Steps = steps, LearningRate = 3e-3, Schedule = LearningRateSchedule.Constant };
            Assert.Equal(3e-3, options.LearningRateAt(0));
            Assert.Equal(3e-3, options.LearningRateAt(steps - 1));
        }
    }
}
