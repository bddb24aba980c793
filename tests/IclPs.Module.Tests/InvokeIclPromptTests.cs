using System.Management.Automation;
using System.Text;

namespace IclPs.Module.Tests;

[Collection(ModuleCollection.Name)]
public sealed class InvokeIclPromptTests(ModuleFixture module)
{
    private const string Fqid = ",IclPs.Cmdlets.InvokeIclPromptCommand";

    private string Setup => module.AntonymSetup;

    private static T Get<T>(PSObject o, string name) => (T)LanguagePrimitives.ConvertTo(o.Properties[name].Value, typeof(T));

    [Fact]
    public void Dataset_queries_give_one_result_per_test_item_with_the_run_settings()
    {
        var result = module.Run(Setup + """

            $results = @(Invoke-IclPrompt -Model $m -Dataset $ds -First 3 -Shots 4 -Seed 2 -MaxNewTokens 4 -IncludePrompt)
            [pscustomobject]@{
                Results = $results
                Test    = @($ds.Test.Items[0..2] | ForEach-Object { "$($_.Input)`t$($_.Output)" })
                Train   = @($ds.Train.Items | ForEach-Object { "$($_.Input) $($_.Output)" })
            }
            """).Succeeded();
        var output = Assert.Single(result.Output);
        var results = ((object[])output.Properties["Results"].Value).Cast<PSObject>().ToArray();
        var test = ((object[])output.Properties["Test"].Value).Select(o => o.ToString()!.Split('\t')).ToArray();
        var train = ((object[])output.Properties["Train"].Value).Select(o => o.ToString()!).ToHashSet();

        Assert.Equal(3, results.Length);
        for (var i = 0; i < 3; i++)
        {
            var r = results[i];
            Assert.Equal("IclPs.Engine.Prompting.IclPromptResult", r.TypeNames[0]);
            Assert.Equal(i, Get<int>(r, "QueryIndex"));
            Assert.Equal(test[i][0], Get<string>(r, "Query"));
            Assert.Equal(test[i][1], Get<string>(r, "Expected"));
            Assert.Equal(4, Get<int>(r, "Shots"));
            Assert.Equal(4, Get<int>(r, "ShotsRequested"));
            Assert.Equal(2, Get<int>(r, "Seed"));
            Assert.Equal("gpt2-tiny", Get<string>(r, "Model"));
            Assert.Equal("preset:gpt2-tiny seed:0", Get<string>(r, "ModelSource"));
            Assert.InRange(Get<int>(r, "ExpectedRank"), 1, 512);
            Assert.True(Get<double>(r, "ExpectedLogProb") < 0);
            // Byte tokenizer: the continuation is the target delimiter and the output, one token per UTF-8 byte.
            Assert.Equal(Encoding.UTF8.GetByteCount(" " + test[i][1]), Get<int>(r, "ExpectedTokens"));
            Assert.True(Get<string>(r, "Predicted").Length <= 4);

            // lm-eval layout with the defaults: "x1 y1\n\nx2 y2\n\n...\n\nquery", demonstrations from the train split.
            var prompt = Get<string>(r, "Prompt");
            var parts = prompt.Split("\n\n");
            Assert.Equal(5, parts.Length);
            Assert.Equal(test[i][0], parts[^1]);
            Assert.All(parts[..^1], demo => Assert.Contains(demo, train));
            Assert.Equal(4, parts[..^1].Distinct().Count());
            // Beginning-of-sequence token plus one token per byte.
            Assert.Equal(1 + Encoding.UTF8.GetByteCount(prompt), Get<int>(r, "PromptTokens"));
        }
    }

