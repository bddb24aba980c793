using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using IclPs.Engine.Tokenization;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// Few-shot first-token accuracy of a model on symbolic tasks, measured the way <c>Invoke-IclPrompt</c> measures it:
/// <see cref="IclPromptRunner"/> with each task's own pairs as the demonstration pool (so
/// <see cref="FewShotPromptBuilder"/> never shows the query's pair) and every pair of the task as a query. During training
/// it reports <see cref="TrainAccuracy"/> and <see cref="HeldOutAccuracy"/> on fixed, seeded subsets of the two pools.
/// </summary>
public sealed class SymbolicIclEvaluator
{
    public const string TrainAccuracy = "TrainAccuracy";
    public const string HeldOutAccuracy = "HeldOutAccuracy";

    private readonly SymbolicTask[] _train;
    private readonly SymbolicTask[] _heldOut;

    /// <param name="tasksPerPool">At most this many tasks of each pool are scored, a subset fixed by <paramref name="seed"/>.</param>
    public SymbolicIclEvaluator(ITextTokenizer tokenizer, IReadOnlyList<SymbolicTask> trainTasks, IReadOnlyList<SymbolicTask> heldOutTasks,
        int shots, int tasksPerPool, int seed, PromptFormat? format = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(trainTasks);
        ArgumentNullException.ThrowIfNull(heldOutTasks);
        if (tasksPerPool < 1)
            throw new IclPsException("InvalidTaskCount", IclErrorKind.InvalidArgument, $"Tasks per evaluation pool must be 1 or more, got {tasksPerPool}.", tasksPerPool);
        if (trainTasks.Count == 0 || heldOutTasks.Count == 0)
            throw new IclPsException("NoTasks", IclErrorKind.InvalidArgument,
                $"Evaluation needs training and held-out tasks, got {trainTasks.Count} and {heldOutTasks.Count}.", heldOutTasks.Count == 0 ? heldOutTasks : trainTasks);
        if (shots < 0 || trainTasks.Concat(heldOutTasks).Any(t => t.Examples.Count <= shots))
            throw new IclPsException("InvalidShots", IclErrorKind.InvalidArgument,
                $"{shots} shots need 0 or more and fewer than every task's {trainTasks.Concat(heldOutTasks).Min(t => t.Examples.Count)} pairs.", shots);
        Tokenizer = tokenizer;
        Format = format ?? SymbolicSequenceSampler.DefaultFormat;
        Format.Validate();
        (Shots, Seed) = (shots, seed);
        _train = Subset(trainTasks, tasksPerPool, 1);
        _heldOut = Subset(heldOutTasks, tasksPerPool, 2);
    }

    public ITextTokenizer Tokenizer { get; }
    public PromptFormat Format { get; }
    public int Shots { get; }
    public int Seed { get; }
    /// <summary>The training tasks scored for <see cref="TrainAccuracy"/>.</summary>
    public IReadOnlyList<SymbolicTask> TrainSubset => _train;
    /// <summary>The held-out tasks scored for <see cref="HeldOutAccuracy"/>.</summary>
    public IReadOnlyList<SymbolicTask> HeldOutSubset => _heldOut;

    /// <summary><see cref="TrainAccuracy"/> and <see cref="HeldOutAccuracy"/> of <paramref name="network"/> at <see cref="Shots"/> shots.</summary>
    public IReadOnlyDictionary<string, double> Evaluate(TransformerModel network, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        // Not disposed: the wrapper would dispose the network the caller still trains.
        var model = new IclModel(network, Tokenizer, "training", network.Identity);
        return new Dictionary<string, double>
        {
            [TrainAccuracy] = FirstTokenAccuracy(model, _train, Shots, Seed, Format, cancellationToken),
            [HeldOutAccuracy] = FirstTokenAccuracy(model, _heldOut, Shots, Seed, Format, cancellationToken),
        };
    }

    /// <summary>
    /// The fraction of queries whose first answer token is the model's arg-max, over every pair of every task at
    /// <paramref name="shots"/> demonstrations from the task's other pairs; task i draws its demonstrations with seed + i.
    /// </summary>
    public static double FirstTokenAccuracy(IclModel model, IReadOnlyList<SymbolicTask> tasks, int shots, int seed, PromptFormat? format = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count == 0)
            throw new IclPsException("NoTasks", IclErrorKind.InvalidArgument, "No tasks to evaluate.", tasks);
        var (right, total) = (0, 0);
        for (var i = 0; i < tasks.Count; i++)
        {
            var examples = tasks[i].Examples;
            var runner = new IclPromptRunner(model, new IclRunOptions
            {
                Format = format ?? SymbolicSequenceSampler.DefaultFormat, Shots = shots, Seed = unchecked(seed + i), BatchSize = examples.Count, MaxNewTokens = 0,
            });
            foreach (var result in runner.Run(examples, examples, cancellationToken))
            {
                total++;
                if (result.FirstTokenCorrect) right++;
            }
        }
        return (double)right / total;
    }

    private SymbolicTask[] Subset(IReadOnlyList<SymbolicTask> tasks, int count, long stream)
    {
        if (tasks.Count <= count) return tasks.ToArray();
        var order = Enumerable.Range(0, tasks.Count).ToArray();
        new SeededRandom(Seed, stream).ShuffleFront(order, count);
        return order.Take(count).Order().Select(i => tasks[i]).ToArray();
    }
}
