using System.Globalization;
using IclPs.Engine.Native;
using TorchSharp;

namespace IclPs.Bench;

/// <summary>
/// One benchmark run: loads the natives, fixes the thread count, turns autograd off, collects result rows,
/// then prints them and writes bench/results/{subcommand}-{timestamp}.csv.
/// </summary>
public sealed class BenchSession : IDisposable
{
    /// <summary>
    /// Options every subcommand takes: <c>--threads</c> (default: logical cores; <c>auto</c>: the engine's choice for the
    /// bench's model, <see cref="TorchThreads.Choose"/>, where the subcommand supports it) and <c>--out</c> (results folder).
    /// </summary>
    public static readonly string[] CommonOptions = ["threads", "out"];

    /// <summary>Other processes using more than this share of the cores during a run make its absolute figures suspect.</summary>
    private const double ContentionWarning = 0.1;

    private readonly string _subcommand;
    private readonly string _outDir;
    private readonly List<ResultRow> _rows = new();
    private readonly List<string> _notes = new();
    private readonly IDisposable _noGrad;
    private readonly IDisposable _scope;
    private readonly CpuContention _contention;

    private readonly bool _automaticThreads;

    private BenchSession(string subcommand, string outDir, int? threads)
    {
        _subcommand = subcommand;
        _outDir = outDir;
        // The natives must be loaded before any torch static is touched.
        TorchNativeLoader.EnsureLoaded();
        _automaticThreads = threads is null;
        torch.set_num_threads(threads ?? Environment.ProcessorCount);
        _noGrad = torch.no_grad();
        _scope = torch.NewDisposeScope();
        Machine = MachineInfo.Capture();
        _contention = CpuContention.Start();
        Console.WriteLine($"iclps-bench {subcommand}: {Machine}");
        Console.WriteLine($"  {TorchNativeLoader.Status}");
    }

    public MachineInfo Machine { get; private set; }

    public static BenchSession Start(string subcommand, BenchOptions options) =>
        new(subcommand, options.String("out") ?? DefaultResultsFolder(),
            options.String("threads") == "auto" ? null : options.Int("threads", Environment.ProcessorCount));

    /// <summary>
    /// With <c>--threads auto</c>, sets torch's threads as the module would for a model of <paramref name="parameters"/>
    /// parameters (ICLPS_THREADS honoured) and records the choice; otherwise the fixed count stays.
    /// </summary>
    public void ChooseThreads(long parameters)
    {
        if (!_automaticThreads) return;
        var choice = TorchThreads.Choose(parameters);
        TorchThreads.Apply(choice);
        Machine = Machine with { TorchThreads = choice.Threads };
        Console.WriteLine($"  threads: {choice}");
        Note($"threads: {choice}.");
    }

    public void Add(string benchCase, string metric, double value, string unit = "") => _rows.Add(new ResultRow(benchCase, metric, value, unit));

    /// <summary>A line printed under the table (formula, verdict, caveat); not part of the CSV.</summary>
    public void Note(string line) => _notes.Add(line);

    public int Finish()
    {
        var loadAtEnd = MachineInfo.LoadAverage();
        var others = _contention.OthersShare();
        Console.WriteLine();
        Console.WriteLine(ResultTable.Format(_rows));
        Console.WriteLine();
        foreach (var note in _notes) Console.WriteLine(note);
        Console.WriteLine($"other processes used {others:P0} of the {Machine.LogicalCores} cores during the run (load average at start {Machine.LoadAverageAtStart}, at end {loadAtEnd}).");
        if (others > ContentionWarning)
            Console.WriteLine("warning: other processes competed for the cores; ratios within this run still compare like with like, absolute figures are low. Rerun when the machine is quiet.");
        var stamp = Machine.StartedUtc.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var path = Path.Combine(_outDir, $"{_subcommand}-{stamp}.csv");
        ResultTable.WriteCsv(path, _subcommand, Machine, loadAtEnd, others, _rows);
        Console.WriteLine($"results: {path}");
        return 0;
    }

    public void Dispose()
    {
        _scope.Dispose();
        _noGrad.Dispose();
    }

    /// <summary>bench/results of the enclosing checkout, looked for upwards from the working directory, then from the program.</summary>
    private static string DefaultResultsFolder() =>
        CheckoutRoot.Holding(Path.Combine("bench", "IclPs.Bench")) is { } root
            ? Path.Combine(root, "bench", "results")
            : throw new BenchOptionException($"no bench/IclPs.Bench folder above '{Directory.GetCurrentDirectory()}'; pass --out <folder>.");
}
