using System.Management.Automation;

namespace IclPs.Host;

/// <summary>iclps-host: runs PowerShell scripts with the IclPs module where no pwsh is installed. See <see cref="HostOptions.Usage"/>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        HostOptions options;
        try
        {
            options = HostOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"iclps-host: {e.Message}");
            Console.Error.WriteLine(HostOptions.Usage);
            return ExitCodes.HostError;
        }
        if (options.ShowHelp)
        {
            Console.WriteLine(HostOptions.Usage);
            return ExitCodes.Success;
        }

        string modulePath;
        try
        {
            modulePath = ModuleLocator.Locate(options.ModulePath);
        }
        catch (FileNotFoundException e)
        {
            Console.Error.WriteLine($"iclps-host: {e.Message}");
            return ExitCodes.HostError;
        }

        if (options.PackageDestination is string destination)
            return ModulePackager.Package(modulePath, destination, Console.Out, Console.Error);

        ScriptRunner runner;
        try
        {
            runner = new ScriptRunner(modulePath);
        }
        catch (RuntimeException e)
        {
            Console.Error.WriteLine($"iclps-host: could not import the IclPs module from {modulePath}: {e.Message}");
            return ExitCodes.HostError;
        }
        using (runner)
        {
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                // Keep the process alive so the pipeline unwinds (disposing tensors, writing nothing half-done).
                e.Cancel = runner.Stop();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                return options.CommandText is string text
                    ? runner.RunCommand(text)
                    : runner.RunFile(options.ScriptFile!, options.ScriptArguments);
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        }
    }
}
