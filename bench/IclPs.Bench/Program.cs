using IclPs.Bench;

// Each subcommand parses its own options and returns the process exit code.
var commands = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["matmul"] = MatmulBench.Run,
    ["forward"] = ForwardBench.Run,
    ["profile"] = ProfileBench.Run,
    ["capture"] = CaptureBench.Run,
    ["load-memory"] = LoadMemoryBench.Run,
    ["train-step"] = TrainStepBench.Run,
    ["cie"] = CieBench.Run,
    ["ltv-step"] = LtvStepBench.Run,
    ["measure-regression"] = MeasureRegressionBench.Run,
    ["categorical-step"] = CategoricalStepBench.Run,
    ["generate"] = GenerateBench.Run,
    ["prompt"] = PromptBench.Run,
    ["stacked-train"] = StackedTrainBench.Run,
    ["it-similarity"] = ItSimilarityBench.Run,
};

if (args.Length == 0 || !commands.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: iclps-bench <{string.Join('|', commands.Keys)}> [--option value ...]   (see bench/README.md)");
    return args.Length == 0 ? 2 : Fail($"unknown subcommand '{args[0]}'");
}

try
{
    return run(args[1..]);
}
catch (BenchOptionException e)
{
    return Fail(e.Message);
}

static int Fail(string message)
{
    Console.Error.WriteLine($"iclps-bench: {message}");
    return 2;
}
