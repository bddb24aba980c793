using System.Management.Automation;

namespace IclPs.Module.Tests;

[Collection(ModuleCollection.Name)]
public sealed class MeasureHiddenSimilarityTests(ModuleFixture module)
{
    private const string Fqid = ",IclPs.Cmdlets.MeasureHiddenSimilarityCommand";

    private string Setup => module.AntonymSetup;

    private static T Get<T>(PSObject o, string name) => (T)LanguagePrimitives.ConvertTo(o.Properties[name].Value, typeof(T));

    [Fact]
    public void Zero_shot_against_the_same_model_as_compare_model_is_identical_at_every_layer()
    {
        var result = module.Run(Setup + """

            Measure-HiddenSimilarity -Model $m -Dataset $ds -Condition ZeroShot -CompareModel $m -First 6 -BatchSize 4
            """).Succeeded();
        Assert.Equal(2, result.Output.Count);
        for (var layer = 0; layer < 2; layer++)
        {
            var row = result.Output[layer];
            Assert.Equal("IclPs.Engine.Analysis.HiddenSimilarityRow", row.TypeNames[0]);
            Assert.Equal(layer, Get<int>(row, "Layer"));
            Assert.Equal($"blocks.{layer}.hook_resid_post", Get<string>(row, "Hook"));
            Assert.Equal(("ZeroShot", "OtherModel"), (Get<string>(row, "ConditionA"), Get<string>(row, "ConditionB")));
            Assert.Equal(1.0, Get<double>(row, "MeanCosine"), 1e-9);
            Assert.InRange(Get<double>(row, "StdCosine"), 0, 1e-9);
            Assert.Equal(6L, Get<long>(row, "N"));
        }
    }

    [Fact]
    public void Default_conditions_with_a_compare_model_give_a_row_per_layer_and_pair()
    {
        var result = module.Run(Setup + """

            Measure-HiddenSimilarity $m $ds -CompareModel (New-IclModel -Seed 1) -Shots 3 -First 5
            """).Succeeded();
        var pairs = new[] { ("ZeroShot", "Icl"), ("ZeroShot", "OtherModel"), ("Icl", "OtherModel") };
        Assert.Equal(2 * pairs.Length, result.Output.Count);
        for (var i = 0; i < result.Output.Count; i++)
        {
            var row = result.Output[i];
            Assert.Equal(i / pairs.Length, Get<int>(row, "Layer"));
            Assert.Equal(pairs[i % pairs.Length], (Get<string>(row, "ConditionA"), Get<string>(row, "ConditionB")));
            Assert.InRange(Get<double>(row, "MeanCosine"), -1, 1);
            Assert.InRange(Get<double>(row, "StdCosine"), 0, 2);
            Assert.Equal(5L, Get<long>(row, "N"));
        }
        Assert.Equal("gpt2-tiny, 3-shot", Get<string>(result.Output[0], "DescriptionB"));
    }

    [Fact]
    public void Mean_of_one_query_is_the_cosine_of_unpadded_last_token_states()
    {
        // Independent reference: the two prompts written out by hand, run one at a time without padding, states of every position captured.
        var result = module.Run("""
            $m = New-IclModel
            $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' })
            $row = [pscustomobject]@{ Input = 'up' } | Measure-HiddenSimilarity $m -Demonstrations $demos -Shots 1
            function States($text) {
                $ids = [long[]]@($m.Tokenizer.Encode($text, $true))
                $hooks = [IclPs.Engine.Models.HookSet]::new().Capture('blocks.*.hook_resid_post', [IclPs.Engine.Models.PositionFilter]::All, $false)
                $null = $m.Network.Forward([TorchSharp.torch]::tensor($ids).reshape([long[]]@(1, $ids.Count)), $null, $hooks, $false)
                foreach ($l in 0, 1) { ,$hooks.Captured["blocks.$l.hook_resid_post"][0, -1].data[float]().ToArray() }
            }
            [pscustomobject]@{ Rows = @($row); Zero = @(States 'up'); Icl = @(States "hot cold`n`nup") }
            """).Succeeded();
        var rows = ((object[])result.Property("Rows")!).Cast<PSObject>().ToArray();
        var zero = ((object[])result.Property("Zero")!).Cast<float[]>().ToArray();
        var icl = ((object[])result.Property("Icl")!).Cast<float[]>().ToArray();
        Assert.Equal(2, rows.Length);
        for (var layer = 0; layer < 2; layer++)
        {
            double dot = 0, a = 0, b = 0;
            for (var i = 0; i < zero[layer].Length; i++)
            {
                dot += (double)zero[layer][i] * icl[layer][i];
                a += (double)zero[layer][i] * zero[layer][i];
                b += (double)icl[layer][i] * icl[layer][i];
            }
            Assert.Equal(dot / Math.Sqrt(a * b), Get<double>(rows[layer], "MeanCosine"), 1e-5);
            Assert.Equal(1L, Get<long>(rows[layer], "N"));
            Assert.True(double.IsNaN(Get<double>(rows[layer], "StdCosine")), "one query has no sample standard deviation");
        }
    }