    [Fact]
    public void Prompt_text_is_description_then_demonstrations_then_the_templated_query()
    {
        var result = module.Run("""
            $m = New-IclModel
            $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' })
            $one = [pscustomobject]@{ Input = 'up'; Output = 'down' } |
                Invoke-IclPrompt -Model $m -Demonstrations $demos -Shots 1 -Description "Antonyms:`n" -Template "Q: {input}`nA:" -IncludePrompt -MaxNewTokens 1
            $demos2 = @([pscustomobject]@{ Input = 'big'; Output = 'small' }, [pscustomobject]@{ Input = 'wet'; Output = 'dry' })
            $two = [pscustomobject]@{ Input = 'fast'; Output = 'slow' } |
                Invoke-IclPrompt -Model $m -Demonstrations $demos2 -Shots 2 -TargetDelimiter '=' -FewShotDelimiter "`n###`n" -IncludePrompt -MaxNewTokens 1
            $none = [pscustomobject]@{ Input = 'fast'; Output = 'slow' } | Invoke-IclPrompt -Model $m -Demonstrations $demos2 -Shots 2 -MaxNewTokens 1
            [pscustomobject]@{ One = $one.Prompt; Two = $two.Prompt; Three = $two.ExpectedTokens; None = $none.Prompt }
            """).Succeeded();
        Assert.Equal("Antonyms:\nQ: hot\nA: cold\n\nQ: up\nA:", result.Property("One"));
        Assert.Contains(result.Property("Two"), new[] { "big=small\n###\nwet=dry\n###\nfast", "wet=dry\n###\nbig=small\n###\nfast" });
        // The continuation is "=slow".
        Assert.Equal(5, result.Property("Three"));
        // Without -IncludePrompt the prompt is left out.
        Assert.Null(result.Property("None"));
    }

    [Fact]
    public void Same_seed_gives_identical_results_and_another_seed_other_prompts()
    {
        var result = module.Run(Setup + """

            function Run($seed) { @(Invoke-IclPrompt $m $ds -First 4 -Shots 3 -Seed $seed -MaxNewTokens 3 -IncludePrompt) }
            $a = Run 1; $b = Run 1; $c = Run 2
            [pscustomobject]@{
                SameAll       = @(0..3 | Where-Object { $a[$_] -ne $b[$_] }).Count -eq 0
                Count         = $a.Count
                DifferPrompts = @(0..3 | Where-Object { $a[$_].Prompt -ne $c[$_].Prompt }).Count
                SameQueries   = @(0..3 | Where-Object { $a[$_].Query -ne $c[$_].Query }).Count -eq 0
            }
            """).Succeeded();
        // Records compare by value: every field, including the prompt and the floating-point metrics, is identical.
        Assert.Equal(true, result.Property("SameAll"));
        Assert.Equal(4, result.Property("Count"));
        Assert.Equal(4, result.Property("DifferPrompts"));
        Assert.Equal(true, result.Property("SameQueries"));
    }

    [Fact]
    public void Piped_objects_bind_by_property_name_and_match_the_dataset_path()
    {
        var result = module.Run(Setup + """

            $piped = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }, [pscustomobject]@{ Input = 'up'; Output = 'down' } |
                Invoke-IclPrompt -Model $m -Dataset $ds -Shots 2 -MaxNewTokens 2)
            # Engine examples have Input and Output too, so a split's items can be piped; they must give what -Split gives.
            $viaPipe = @($ds.Test.Items[0..4] | Invoke-IclPrompt $m $ds -Shots 3 -MaxNewTokens 3 -BatchSize 2 -IncludePrompt)
            $viaSplit = @(Invoke-IclPrompt $m $ds -Shots 3 -MaxNewTokens 3 -BatchSize 2 -IncludePrompt -First 5)
            [pscustomobject]@{
                Queries  = @($piped | ForEach-Object { "$($_.QueryIndex):$($_.Query)->$($_.Expected)" })
                Same     = $viaPipe.Count -eq 5 -and @(0..4 | Where-Object { $viaPipe[$_] -ne $viaSplit[$_] }).Count -eq 0
            }
            """).Succeeded();
        Assert.Equal(new object[] { "0:hot->cold", "1:up->down" }, (object[])result.Property("Queries")!);
        Assert.Equal(true, result.Property("Same"));
    }

    [Fact]
    public void Results_stream_out_as_each_batch_of_piped_queries_completes()
    {
        var result = module.Run(Setup + """

            $log = [System.Collections.Generic.List[string]]::new()
            1..5 | ForEach-Object { $log.Add("in $_"); $ds.Test.Items[$_] } |
                Invoke-IclPrompt $m $ds -Shots 1 -MaxNewTokens 1 -BatchSize 2 |
                ForEach-Object { $log.Add("out $($_.QueryIndex)") }
            $log -join ', '
            """).Succeeded();
        Assert.Equal("in 1, in 2, out 0, out 1, in 3, in 4, out 2, out 3, in 5, out 4", result.Single());
    }

