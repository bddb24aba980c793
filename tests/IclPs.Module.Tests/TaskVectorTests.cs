using System.Management.Automation;

namespace IclPs.Module.Tests;

/// <summary>New-TaskVector, Measure-HeadEffect, Export-/Import-TaskVector and injection through the prompt cmdlets, as real script text.</summary>
[Collection(ModuleCollection.Name)]
public sealed class TaskVectorTests(ModuleFixture module)
{
    private string Setup => module.AntonymSetup;

    private const string RegressionModel = "$r = @(Start-IclTraining -Dimension 2 -Points 4 -Steps 4 -BatchSize 4 -EvaluateEvery 0 -Device cpu -PassThru)[-1]\n";

    private static T Get<T>(PSObject o, string name) => (T)LanguagePrimitives.ConvertTo(o.Properties[name].Value, typeof(T));

    private static object Unwrap(object value) => value is PSObject ps ? ps.BaseObject : value;

    private static int Count(PSObject o, string name) => ((System.Collections.ICollection)Unwrap(o.Properties[name].Value)).Count;

    [Fact]
    public void Hendel_task_vector_replaces_one_layer_and_is_injected_zero_shot()
    {
        var result = module.Run(Setup + """
            $tv = New-TaskVector -Model $m -Dataset $ds -Method TaskVector -Shots 3 -Prompts 4 -ValidationPrompts 4 -Seed 1
            $tv
            @(Invoke-IclPrompt $m $ds -Shots 0 -First 3 -MaxNewTokens 2 -TaskVector $tv)
            @(Invoke-IclPrompt $m $ds -Shots 0 -First 3 -MaxNewTokens 2)
            """).Succeeded();
        var tv = result.Output[0];
        Assert.Equal("IclPs.Engine.TaskVectors.TaskVector", tv.TypeNames[0]);
        Assert.Equal("TaskVector", Get<string>(tv, "Method"));
        Assert.Equal("Replace", Get<string>(tv, "Injection"));
        Assert.Equal(1, Count(tv, "Vectors"));
        var injected = result.Output.Skip(1).Take(3).ToArray();
        var plain = result.Output.Skip(4).ToArray();
        Assert.All(injected, r => Assert.Equal(tv.BaseObject.ToString(), Get<string>(r, "Intervention")));
        Assert.All(plain, r => Assert.Null(r.Properties["Intervention"].Value));
        Assert.Contains(Enumerable.Range(0, 3), i => Get<double>(injected[i], "ExpectedLogProb") != Get<double>(plain[i], "ExpectedLogProb"));
    }

    [Fact]
    public void Function_vector_sums_the_top_heads_and_head_effects_rank_every_head()
    {
        var result = module.Run(Setup + """
            $fv = New-TaskVector -Model $m -Dataset $ds -Method FunctionVector -TopK 3 -Shots 3 -Prompts 6 -EffectPrompts 4 -Layer 0
            $effects = @(Measure-HeadEffect -Model $m -Dataset $ds -Shots 3 -MeanPrompts 6 -EffectPrompts 4)
            [pscustomobject]@{ Vector = $fv; Effects = $effects }
            """).Succeeded();
        var fv = PSObject.AsPSObject(result.Output[0].Properties["Vector"].Value);
        Assert.Equal("FunctionVector", Get<string>(fv, "Method"));
        Assert.Equal("Add", Get<string>(fv, "Injection"));
        Assert.Equal(3, Count(fv, "Heads"));
        var vectors = ((System.Collections.IEnumerable)Unwrap(fv.Properties["Vectors"].Value)).Cast<object>().Select(v => PSObject.AsPSObject(v)).ToArray();
        Assert.Equal(0, Get<int>(Assert.Single(vectors), "Layer"));  // -Layer 0, not the default round(2 / 3) = 1
        var effects = ((object[])result.Output[0].Properties["Effects"].Value).Cast<PSObject>().ToArray();
        Assert.Equal(2 * 4, effects.Length);  // gpt2-tiny: 2 layers x 4 heads
        Assert.Equal("IclPs.Engine.TaskVectors.HeadEffect", effects[0].TypeNames[0]);
        var values = effects.Select(e => Get<double>(e, "AverageIndirectEffect")).ToArray();
        Assert.Equal(values.OrderByDescending(v => v), values);
    }

