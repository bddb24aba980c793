namespace IclPs.Engine.Sweeps;

/// <summary>How a sweep shares a machine's cores between worker processes.</summary>
public static class SweepWorkers
{
    /// <summary>
    /// The torch threads of each of <paramref name="workers"/> processes on <paramref name="cores"/> cores: max(1, C / N),
    /// so N workers together use no more threads than there are cores (and at least one each).
    /// </summary>
    public static int ThreadsPerWorker(int cores, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        return Math.Max(1, cores / workers);
    }

    /// <summary>
    /// Sets this process's torch intra-op threads (<c>torch.set_num_threads</c>); worker processes also start with
    /// OMP_NUM_THREADS and MKL_NUM_THREADS set to the same number, which libtorch and its BLAS read at load.
    /// </summary>
    public static void SetTorchThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        TorchSharp.torch.set_num_threads(threads);
    }

    /// <summary>
    /// The units array task <paramref name="task"/> runs when each task runs <paramref name="unitsPerTask"/> consecutive
    /// units: indices [task * k, min((task + 1) * k, count)).
    /// </summary>
    public static IReadOnlyList<SweepUnit> Block(IReadOnlyList<SweepUnit> units, int task, int unitsPerTask)
    {
        ArgumentNullException.ThrowIfNull(units);
        ArgumentOutOfRangeException.ThrowIfLessThan(unitsPerTask, 1);
        var tasks = TaskCount(units.Count, unitsPerTask);
        if (task < 0 || task >= tasks)
            throw new IclPsException(SweepErrorIds.UnitNotFound, IclErrorKind.InvalidArgument,
                $"Task index {task} is outside 0..{tasks - 1}: the sweep's {units.Count} unit(s) in blocks of {unitsPerTask} make {tasks} task(s).", task);
        return units.Skip(task * unitsPerTask).Take(unitsPerTask).ToList();
    }

    /// <summary>ceil(count / k): array tasks for <paramref name="count"/> units in blocks of <paramref name="unitsPerTask"/>.</summary>
    public static int TaskCount(int count, int unitsPerTask) => (count + unitsPerTask - 1) / unitsPerTask;
}
