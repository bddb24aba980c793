using System.Management.Automation;

namespace IclPs.Module.Tests;

/// <summary>The cmdlet base's shared behaviour: error mapping, throttled progress, the once-per-session native-loader line.</summary>
[Collection(ModuleCollection.Name)]
public sealed class InfrastructureTests(ModuleFixture module)
{
    [Fact]
    public void Every_engine_error_kind_maps_to_the_category_of_the_same_name()
    {
        var result = module.Run("""
            foreach ($kind in [Enum]::GetValues([IclPs.Engine.IclErrorKind])) {
                [pscustomobject]@{ Kind = $kind.ToString(); Category = [IclPs.IclErrorRecords]::Category($kind).ToString() }
            }
            """).Succeeded();
        Assert.Equal(8, result.Output.Count);
        Assert.All(result.Output, o => Assert.Equal(o.Properties["Kind"].Value, o.Properties["Category"].Value));
    }

    [Fact]
    public void Error_record_carries_id_category_target_and_exception()
    {
        var result = module.Run("""
            $e = [IclPs.Engine.IclPsException]::new('SafetensorsOffsetOutOfRange', 'ReadError', 'offset past end', 'model.safetensors')
            [IclPs.IclErrorRecords]::From($e)
            """).Succeeded();
        var record = Assert.IsType<ErrorRecord>(result.Single());
        Assert.Equal("SafetensorsOffsetOutOfRange", record.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ReadError, record.CategoryInfo.Category);
        Assert.Equal("model.safetensors", record.TargetObject);
        Assert.Equal("offset past end", record.Exception.Message);
    }

    [Fact]
    public void Progress_is_throttled_estimates_time_left_and_completes_once()
    {
        var result = module.Run("""
            $written = [System.Collections.Generic.List[System.Management.Automation.ProgressRecord]]::new()
            $clock = @{ Now = [TimeSpan]::Zero }
            $reporter = [IclPs.ProgressReporter]::new(
                [Action[System.Management.Automation.ProgressRecord]]{ param($r) $written.Add($r) }.GetNewClosure(),
                42, 'Scoring', [Func[TimeSpan]]{ $clock.Now }.GetNewClosure(), -1)
            $accepted = @(
                $reporter.Report(0, 10, 'start')                                   # first: written
                $clock.Now = [TimeSpan]::FromMilliseconds(100)
                $reporter.Report(1, 10, 'too soon')                                # within 200 ms: dropped
                $clock.Now = [TimeSpan]::FromSeconds(2)
                $reporter.Report(4, 10, 'four')                                    # 2 s for 4 items, 6 left: 3 s
                $reporter.Complete()
                $reporter.Report(10, 10, 'after completion')                       # ignored
            )
            [pscustomobject]@{ Accepted = $accepted; Written = $written.ToArray() }
            """).Succeeded();
        Assert.Equal(new object[] { true, false, true, false }, (object[])result.Property("Accepted")!);
        var written = ((object[])result.Property("Written")!).Cast<ProgressRecord>().ToArray();
        Assert.Equal(3, written.Length);
        Assert.All(written, r => Assert.Equal(42, r.ActivityId));
        Assert.Equal((0, -1, "start"), (written[0].PercentComplete, written[0].SecondsRemaining, written[0].StatusDescription));
        Assert.Equal((40, 3, "four"), (written[1].PercentComplete, written[1].SecondsRemaining, written[1].StatusDescription));
        Assert.Equal(ProgressRecordType.Completed, written[2].RecordType);
    }

    [Fact]
    public void Native_loader_status_is_written_once_per_session_when_verbose()
    {
        using var runspace = module.OpenRunspace();
        var quiet = ModuleFixture.Run(runspace, "$null = New-IclModel").Succeeded();
        var first = ModuleFixture.Run(runspace, "$null = New-IclModel -Verbose").Succeeded();
        var second = ModuleFixture.Run(runspace, "$null = New-IclModel -Verbose").Succeeded();
        var status = ModuleFixture.Run(runspace, "[IclPs.Engine.Native.TorchNativeLoader]::Status").Succeeded().Single();

        Assert.Empty(quiet.Verbose);
        Assert.Equal(1, first.Verbose.Count(v => v.Message == (string)status));
        Assert.DoesNotContain(second.Verbose, v => v.Message == (string)status);
        Assert.Contains(second.Verbose, v => v.Message.StartsWith("Created preset:gpt2-tiny seed:0", StringComparison.Ordinal));
    }
}