    [Fact]
    public void Rows_are_reproducible_by_seed()
    {
        var result = module.Run(Setup + """

            $other = New-IclModel -Seed 1
            function Run($seed) { @(Measure-HiddenSimilarity $m $ds -CompareModel $other -Shots 2 -First 4 -Seed $seed) }
            $a = Run 3; $b = Run 3; $c = Run 4
            [pscustomobject]@{
                Same        = @(0..5 | Where-Object { $a[$_] -ne $b[$_] }).Count -eq 0
                # Only the pairs with the Icl condition depend on the demonstrations the seed picks.
                Changed     = @(0..5 | Where-Object { $a[$_].MeanCosine -ne $c[$_].MeanCosine } | ForEach-Object { "$($a[$_].ConditionA)-$($a[$_].ConditionB)" })
            }
            """).Succeeded();
        Assert.Equal(true, result.Property("Same"));
        Assert.Equal(new object[] { "ZeroShot-Icl", "Icl-OtherModel", "ZeroShot-Icl", "Icl-OtherModel" }, (object[])result.Property("Changed")!);
    }

    [Fact]
    public void Piped_queries_with_demonstrations_match_the_dataset_path()
    {
        var result = module.Run(Setup + """

            $piped = @($ds.Test.Items[0..4] | Measure-HiddenSimilarity $m -Demonstrations $ds.Train.Items -Shots 2 -BatchSize 2)
            $split = @(Measure-HiddenSimilarity $m $ds -Shots 2 -First 5 -BatchSize 3)
            [pscustomobject]@{ Count = $piped.Count; N = $piped[0].N; Piped = @($piped.MeanCosine); Split = @($split.MeanCosine) }
            """).Succeeded();
        Assert.Equal(2, result.Property("Count"));
        Assert.Equal(5L, result.Property("N"));
        var piped = ((object[])result.Property("Piped")!).Cast<double>().ToArray();
        var split = ((object[])result.Property("Split")!).Cast<double>().ToArray();
        // Different batch sizes pad differently; float32 states agree to rounding.
        for (var i = 0; i < 2; i++) Assert.Equal(split[i], piped[i], 1e-6);
    }

    [Fact]
    public void Too_long_query_is_an_error_and_the_rest_are_measured()
    {
        var result = module.Run(Setup + """

            'hot', ('x' * 300), 'up', 'big' | ForEach-Object { [pscustomobject]@{ Input = $_ } } |
                Measure-HiddenSimilarity $m -Demonstrations $ds.Train.Items -Shots 2 |
                ForEach-Object { $_.N }
            """);
        Assert.Null(result.TerminatingError);
        Assert.Equal(new object[] { 3L, 3L }, result.Output.Select(o => o.BaseObject));
        var error = Assert.Single(result.Errors);
        Assert.Equal("PromptTooLong" + Fqid, error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.LimitsExceeded, error.CategoryInfo.Category);
        Assert.Equal(new string('x', 300), PSObject.AsPSObject(error.TargetObject).Properties["Input"].Value);
    }

    [Fact]
    public void Fewer_than_two_conditions_is_an_error_with_its_id()
    {
        var result = module.Run(Setup + """

            Measure-HiddenSimilarity $m $ds -Condition ZeroShot -First 2
            """);
        Assert.Empty(result.Output);
        var error = result.TerminatingError ?? Assert.Single(result.Errors);
        Assert.Equal("NotEnoughConditions" + Fqid, error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal(1, error.TargetObject);
    }

    [Fact]
    public void Too_few_demonstrations_for_the_icl_condition_is_an_error_with_its_id()
    {
        var result = module.Run("""
            [pscustomobject]@{ Input = 'up' } | Measure-HiddenSimilarity (New-IclModel) -Demonstrations @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }) -Shots 2
            """);
        var error = result.TerminatingError ?? Assert.Single(result.Errors);
        Assert.Equal("NotEnoughExamples" + Fqid, error.FullyQualifiedErrorId);
        Assert.Equal(2, error.TargetObject);
    }

    [Fact]
    public void Verbose_names_the_conditions_and_batches_and_progress_counts_queries()
    {
        var result = module.Run(Setup + """

            $null = Measure-HiddenSimilarity $m $ds -First 5 -Shots 2 -BatchSize 4 -Verbose
            """).Succeeded();
        var verbose = result.Verbose.Select(v => v.Message).ToArray();
        Assert.Contains(verbose, v => v.StartsWith("Conditions: ZeroShot = gpt2-tiny, zero-shot (preset:gpt2-tiny seed:0); Icl = gpt2-tiny, 2-shot", StringComparison.Ordinal));
        Assert.Contains(verbose, v => v.Contains("batch size 4", StringComparison.Ordinal));
        Assert.Equal(1, verbose.Count(v => v.StartsWith("Batch of 4 queries through 2 conditions in ", StringComparison.Ordinal)));
        Assert.Equal(1, verbose.Count(v => v.StartsWith("Batch of 1 queries through 2 conditions in ", StringComparison.Ordinal)));
        Assert.Contains(result.Progress, p => p.StatusDescription == "4 of 5 queries" && p.PercentComplete == 80);
        Assert.Equal(ProgressRecordType.Completed, result.Progress[^1].RecordType);
    }
}
