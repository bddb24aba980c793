using System.Globalization;
using System.Text;

namespace IclPs.Engine.Sweeps;

/// <summary>
/// An <c>sbatch --array</c> script for a sweep: array task i runs block i of the plan (<see cref="SweepWorkers.Block"/>)
/// with <c>Invoke-IclSweep -Path FOLDER -TaskIndex $env:SLURM_ARRAY_TASK_ID</c> in a fresh pwsh, so the units come from the
/// folder's sweep.json and each writes its own shard. Tasks whose units all have shards are left out of the array. The
/// folder, the module and pwsh must be at the same paths on the compute nodes (a shared file system).
/// </summary>
public sealed record SlurmArrayJob
{
    public required string SweepPath { get; init; }
    /// <summary>The command that starts pwsh: its executable and any leading arguments (pwsh.dll when it runs under dotnet).</summary>
    public required IReadOnlyList<string> Pwsh { get; init; }
    /// <summary>The module manifest (IclPs.psd1) the tasks import.</summary>
    public required string ModuleManifest { get; init; }
    /// <summary>The array task indices to submit (blocks with at least one unit missing its shard).</summary>
    public required IReadOnlyList<int> Tasks { get; init; }
    public int UnitsPerTask { get; init; } = 1;
    /// <summary>--cpus-per-task, and the torch threads of each task.</summary>
    public int ThreadsPerTask { get; init; } = 1;
    public string JobName { get; init; } = "iclps-sweep";
    /// <summary>Further sbatch options, one per #SBATCH line (e.g. "--partition=short", "--time=01:00:00").</summary>
    public IReadOnlyList<string> Options { get; init; } = [];

    /// <summary>Where the tasks' standard output goes: slurm/slurm-JOB_TASK.out in the sweep folder.</summary>
    public string LogFolder => Path.Combine(SweepPath, "slurm");

    /// <summary>The --array value: the task indices as ranges (e.g. "0-3,5,7-8").</summary>
    public string ArraySpec()
    {
        if (Tasks.Count == 0) throw new InvalidOperationException("An array job needs at least one task.");
        var sorted = Tasks.Distinct().Order().ToList();
        var parts = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(j == i ? Text(sorted[i]) : $"{Text(sorted[i])}-{Text(sorted[j])}");
            i = j + 1;
        }
        return string.Join(",", parts);
    }

    /// <summary>The PowerShell one array task runs (the task index comes from SLURM_ARRAY_TASK_ID at run time).</summary>
    public string TaskCommand(string indexVariable = "SLURM_ARRAY_TASK_ID") =>
        $"$ErrorActionPreference = 'Stop'; Import-Module {PowerShellQuote(ModuleManifest)}; " +
        $"Invoke-IclSweep -Path {PowerShellQuote(SweepPath)} -TaskIndex ([int]$env:{indexVariable}) -UnitsPerTask {Text(UnitsPerTask)} " +
        $"-ThreadsPerWorker {Text(ThreadsPerTask)} -ErrorAction Continue -ErrorVariable failed | Format-Table -AutoSize | Out-String -Width 200; " +
        "if ($failed) { exit 1 }";

    /// <summary>The sbatch script.</summary>
    public string Render()
    {
        var threads = Text(ThreadsPerTask);
        var script = new StringBuilder();
        script.Append("#!/bin/bash\n");
        script.Append(CultureInfo.InvariantCulture, $"# IclPs sweep {SweepPath}: array task i runs units [i*{UnitsPerTask}, (i+1)*{UnitsPerTask}) of sweep.json.\n");
        script.Append("# Written by Invoke-IclSweep -Scheduler Slurm; merge afterwards with Merge-IclSweep.\n");
        script.Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name={JobName}\n");
        script.Append(CultureInfo.InvariantCulture, $"#SBATCH --array={ArraySpec()}\n");
        script.Append(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={threads}\n");
        script.Append(CultureInfo.InvariantCulture, $"#SBATCH --output={Path.Combine(LogFolder, "slurm-%A_%a.out")}\n");
        foreach (var option in Options) script.Append(CultureInfo.InvariantCulture, $"#SBATCH {option}\n");
        script.Append(CultureInfo.InvariantCulture, $"export OMP_NUM_THREADS={threads} MKL_NUM_THREADS={threads}\n");
        script.Append("exec");
        foreach (var part in Pwsh) script.Append(' ').Append(ShellQuote(part));
        script.Append(" -NoProfile -NonInteractive -Command ").Append(ShellQuote(TaskCommand())).Append('\n');
        return script.ToString();
    }

    /// <summary>The script's path: slurm/sweep.sbatch in the sweep folder.</summary>
    public string ScriptPath => Path.Combine(LogFolder, "sweep.sbatch");

    /// <summary>Writes <see cref="Render"/> to <see cref="ScriptPath"/> (whole or not at all) and creates the log folder.</summary>
    public string WriteScript()
    {
        Directory.CreateDirectory(LogFolder);
        using var staged = new Checkpoints.StagedFile(ScriptPath);
        staged.WriteAllText(Render());
        staged.Commit();
        return ScriptPath;
    }

    /// <summary>A bash single-quoted word.</summary>
    public static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A PowerShell single-quoted string.</summary>
    public static string PowerShellQuote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
