using IclPs.Engine.Prompting;

namespace IclPs.Engine.Tests.Prompting;

public class IclPromptSummaryTests
{
    private static IclPromptResult Result(int seed, bool correct, double logProb) => new()
    {
        QueryIndex = 0, Query = "q", Expected = "e", Predicted = "", FirstTokenCorrect = correct, ExactMatch = false,
        ExpectedLogProb = logProb, ExpectedRank = 1, ExpectedTokens = 1, Shots = 2, ShotsRequested = 2, Seed = seed,
        Model = "m", ModelSource = "s", PromptTokens = 5,
    };

    [Fact]
    public void SummarizesDrawsByHand()
    {
        // Three draws (seeds 4, 5, 6) of four queries: accuracies 3/4, 1/4, 2/4.
        bool[][] correct = [[true, true, true, false], [false, true, false, false], [true, false, true, false]];
        var results = correct.SelectMany((draw, k) => draw.Select(c => Result(4 + k, c, c ? -0.5 : -2))).ToList();
        var summary = IclPromptSummary.Summarize(results);
        var accuracy = summary.Single(s => s.Metric == "FirstTokenCorrect");
        Assert.Equal((3, 4), (accuracy.Draws, accuracy.Queries));
        Assert.Equal(0.5, accuracy.Mean, 14);
        // Draw means 0.75, 0.25, 0.5: sd = 0.25; t(2, 0.975) = 4.302652729749464; half width 4.3027 * 0.25 / sqrt 3.
        Assert.Equal(0.25, accuracy.DrawSd, 14);
        Assert.Equal(0.5 - 4.302652729749464 * 0.25 / Math.Sqrt(3), accuracy.DrawLow, 10);
        Assert.Equal(0.5 + 4.302652729749464 * 0.25 / Math.Sqrt(3), accuracy.DrawHigh, 10);
        Assert.Equal((0.25, 0.75), (accuracy.DrawMin, accuracy.DrawMax));
        // Per-query sd within a draw: 3 of 4 right -> sqrt(0.75 * 0.25 * 4 / 3) = 0.5 for 3/4 and 1/4, sqrt(1/3) for 2/4.
        var se = (0.5 / 2 + 0.5 / 2 + Math.Sqrt(1.0 / 3) / 2) / 3;
        Assert.Equal(se, accuracy.QueryStandardError, 14);
        Assert.Equal("4,5,6", accuracy.Seeds);
        Assert.Equal(0, summary.Single(s => s.Metric == "ExactMatch").Mean);
        // Log-probabilities: -0.5 when right, -2 when wrong: mean -2 + 1.5 * 0.5.
        Assert.Equal(-1.25, summary.Single(s => s.Metric == "ExpectedLogProb").Mean, 14);
    }

    [Fact]
    public void UnequalDrawsAreRefused()
    {
        var results = new[] { Result(0, true, -1), Result(0, true, -1), Result(1, true, -1) };
        Assert.Equal("SummaryUnequalDraws", Assert.Throws<IclPsException>(() => IclPromptSummary.Summarize(results)).ErrorId);
    }
}