    [Fact]
    public void Batch_size_does_not_change_the_numbers()
    {
        var result = module.Run(Setup + """

            $one = @($ds.Test.Items[0..6] | Invoke-IclPrompt $m $ds -Shots 3 -MaxNewTokens 4 -BatchSize 1 -IncludePrompt)
            $four = @($ds.Test.Items[0..6] | Invoke-IclPrompt $m $ds -Shots 3 -MaxNewTokens 4 -BatchSize 4 -IncludePrompt)
            [pscustomobject]@{ One = $one; Four = $four }
            """).Succeeded();
        var one = ((object[])result.Property("One")!).Cast<PSObject>().ToArray();
        var four = ((object[])result.Property("Four")!).Cast<PSObject>().ToArray();
        Assert.Equal(7, one.Length);
        Assert.Equal(7, four.Length);
        // Prompts of different lengths share a batch of four, so left padding is exercised.
        Assert.True(four.Select(r => Get<int>(r, "PromptTokens")).Distinct().Count() > 1);
        for (var i = 0; i < 7; i++)
        {
            foreach (var name in new[] { "QueryIndex", "Prompt", "Predicted", "ExpectedRank", "FirstTokenCorrect", "ExactMatch", "PromptTokens" })
                Assert.Equal(one[i].Properties[name].Value, four[i].Properties[name].Value);
            // float32 forward passes over differently padded batches: equal to rounding.
            Assert.Equal(Get<double>(one[i], "ExpectedLogProb"), Get<double>(four[i], "ExpectedLogProb"), 1e-4);
        }
    }

    [Fact]
    public void Too_long_prompt_is_an_error_for_that_query_and_the_others_still_run()
    {
        var result = module.Run(Setup + """

            $long = 'x' * 300
            'hot', $long, 'up' | ForEach-Object { [pscustomobject]@{ Input = $_; Output = 'y' } } |
                Invoke-IclPrompt $m $ds -Shots 2 -MaxNewTokens 1 |
                ForEach-Object { "$($_.QueryIndex):$($_.Query)" }
            'continued'
            """);
        Assert.Null(result.TerminatingError);
        Assert.Equal(new[] { "0:hot", "1:up", "continued" }, result.Output.Select(o => o.ToString()));
        var error = Assert.Single(result.Errors);
        Assert.Equal("PromptTooLong" + Fqid, error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.LimitsExceeded, error.CategoryInfo.Category);
        Assert.Equal(new string('x', 300), PSObject.AsPSObject(error.TargetObject).Properties["Input"].Value);
        Assert.Contains("context window of 256", error.Exception.Message);
    }

    [Fact]
    public void Truncation_drops_leading_demonstrations_instead_of_failing()
    {
        var result = module.Run("""
            $m = New-IclModel
            $demos = @(
                [pscustomobject]@{ Input = 'a' * 230; Output = 'b' }
                [pscustomobject]@{ Input = 'hot'; Output = 'cold' }
                [pscustomobject]@{ Input = 'big'; Output = 'small' }
            )
            $query = [pscustomobject]@{ Input = 'up'; Output = 'down' }
            $failed = $query | Invoke-IclPrompt $m -Demonstrations $demos -Shots 3 -MaxNewTokens 1 -ErrorVariable problems -ErrorAction SilentlyContinue
            $fitted = $query | Invoke-IclPrompt $m -Demonstrations $demos -Shots 3 -MaxNewTokens 1 -TruncateLongPrompts
            [pscustomobject]@{ Failed = $null -eq $failed; Error = $problems[0].FullyQualifiedErrorId; Shots = $fitted.Shots; Requested = $fitted.ShotsRequested; Tokens = $fitted.PromptTokens }
            """);
        Assert.Equal(true, result.Property("Failed"));
        Assert.Equal("PromptTooLong" + Fqid, result.Property("Error"));
        Assert.InRange((int)result.Property("Shots")!, 0, 2);
        Assert.Equal(3, result.Property("Requested"));
        Assert.True((int)result.Property("Tokens")! + 5 <= 256);
    }