    [Fact]
    public void Ltv_trains_one_weight_per_head_with_a_training_curve_and_shows_progress()
    {
        var result = module.Run(Setup + """
            New-TaskVector -Model $m -Dataset $ds -Prompts 8 -TrainPrompts 16 -ValidationPrompts 8 -MaxEpochs 2 -BatchSize 8 -Seed 3 -Verbose
            """).Succeeded();
        var ltv = Assert.Single(result.Output);
        Assert.Equal("Ltv", Get<string>(ltv, "Method"));
        Assert.Equal(8, Count(ltv, "Heads"));
        Assert.True(Count(PSObject.AsPSObject(ltv.Properties["Provenance"].Value), "TrainingCurve") > 1);
        Assert.NotEmpty(result.Progress);
        Assert.Contains(result.Verbose, v => v.Message.Contains("validation loss"));
    }

    [Fact]
    public void Export_and_import_round_trip_and_guard_against_overwrites_and_wrong_shapes()
    {
        var folder = Path.Combine(Path.GetTempPath(), "iclps-tv-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var result = module.Run(Setup + $"""
                $tv = New-TaskVector -Model $m -Dataset $ds -Method TaskVector -Shots 2 -Prompts 2 -ValidationPrompts 2 -Layer 0
                $tv | Export-TaskVector '{folder}/whatif' -WhatIf
                [IO.File]::Exists('{folder}/whatif.json')
                $file = $tv | Export-TaskVector '{folder}/tv' -PassThru
                $file.Name
                $back = $file | Import-TaskVector -Model $m
                [bool]($back.Vectors[0].Values.Length -eq $tv.Vectors[0].Values.Length)
                [Linq.Enumerable]::SequenceEqual([float[]]$back.Vectors[0].Values, [float[]]$tv.Vectors[0].Values)
                $tv | Export-TaskVector '{folder}/tv' -ErrorAction SilentlyContinue -ErrorVariable exists
                $exists[0].FullyQualifiedErrorId
                $other = New-IclModel -Preset gpt2-mini
                Import-TaskVector '{folder}/tv.json' -Model $other -ErrorAction SilentlyContinue -ErrorVariable mismatch
                $mismatch[0].FullyQualifiedErrorId
                $mismatch[0].Exception.Message
                """);
            Assert.Null(result.TerminatingError);
            var output = result.Output.Select(o => o.ToString()).ToArray();
            Assert.Equal("False", output[0]);
            Assert.Equal("tv.json", output[1]);
            Assert.Equal("True", output[2]);
            Assert.Equal("True", output[3]);
            Assert.StartsWith("TaskVectorFileExists", output[4]);
            Assert.StartsWith("TaskVectorShapeMismatch", output[5]);
            Assert.Contains("layers = 2", output[6]);
            Assert.True(File.Exists(Path.Combine(folder, "tv.safetensors")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Similarity_takes_task_vector_conditions_and_prompts_can_shuffle_labels()
    {
        var result = module.Run(Setup + """
            $tv = New-TaskVector -Model $m -Dataset $ds -Method TaskVector -Shots 2 -Prompts 2 -ValidationPrompts 2 -Layer 0
            $rows = @(Measure-HiddenSimilarity -Model $m -Dataset $ds -First 4 -Shots 2 -TaskVector $tv)
            $shuffled = @(Invoke-IclPrompt $m $ds -Shots 3 -First 2 -MaxNewTokens 1 -ShuffleLabels)
            [pscustomobject]@{ Pairs = @($rows | ForEach-Object { "$($_.ConditionA)-$($_.ConditionB)" }); Shuffled = @($shuffled | ForEach-Object { $_.ShuffledLabels }) }
            """).Succeeded();
        var pairs = ((object[])result.Output[0].Properties["Pairs"].Value).Select(o => o.ToString()).ToHashSet();
        Assert.Contains("ZeroShot-TaskVector", pairs);
        Assert.Contains("Icl-TaskVector", pairs);
        Assert.All((object[])result.Output[0].Properties["Shuffled"].Value, s => Assert.Equal(true, Unwrap(s)));
    }

    [Fact]
    public void Regression_ltv_is_built_on_the_task_family_and_injected_into_numeric_prompts()
    {
        var result = module.Run(RegressionModel + """
            $ltv = $r | New-TaskVector -TrainPrompts 16 -ValidationPrompts 8 -MaxEpochs 2 -BatchSize 8
            $ltv
            @($r | Invoke-IclPrompt -Samples 4 -TaskVector $ltv)
            """).Succeeded();
        var ltv = result.Output[0];
        Assert.Equal("Ltv", Get<string>(ltv, "Method"));
        Assert.Equal("Live", Get<string>(ltv, "ActivationSource"));
        var rows = result.Output.Skip(1).ToArray();
        Assert.Equal(4, rows.Length);
        Assert.All(rows, r => Assert.Equal(ltv.BaseObject.ToString(), Get<string>(r, "Intervention")));
    }
}
