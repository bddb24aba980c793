using System.Collections;
using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Management.Automation;
using System.Text;
using System.Text.Json;
using IclPs.Engine;
using IclPs.Engine.Storage;
using IclPs.Engine.Sweeps;

namespace IclPs.Cmdlets;

/// <summary>Where Invoke-IclSweep runs the units.</summary>
public enum SweepScheduler
{
    /// <summary>On this machine: in this session, or in -ThrottleLimit worker processes.</summary>
    Local,
    /// <summary>As a Slurm array job (sbatch --array), one block of -UnitsPerTask units per array task.</summary>
    Slurm,
}

/// <summary>Runs the units of a sweep through a script, each unit's rows into its own shard; finished units are skipped.</summary>
/// <remarks>
/// <para>
/// Takes units from New-IclSweep (piped, in the order they are to be merged) and a script (-ScriptBlock or -FilePath) that
/// receives a unit's parameters as named parameters (declare them in its param block) and writes result objects. Each
/// unit's objects are written, one row each as Export-IclResult writes them, into the unit's own shard in the sweep folder
/// -Path (shards/ID/rows.csv beside unit.json, which records the unit's parameters and the script so the shard says how
/// to make it again). A shard is staged and appears with one rename, complete, so a unit is done exactly when its shard
/// exists: a unit whose shard exists is skipped (Status Skipped), and a sweep killed part-way resumes by running the same
/// command again. Delete a shard folder to run its unit again. The plan (units and script) is kept in the folder's
/// sweep.json, so Invoke-IclSweep -Path FOLDER alone runs or resumes the sweep from it, and Merge-IclSweep joins the shards.
/// </para>
/// <para>
/// A unit fails when its script throws or writes an error: a non-terminating SweepUnitFailed error names the unit (the
/// target), no shard is written, and the other units still run; the next run tries it again. A unit another process is
/// running (its lock is held: a second session, a worker, an array task) is left to it (Status Busy). Stale staging
/// folders of killed runs are removed first (-Verbose lists them). Write messages with Write-Host, Write-Verbose or
/// Write-Information: everything a unit's script writes to the output is a row.
/// </para>
/// <para>
/// -ThrottleLimit N runs the units in N worker processes (fresh pwsh processes importing this module, fed one unit at a
/// time), so the script sees only the unit's parameters, not this session's variables. Torch threads are divided so the
/// workers do not oversubscribe the cores: each worker gets max(1, C / N) threads on C cores (or -ThreadsPerWorker),
/// set as OMP_NUM_THREADS and MKL_NUM_THREADS in its environment and by torch.set_num_threads; -Verbose shows the numbers.
/// Without -ThrottleLimit the units run one after another in this session, whose variables the script block sees.
/// Whether parallel results equal serial ones to the bit depends on the script: torch kernels may sum in another order
/// with another thread count, so give -ThreadsPerWorker the serial session's thread count when that matters.
/// </para>
/// <para>
/// -Scheduler Slurm writes slurm/sweep.sbatch in the sweep folder, an sbatch --array script whose task i runs block i of
/// the plan (units i*k to i*k+k-1, k = -UnitsPerTask) with Invoke-IclSweep -Path FOLDER -TaskIndex $env:SLURM_ARRAY_TASK_ID
/// in a fresh pwsh, and submits it with sbatch (blocks whose units all have shards are left out); it writes a SweepSubmission
/// with the job id. -WhatIf says what would be submitted and writes nothing. The folder, the module and pwsh must be at the
/// same paths on the compute nodes. -Wait then polls squeue until the job has left the queue, showing the units finished
/// so far; each unit still without a shard after that is a SweepShardMissing error naming the task log to read, and
/// -Timeout bounds the wait (a SlurmWaitTimedOut error; the job keeps running, as it does when Ctrl+C stops the wait).
/// When the job has finished, Merge-IclSweep joins the shards. The same -TaskIndex
/// mechanism serves any array scheduler (docs: a Kubernetes Indexed Job with JOB_COMPLETION_INDEX).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $folder = Join-Path ([IO.Path]::GetTempPath()) "sweep-$([guid]::NewGuid())"
/// New-IclSweep ([ordered]@{ Rate = 0.5, 2; Seed = 0, 1 }) |
///     Invoke-IclSweep -Path $folder -ScriptBlock {
///         param([double]$Rate, [int]$Seed)
///         $values = Get-Random -SetSeed $Seed -Count 3 -Maximum 100
///         [pscustomobject]@{ Rate = $Rate; Seed = $Seed; Mean = $Rate * ($values | Measure-Object -Average).Average }
///     }
/// Merge-IclSweep -Path $folder -Destination (Join-Path $folder 'results.csv') -PassThru
/// </code>
/// <para>Runs four units in this session, one shard each, and merges them into one CSV in unit order.</para>
/// </example>
/// <example>
/// <code>
/// $folder = Join-Path ([IO.Path]::GetTempPath()) "sweep-$([guid]::NewGuid())"
/// $units = New-IclSweep @{ Dimension = 2, 4, 8 }
/// $train = {
///     param([int]$Dimension)
///     $run = Join-Path ([IO.Path]::GetTempPath()) "run-$([guid]::NewGuid())"
///     Start-IclTraining -Preset regression-tiny -Dimension $Dimension -Points 8 -Steps 20 -BatchSize 16 -EvaluateEvery 20 -Path $run -Seed 0 |
///         Select-Object @{ Name = 'Dimension'; Expression = { $Dimension } }, Step, Loss
///     Remove-Item $run -Recurse
/// }
/// $units | Invoke-IclSweep -Path $folder -ScriptBlock $train -ThrottleLimit 2 -Verbose
/// $units | Invoke-IclSweep -Path $folder -ScriptBlock $train
/// </code>
/// <para>
/// Trains three tiny regression models in two worker processes (-Verbose shows the torch threads each worker gets); the
/// second run finds every shard and skips all three units.
/// </para>
/// </example>
/// <example>
/// <code>
/// $folder = Join-Path ([IO.Path]::GetTempPath()) "sweep-$([guid]::NewGuid())"
/// New-IclSweep @{ M = 2, 8, 32, 128; Seed = 0 } |
///     Invoke-IclSweep -Path $folder -ScriptBlock { param($M, $Seed) [pscustomobject]@{ M = $M; Seed = $Seed } } -Scheduler Slurm -UnitsPerTask 2 -WhatIf
/// </code>
/// <para>Shows the sbatch --array=0-1 job that would run the four units on a Slurm cluster, two per array task, without writing or submitting anything.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "IclSweep", SupportsShouldProcess = true, DefaultParameterSetName = FolderSet,
    HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#invoke-iclsweep")]