    [Fact]
    public void Too_few_demonstrations_for_shots_is_a_terminating_error_with_its_id()
    {
        var result = module.Run("""
            $m = New-IclModel
            $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }, [pscustomobject]@{ Input = 'big'; Output = 'small' })
            [pscustomobject]@{ Input = 'up'; Output = 'down' } | Invoke-IclPrompt $m -Demonstrations $demos -Shots 5
            """);
        Assert.Empty(result.Output);
        var error = result.TerminatingError ?? Assert.Single(result.Errors);
        Assert.Equal("NotEnoughExamples" + Fqid, error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal(5, error.TargetObject);
    }

    [Fact]
    public void A_query_that_is_itself_one_of_just_enough_demonstrations_fails_alone()
    {
        // The only two demonstrations exclude the query whose input they share, leaving one for a 2-shot prompt.
        var result = module.Run("""
            $m = New-IclModel
            $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }, [pscustomobject]@{ Input = 'big'; Output = 'small' })
            'up', 'hot', 'fast' | ForEach-Object { [pscustomobject]@{ Input = $_; Output = 'x' } } |
                Invoke-IclPrompt $m -Demonstrations $demos -Shots 2 -MaxNewTokens 1 | ForEach-Object { $_.Query }
            """);
        Assert.Null(result.TerminatingError);
        Assert.Equal(new[] { "up", "fast" }, result.Output.Select(o => o.ToString()));
        var error = Assert.Single(result.Errors);
        Assert.Equal("NotEnoughExamples" + Fqid, error.FullyQualifiedErrorId);
        Assert.Equal("hot", PSObject.AsPSObject(error.TargetObject).Properties["Input"].Value);
    }

    [Fact]
    public void Piped_object_without_output_is_an_error_for_that_item()
    {
        var result = module.Run("""
            $m = New-IclModel
            $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' })
            [pscustomobject]@{ Input = 'up' }, [pscustomobject]@{ Input = 'big'; Output = 'small' } |
                Invoke-IclPrompt $m -Demonstrations $demos -Shots 1 -MaxNewTokens 1 | ForEach-Object { $_.Query }
            """);
        Assert.Equal("big", result.Single());
        var error = Assert.Single(result.Errors);
        Assert.Equal("QueryMissingOutput" + Fqid, error.FullyQualifiedErrorId);
        Assert.Equal("up", error.TargetObject);
    }

    [Fact]
    public void Demonstrations_without_queries_is_an_error()
    {
        var result = module.Run("""
            Invoke-IclPrompt (New-IclModel) -Demonstrations @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }) -Shots 1
            """);
        var error = result.TerminatingError ?? Assert.Single(result.Errors);
        Assert.Equal("NoQueries" + Fqid, error.FullyQualifiedErrorId);
    }

    [Fact]
    public void Verbose_names_model_format_and_batches_and_progress_counts_queries()
    {
        var result = module.Run(Setup + """

            $null = Invoke-IclPrompt $m $ds -First 6 -Shots 2 -BatchSize 4 -MaxNewTokens 1 -Template "Q: {input}`nA:" -Verbose
            """).Succeeded();
        var verbose = result.Verbose.Select(v => v.Message).ToArray();
        Assert.Contains(verbose, v => v.StartsWith("Model gpt2-tiny (preset:gpt2-tiny seed:0;", StringComparison.Ordinal));
        Assert.Contains(verbose, v => v.Contains(@"template 'Q: {input}\nA:'", StringComparison.Ordinal) && v.Contains(@"few-shot delimiter '\n\n'", StringComparison.Ordinal));
        Assert.Contains(verbose, v => v.Contains("batch size 4", StringComparison.Ordinal));
        Assert.Equal(1, verbose.Count(v => v.StartsWith("Batch of 4 queries in ", StringComparison.Ordinal)));
        Assert.Equal(1, verbose.Count(v => v.StartsWith("Batch of 2 queries in ", StringComparison.Ordinal)));
        Assert.Contains(result.Progress, p => p.StatusDescription == "4 of 6 queries" && p.PercentComplete == 66);
        Assert.Equal(ProgressRecordType.Completed, result.Progress[^1].RecordType);
    }

    [Fact]
    public void Stopping_the_pipeline_ends_a_long_run_early()
    {
        using var runspace = module.OpenRunspace();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript(Setup + """

            Invoke-IclPrompt $m $ds -Shots 5 -BatchSize 1 -MaxNewTokens 8
            """);
        var output = new PSDataCollection<PSObject>();
        var first = new ManualResetEventSlim();
        output.DataAdded += (_, _) => first.Set();
        var running = ps.BeginInvoke<PSObject, PSObject>(null, output);
        Assert.True(first.Wait(TimeSpan.FromSeconds(60)), "no result within 60 s");
        ps.Stop();
        Assert.True(running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "did not stop within 30 s");
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        // The test split has 360 queries; stopping after the first leaves most of them unrun.
        Assert.InRange(output.Count, 1, 300);
    }
}
