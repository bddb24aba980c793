using System.Diagnostics;
using TorchSharp;

namespace IclPs.Bench;

/// <summary>
/// Times cases in interleaved rounds: every round runs every case once, starting from a different case each round,
/// so load from other processes on a shared machine falls on all cases alike and ratios within a run stay meaningful.
/// </summary>
public static class StopwatchHarness
{
    public static IReadOnlyList<Timing> Interleaved(IReadOnlyList<BenchCase> cases, int warmup, int reps)
    {
        foreach (var c in cases)
        {
            for (var w = 0; w < warmup; w++) RunOnce(c);
        }
        var seconds = cases.Select(_ => new double[reps]).ToArray();
        for (var r = 0; r < reps; r++)
        {
            for (var k = 0; k < cases.Count; k++)
            {
                var i = (r + k) % cases.Count;
                seconds[i][r] = RunOnce(cases[i]);
            }
            Console.Error.Write($"\r  round {r + 1}/{reps}");
        }
        Console.Error.WriteLine();
        return cases.Select((c, i) => new Timing(c.Name, seconds[i])).ToList();
    }

    private static double RunOnce(BenchCase benchCase)
    {
        var watch = Stopwatch.StartNew();
        using (torch.NewDisposeScope()) benchCase.Body();
        return watch.Elapsed.TotalSeconds;
    }
}