[OutputType(typeof(SweepUnitResult), typeof(SweepSubmission))]
public sealed class InvokeIclSweepCommand : IclPsCmdlet
{
    private const string ScriptBlockSet = "ScriptBlock";
    private const string FilePathSet = "FilePath";
    private const string FolderSet = "Folder";
    private readonly List<SweepUnit> _units = new();

    /// <summary>
    /// The sweep folder: sweep.json (the plan), shards/ (one folder per finished unit) and, for Slurm, slurm/. Created when
    /// missing; relative paths are resolved from the current PowerShell location. Alone, it runs the plan kept there.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The units to run, from New-IclSweep, usually piped; their order is the merge order.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ScriptBlockSet)]
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = FilePathSet)]
    [ValidateNotNull]
    public SweepUnit[] Unit { get; set; } = [];

    /// <summary>
    /// The script that runs one unit: it gets the unit's parameters as named parameters and writes result objects (the
    /// shard's rows). Worker processes and array tasks recreate it from its text, without this session's variables.
    /// </summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ScriptBlockSet)]
    [ValidateNotNull]
    public ScriptBlock ScriptBlock { get; set; } = null!;

    /// <summary>A script file that runs one unit, as -ScriptBlock; kept in the plan by its full path.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FilePathSet)]
    [ValidateNotNullOrEmpty]
    public string FilePath { get; set; } = "";

    /// <summary>
    /// Runs only block TaskIndex of the plan, units TaskIndex*k to TaskIndex*k+k-1 (k = -UnitsPerTask), as an array task
    /// does ($env:SLURM_ARRAY_TASK_ID, $env:JOB_COMPLETION_INDEX). With units given, the whole plan is still written.
    /// </summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? TaskIndex { get; set; }

    /// <summary>Runs only the units of the plan with these ids (the shard names); with units given, the whole plan is still written.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? UnitId { get; set; }

    /// <summary>Units per array task (-TaskIndex, -Scheduler Slurm); default 1.</summary>
    [Parameter]
    [ValidateRange(1, SweepPlanner.MaxUnits)]
    public int UnitsPerTask { get; set; } = 1;

    /// <summary>Runs the units in this many worker processes on this machine; default 1, in this session.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 1;

    /// <summary>
    /// Torch threads per worker process (and --cpus-per-task under Slurm). Default: max(1, cores / -ThrottleLimit) for local
    /// workers, 1 for Slurm tasks. Given without workers, sets this session's torch threads before the units run.
    /// </summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int? ThreadsPerWorker { get; set; }

    /// <summary>Local (default: this machine) or Slurm (writes and submits an sbatch --array script).</summary>
    [Parameter]
    public SweepScheduler Scheduler { get; set; } = SweepScheduler.Local;

    /// <summary>Further sbatch options for -Scheduler Slurm, one per #SBATCH line, e.g. '--partition=short', '--time=01:00:00'.</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] SlurmOption { get; set; } = [];

    /// <summary>
    /// With -Scheduler Slurm: waits until the job has left the Slurm queue, polling squeue every -PollSeconds, then reports
    /// each unit still without a shard as an error. Ctrl+C stops waiting, not the job.
    /// </summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>With -Wait: the longest wait in seconds; when it passes, a SlurmWaitTimedOut error and the job keeps running. Default: no limit.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Timeout { get; set; }

    /// <summary>With -Wait: seconds between looks at the queue and the shards; default 5.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int PollSeconds { get; set; } = 5;

    private SweepFolder _folder = null!;

    protected override void Begin()
    {
        if (Scheduler != SweepScheduler.Slurm && (Wait || Timeout is not null))
            throw new IclPsException("SweepWaitWithoutScheduler", IclErrorKind.InvalidArgument,
                "-Wait and -Timeout wait for a Slurm job (-Scheduler Slurm); local units have run when Invoke-IclSweep returns.", Scheduler);
        if (Timeout is not null && !Wait)
            throw new IclPsException("SweepTimeoutWithoutWait", IclErrorKind.InvalidArgument, "-Timeout bounds -Wait; add -Wait or leave -Timeout out.", Timeout);
        _folder = new SweepFolder(ResolveFilePath(Path));
    }

    protected override void Process()
    {
        if (ParameterSetName != FolderSet) _units.AddRange(Unit);
    }

    protected override void End()
    {
        var (manifest, writePlan) = Plan();
        var selected = Select(manifest);
        var toRun = selected.Where(u => !_folder.HasShard(u)).ToList();
        if (Scheduler == SweepScheduler.Slurm)
        {
            Submit(manifest, writePlan);
            return;
        }
        var workers = Math.Min(ThrottleLimit, toRun.Count);
        var where = workers > 1 ? $"in {workers} worker processes" : "in this session";
        if (!ShouldProcess(_folder.Path, $"Run {toRun.Count} of {selected.Count} sweep unit(s) {where}, one shard each")) return;
        if (writePlan) _folder.WriteManifest(manifest);
        foreach (var cleaned in _folder.RemoveStale())
        {
            if (cleaned.IsWarning) WriteWarning(cleaned.Message);
            else WriteVerbose(cleaned.Message);
        }
        WriteVerbose($"Sweep '{_folder.Path}': {selected.Count} unit(s), {selected.Count - toRun.Count} with a shard already, {toRun.Count} to run; script {manifest.Script}.");
        foreach (var done in selected.Where(u => !toRun.Contains(u))) WriteObject(Result(done, SweepUnitStatus.Skipped, 0, 0, 0));
        if (toRun.Count == 0) return;
        if (workers > 1) RunWorkers(toRun, workers);
        else RunHere(manifest, toRun);
    }

    /// <summary>The plan: from the piped units (re-indexed in pipeline order) and the script, or from the folder's sweep.json.</summary>
    private (SweepManifest Manifest, bool Write) Plan()
    {
        if (ParameterSetName == FolderSet) return (_folder.ReadManifest(), false);
        var units = _units.Select((u, i) => new SweepUnit(i, u.Parameters)).ToList();
        var repeated = units.GroupBy(u => u.Id).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
            throw new IclPsException(SweepErrorIds.UnitDuplicate, IclErrorKind.InvalidArgument,
                $"Unit {repeated.First().Name} (id {repeated.Key}) was given {repeated.Count()} times; every unit of a sweep must differ.", repeated.First());
        if (units.Count == 0)
            throw new IclPsException(SweepErrorIds.AxisEmpty, IclErrorKind.InvalidArgument, "No units were given; make them with New-IclSweep.", Path);
        SweepScript script;
        if (ParameterSetName == FilePathSet)
        {
            var file = ResolveFilePath(FilePath);
            if (!File.Exists(file))
                throw new IclPsException("SweepScriptNotFound", IclErrorKind.ObjectNotFound, $"Script file '{file}' not found.", file);
            script = SweepScript.FromFile(file);
        }
        else
        {
            script = SweepScript.FromText(ScriptBlock.ToString());
        }
        if (_folder.HasManifest)
        {
            var previous = _folder.ReadManifest();
            var before = previous.Units.Select(u => u.Id).ToHashSet();
            var now = units.Select(u => u.Id).ToHashSet();
            if (!before.SetEquals(now) || previous.Script != script)
                WriteVerbose($"The plan in '{_folder.ManifestPath}' changes: {now.Count(id => !before.Contains(id))} unit(s) added, " +
                             $"{before.Count(id => !now.Contains(id))} left out (their shards stay, unmerged){(previous.Script != script ? ", and the script changed (finished shards are kept)" : "")}.");
        }
        return (new SweepManifest(units, script), true);
    }

    private IReadOnlyList<SweepUnit> Select(SweepManifest manifest)
    {
        if (TaskIndex is int task) return SweepWorkers.Block(manifest.Units, task, UnitsPerTask);
        if (UnitId is null) return manifest.Units;
        var byId = manifest.Units.ToDictionary(u => u.Id, StringComparer.OrdinalIgnoreCase);
        return UnitId.Select(id => byId.TryGetValue(id, out var unit) ? unit
            : throw new IclPsException(SweepErrorIds.UnitNotFound, IclErrorKind.ObjectNotFound, $"The plan in '{_folder.ManifestPath}' has no unit '{id}'.", id)).ToList();
    }

    private SweepUnitResult Result(SweepUnit unit, SweepUnitStatus status, long rows, double seconds, int worker) =>
        new(unit.Index, unit.Id, unit.Name, status, rows, Math.Round(seconds, 3), worker, _folder.ShardPath(unit));

    // ---- In this session -------------------------------------------------------------------------------------------

    private void RunHere(SweepManifest manifest, IReadOnlyList<SweepUnit> units)
    {
        if (ThreadsPerWorker is int threads)
        {
            SweepWorkers.SetTorchThreads(threads);
            WriteVerbose($"Torch threads of this process set to {threads} (torch.set_num_threads).");
        }
        // The script block as given keeps this session's variables; one from the plan or a file is made from its text.
        object script = ParameterSetName == ScriptBlockSet ? ScriptBlock
            : manifest.Script.Path ?? (object)ScriptBlock.Create(manifest.Script.Text!);
        var progress = StartProgress($"Running sweep {_folder.Path}");
        try
        {
            for (var i = 0; i < units.Count; i++)
            {
                Cancellation.ThrowIfCancellationRequested();
                progress.Report(i, units.Count, $"Unit {units[i].Index}: {units[i].Name} ({i} of {units.Count} done)");
                RunUnit(manifest, script, units[i]);
            }
        }
        finally
        {
            progress.Complete();
        }
    }

    private void RunUnit(SweepManifest manifest, object script, SweepUnit unit)
    {
        using var claim = _folder.TryClaim(unit);
        if (claim is null)
        {
            WriteVerbose($"Unit {unit.Index} ({unit.Name}) is being run by another process; left to it.");
            WriteObject(Result(unit, SweepUnitStatus.Busy, 0, 0, 0));
            return;
        }
        if (_folder.HasShard(unit))
        {
            WriteObject(Result(unit, SweepUnitStatus.Skipped, 0, 0, 0));
            return;
        }
        WriteVerbose($"Unit {unit.Index} ({unit.Name}, id {unit.Id}): running.");
        var clock = Stopwatch.StartNew();
        var parameters = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in unit.Parameters) parameters[name] = value;
        using var shell = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        shell.AddScript("param($IclSweepScript, $IclSweepParameters) & $IclSweepScript @IclSweepParameters")
            .AddParameter("IclSweepScript", script).AddParameter("IclSweepParameters", parameters);
        List<PSObject> output;
        using (Cancellation.Register(() => shell.BeginStop(null, null)))
        {
            try
            {
                output = shell.Invoke().Where(o => o is not null).ToList();
            }
            catch (RuntimeException e)
            {
                Cancellation.ThrowIfCancellationRequested();
                Forward(shell.Streams);
                FailUnit(unit, e.ErrorRecord?.Exception?.Message ?? e.Message, e);
                return;
            }
        }
        Cancellation.ThrowIfCancellationRequested();
        Forward(shell.Streams);
        if (shell.Streams.Error.Count > 0)
        {
            var first = shell.Streams.Error[0];
            foreach (var error in shell.Streams.Error) WriteVerbose($"Unit {unit.Index}: {error}");
            FailUnit(unit, $"it wrote {shell.Streams.Error.Count} error(s), the first: {first.Exception?.Message ?? first.ToString()}", first.Exception);
            return;
        }
        var rows = _folder.WriteShard(unit, manifest.Script, output.Select(ResultRow.From), clock.Elapsed, Cancellation);
        WriteObject(Result(unit, SweepUnitStatus.Completed, rows, clock.Elapsed.TotalSeconds, 0));
    }

    private void Forward(PSDataStreams streams)
    {
        foreach (var record in streams.Verbose) WriteVerbose(record.Message);
        foreach (var record in streams.Warning) WriteWarning(record.Message);
        foreach (var record in streams.Information) WriteInformation(record);
    }

    private void FailUnit(SweepUnit unit, string message, Exception? inner) =>
        WriteError(IclErrorRecords.From(new IclPsException(SweepErrorIds.UnitFailed, IclErrorKind.InvalidOperation,
            $"Unit {unit.Index} ({unit.Name}) failed: {message} No shard was written; the next run tries it again.", unit, inner)));

    // ---- Worker processes ------------------------------------------------------------------------------------------

    private sealed class Worker(int number, System.Diagnostics.Process process)
    {
        public int Number { get; } = number;
        public System.Diagnostics.Process Process { get; } = process;
        public SweepUnit? Current { get; set; }
        public bool Reported { get; set; }
        public bool Ended { get; set; }
        public StringBuilder Errors { get; } = new();
    }

    private void RunWorkers(IReadOnlyList<SweepUnit> units, int count)
    {
        var threads = ThreadsPerWorker ?? SweepWorkers.ThreadsPerWorker(Environment.ProcessorCount, count);
        WriteVerbose($"{count} worker processes x {threads} torch thread(s) on {Environment.ProcessorCount} core(s): max(1, {Environment.ProcessorCount} / {count}) = " +
                     $"{SweepWorkers.ThreadsPerWorker(Environment.ProcessorCount, count)}{(ThreadsPerWorker is null ? "" : $", -ThreadsPerWorker {threads} given")}; " +
                     $"set as OMP_NUM_THREADS={threads} and MKL_NUM_THREADS={threads} in each worker's environment and by torch.set_num_threads({threads}).");
        var queue = new Queue<SweepUnit>(units);
        var events = new BlockingCollection<(Worker Worker, string? Line)>();
        var workers = new List<Worker>();
        var progress = StartProgress($"Running sweep {_folder.Path} in {count} worker processes");
        var finished = 0;
        try
        {
            for (var w = 1; w <= count; w++) workers.Add(StartWorker(w, threads, events));
            foreach (var worker in workers) Feed(worker, queue);
            while (workers.Any(w => !w.Ended))
            {
                if (Cancellation.IsCancellationRequested) throw new OperationCanceledException(Cancellation);
                if (!events.TryTake(out var item, 200)) continue;
                var (from, line) = item;
                if (line is null)
                {
                    from.Process.WaitForExit();
                    from.Ended = true;
                    if (from.Current is { } lost && !from.Reported)
                    {
                        finished++;
                        FailUnit(lost, $"worker {from.Number} exited (code {from.Process.ExitCode}) before finishing it. {from.Errors.ToString().Trim()}", null);
                    }
                    continue;
                }
                if (line.StartsWith("UNIT ", StringComparison.Ordinal) && from.Current is { } unit)
                {
                    using var json = JsonDocument.Parse(line[5..]);
                    var root = json.RootElement;
                    var status = Enum.Parse<SweepUnitStatus>(root.GetProperty("Status").GetString()!);
                    from.Reported = true;
                    finished++;
                    WriteObject(Result(unit, status, root.GetProperty("Rows").GetInt64(), root.GetProperty("Seconds").GetDouble(), from.Number));
                }
                else if (line.StartsWith("ERROR ", StringComparison.Ordinal) && from.Current is { } failed)
                {
                    using var json = JsonDocument.Parse(line[6..]);
                    from.Reported = true;
                    finished++;
                    FailUnit(failed, $"(worker {from.Number}) {json.RootElement.GetProperty("Message").GetString()}", null);
                }
                else if (line == "NEXT")
                {
                    Feed(from, queue);
                }
                else
                {
                    WriteVerbose($"worker {from.Number}: {line}");
                }
                progress.Report(finished, units.Count, $"{finished} of {units.Count} unit(s) done");
            }
            foreach (var left in queue)
                FailUnit(left, "every worker process exited before it could run (see the errors above).", null);
        }
        finally
        {
            progress.Complete();
            foreach (var worker in workers)
            {
                if (!worker.Process.HasExited)
                {
                    try { worker.Process.Kill(entireProcessTree: true); }
                    catch (InvalidOperationException) { /* exited meanwhile */ }
                }
                worker.Process.Dispose();
            }
        }
    }

    private static void Feed(Worker worker, Queue<SweepUnit> queue)
    {
        worker.Current = null;
        worker.Reported = false;
        try
        {
            if (queue.Count == 0)
            {
                worker.Process.StandardInput.Close();
                return;
            }
            worker.Current = queue.Dequeue();
            worker.Process.StandardInput.WriteLine(worker.Current.Id);
            worker.Process.StandardInput.Flush();
        }
        catch (IOException)
        {
            // The worker is gone; its end-of-output event reports the unit it held.
        }
    }

    private Worker StartWorker(int number, int threads, BlockingCollection<(Worker, string?)> events)
    {
        var (exe, prefix) = PwshCommand();
        var info = new ProcessStartInfo(exe)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var part in prefix) info.ArgumentList.Add(part);
        foreach (var part in new[] { "-NoProfile", "-NonInteractive", "-Command", WorkerScript(threads) }) info.ArgumentList.Add(part);
        info.Environment["OMP_NUM_THREADS"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["MKL_NUM_THREADS"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        System.Diagnostics.Process process;
        try
        {
            process = System.Diagnostics.Process.Start(info) ?? throw new Win32Exception($"'{exe}' did not start.");
        }
        catch (Win32Exception e)
        {
            throw new IclPsException("SweepWorkerStartFailed", IclErrorKind.InvalidOperation, $"Could not start a worker process ('{exe}'): {e.Message}", exe, e);
        }
        var worker = new Worker(number, process);
        process.OutputDataReceived += (_, e) => events.Add((worker, e.Data));
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (worker.Errors) worker.Errors.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>A worker reads unit ids from its standard input, runs each with Invoke-IclSweep -UnitId, and answers in lines.</summary>
    private string WorkerScript(int threads) =>
        $"$ErrorActionPreference = 'Continue'; Import-Module {SlurmArrayJob.PowerShellQuote(ModuleManifest())} -ErrorAction Stop; " +
        "while ($null -ne ($id = [Console]::In.ReadLine())) { " +
        $"Invoke-IclSweep -Path {SlurmArrayJob.PowerShellQuote(_folder.Path)} -UnitId $id -ThreadsPerWorker {threads} 2>&1 | ForEach-Object {{ " +
        "if ($_ -is [System.Management.Automation.ErrorRecord]) { 'ERROR ' + (ConvertTo-Json -Compress @{ Message = $_.Exception.Message }) } " +
        "elseif ($_ -is [IclPs.Engine.Sweeps.SweepUnitResult]) { 'UNIT ' + (ConvertTo-Json -Compress @{ Status = [string]$_.Status; Rows = $_.Rows; Seconds = $_.Seconds }) } " +
        "else { [string]$_ } }; 'NEXT' }";

    // ---- Slurm -----------------------------------------------------------------------------------------------------

    private void Submit(SweepManifest manifest, bool writePlan)
    {
        var taskCount = SweepWorkers.TaskCount(manifest.Units.Count, UnitsPerTask);
        var tasks = Enumerable.Range(0, taskCount).Where(t => SweepWorkers.Block(manifest.Units, t, UnitsPerTask).Any(u => !_folder.HasShard(u))).ToList();
        var missing = manifest.Units.Count(u => !_folder.HasShard(u));
        if (tasks.Count == 0)
        {
            WriteVerbose($"Every unit of '{_folder.Path}' has its shard; nothing to submit. Merge-IclSweep joins them.");
            return;
        }
        var (exe, prefix) = PwshCommand();
        var job = new SlurmArrayJob
        {
            SweepPath = _folder.Path,
            Pwsh = [exe, .. prefix],
            ModuleManifest = ModuleManifest(),
            Tasks = tasks,
            UnitsPerTask = UnitsPerTask,
            ThreadsPerTask = ThreadsPerWorker ?? 1,
            Options = SlurmOption,
        };
        var array = job.ArraySpec();
        var action = $"Submit sbatch --array={array} ({tasks.Count} task(s) of up to {UnitsPerTask} unit(s), {missing} unit(s) without a shard, " +
                     $"{job.ThreadsPerTask} CPU(s) each); each task runs: {job.TaskCommand()}";
        if (!ShouldProcess(job.ScriptPath, action)) return;
        if (writePlan) _folder.WriteManifest(manifest);
        job.WriteScript();
        WriteVerbose($"Wrote '{job.ScriptPath}':\n{job.Render()}");
        var info = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--parsable");
        info.ArgumentList.Add(job.ScriptPath);
        string output, errors;
        int exitCode;
        try
        {
            using var process = System.Diagnostics.Process.Start(info)!;
            var errorTask = process.StandardError.ReadToEndAsync();
            output = process.StandardOutput.ReadToEnd();
            errors = errorTask.Result;
            process.WaitForExit();
            exitCode = process.ExitCode;
        }
        catch (Win32Exception e)
        {
            throw new IclPsException("SlurmNotFound", IclErrorKind.ObjectNotFound,
                $"sbatch could not be run ({e.Message}); is this a Slurm submit host? The script is in '{job.ScriptPath}'.", job.ScriptPath, e);
        }
        if (exitCode != 0)
            throw new IclPsException("SlurmSubmitFailed", IclErrorKind.InvalidOperation,
                $"sbatch exited with code {exitCode}: {errors.Trim()} The script is in '{job.ScriptPath}'.", job.ScriptPath);
        var jobId = output.Trim().Split(';')[0];
        WriteVerbose($"Submitted Slurm job {jobId}: array {array}; task output in '{job.LogFolder}'.");
        var submission = new SweepSubmission("Slurm", jobId, array, tasks.Count, UnitsPerTask, missing, job.ScriptPath, _folder.Path);
        if (Wait) WaitForJob(submission, manifest, job.LogFolder);
        WriteObject(submission);
    }

    private void WaitForJob(SweepSubmission submission, SweepManifest manifest, string logFolder)
    {
        var pending = manifest.Units.Where(u => !_folder.HasShard(u)).ToList();
        var progress = StartProgress($"Waiting for Slurm job {submission.JobId}");
        var clock = Stopwatch.StartNew();
        while (InSlurmQueue(submission.JobId!))
        {
            var done = pending.Count(_folder.HasShard);
            progress.Report(done, pending.Count, $"{done} of {pending.Count} unit(s) finished, {clock.Elapsed:hh\\:mm\\:ss} waited");
            if (Timeout is int limit && clock.Elapsed.TotalSeconds >= limit)
            {
                progress.Complete();
                WriteError(IclErrorRecords.From(new IclPsException("SlurmWaitTimedOut", IclErrorKind.LimitsExceeded,
                    $"Slurm job {submission.JobId} was still queued or running after {limit} s; it keeps running. Run Invoke-IclSweep -Path '{_folder.Path}' " +
                    "-Scheduler Slurm again later: finished units are left out.", submission.JobId)));
                return;
            }
            // Ctrl+C ends the wait at once; the job is the cluster's and keeps running.
            if (Cancellation.WaitHandle.WaitOne(TimeSpan.FromSeconds(PollSeconds))) throw new PipelineStoppedException();
        }
        progress.Complete();
        var unfinished = pending.Where(u => !_folder.HasShard(u)).ToList();
        WriteVerbose($"Slurm job {submission.JobId} has left the queue after {clock.Elapsed.TotalSeconds:0} s: {pending.Count - unfinished.Count} of {pending.Count} unit(s) finished.");
        foreach (var unit in unfinished)
        {
            var task = unit.Index / UnitsPerTask;
            var log = System.IO.Path.Combine(logFolder, $"slurm-{submission.JobId}_{task}.out");
            WriteError(IclErrorRecords.From(new IclPsException(SweepErrorIds.ShardMissing, IclErrorKind.ObjectNotFound,
                $"Unit {unit.Index} ({unit.Name}) has no shard after Slurm job {submission.JobId} ended; its array task {task} wrote '{log}'.", unit)));
        }
    }

    /// <summary>Whether squeue still lists the job (pending or running); a job Slurm no longer knows has left the queue.</summary>
    private static bool InSlurmQueue(string jobId)
    {
        var info = new ProcessStartInfo("squeue") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--noheader", "--format=%i", "--jobs", jobId }) info.ArgumentList.Add(argument);
        try
        {
            using var process = System.Diagnostics.Process.Start(info)!;
            var errorTask = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            _ = errorTask.Result;
            process.WaitForExit();
            // squeue exits non-zero with "Invalid job id" once the controller has purged a finished job.
            return process.ExitCode == 0 && output.Trim().Length > 0;
        }
        catch (Win32Exception e)
        {
            throw new IclPsException("SlurmNotFound", IclErrorKind.ObjectNotFound, $"squeue could not be run ({e.Message}) to wait for Slurm job {jobId}.", jobId, e);
        }
    }

    // ---- This module and this pwsh, for child processes ------------------------------------------------------------

    private string ModuleManifest()
    {
        var moduleBase = MyInvocation.MyCommand.Module?.ModuleBase ?? System.IO.Path.GetDirectoryName(typeof(InvokeIclSweepCommand).Assembly.Location)!;
        var manifest = System.IO.Path.Combine(moduleBase, "IclPs.psd1");
        return File.Exists(manifest) ? manifest : typeof(InvokeIclSweepCommand).Assembly.Location;
    }

    /// <summary>The running pwsh: its executable, plus pwsh.dll when it runs as a dotnet tool.</summary>
    private (string Exe, string[] Prefix) PwshCommand()
    {
        var exe = Environment.ProcessPath ?? "pwsh";
        if (System.IO.Path.GetFileNameWithoutExtension(exe) != "dotnet") return (exe, []);
        var home = SessionState.PSVariable.GetValue("PSHOME") as string ?? AppContext.BaseDirectory;
        return (exe, [System.IO.Path.Combine(home, "pwsh.dll")]);
    }
}
