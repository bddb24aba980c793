using System.Globalization;
using IclPs.Engine.Data;

namespace IclPs.Engine.TextTasks;

/// <summary>What the symbolic, keyed-lookup and affine task families share: option checks, task lookup, export and drawing distinct maps.</summary>
internal static class TaskFamilyCommon
{
    /// <summary>The characters of <paramref name="symbols"/> as strings; at least <paramref name="minimum"/> distinct ones, none whitespace or a surrogate.</summary>
    public static string[] ValidateSymbols(string? symbols, string errorId, string what, int minimum)
    {
        if (symbols is null || symbols.Length < minimum || symbols.Distinct().Count() != symbols.Length || symbols.Any(c => char.IsWhiteSpace(c) || char.IsSurrogate(c)))
            throw new IclPsException(errorId, IclErrorKind.InvalidArgument,
                $"The {what} '{symbols}' must be at least {minimum} distinct characters, none whitespace or outside the basic multilingual plane.", symbols);
        return symbols.Select(c => c.ToString()).ToArray();
    }

    public static void RequireCount(int value, string name, int minimum)
    {
        if (value < minimum)
            throw new IclPsException("InvalidTaskCount", IclErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"{name} must be {minimum} or more, got {value}."), value);
    }

    /// <summary>The task named <paramref name="name"/>, or an UnknownTask error.</summary>
    public static SymbolicTask Find(IReadOnlyDictionary<string, SymbolicTask> byName, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return byName.TryGetValue(name, out var task)
            ? task
            : throw new IclPsException("UnknownTask", IclErrorKind.ObjectNotFound, $"No task named '{name}' in this family.", name);
    }

    /// <summary>Writes each task as <c>{directory}/{name}.json</c> in the Function Vector format; returns the paths in task order.</summary>
    public static IReadOnlyList<string> Export(string directory, IEnumerable<SymbolicTask> tasks)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(tasks);
        return tasks.Select(t => FunctionVectorJsonWriter.Write(t.ToDataset(), Path.Combine(directory, t.Name + ".json"))).ToArray();
    }

    /// <summary>
    /// Draws tasks, <paramref name="draw"/>(random, tasks found so far), until <paramref name="count"/> are found whose
    /// <paramref name="key"/> is not yet in <paramref name="taken"/>; gives up with TooManyTasks and <paramref name="exhausted"/>.
    /// </summary>
    public static List<SymbolicTask> DrawDistinct(int count, SeededRandom random, Func<SeededRandom, int, SymbolicTask> draw,
        Func<SymbolicTask, string> key, HashSet<string> taken, string exhausted)
    {
        var tasks = new List<SymbolicTask>(count);
        // A generous cap on rejections: even drawing every map (coupon collector, about M ln M draws) stays far below it,
        // so it is reached only when the requested pool exceeds (nearly) all distinct maps.
        var attemptsLeft = 100L * count + 1000;
        while (tasks.Count < count)
        {
            if (attemptsLeft-- == 0)
                throw new IclPsException("TooManyTasks", IclErrorKind.InvalidArgument, exhausted, count);
            var task = draw(random, tasks.Count);
            if (taken.Add(key(task))) tasks.Add(task);
        }
        return tasks;
    }
}
