using IclPs.Engine.Models;
using IclPs.Engine.Native;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>
/// Every hook name resolves for the model at hand or is an error with the nearest valid names (TransformerLens raises
/// too); interventions count the positions they changed.
/// </summary>
public sealed class HookNameTests
{
    public HookNameTests() => TorchNativeLoader.EnsureLoaded();

    private static Tensor Ids(TransformerModel model, int batch = 2, int length = 5) =>
        cat(Enumerable.Range(0, batch).Select(b => TestModels.Ids(TestModels.Prompt(model.Config, length, 70 + b))).ToArray(), 0);

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void The_listed_hook_points_are_exactly_those_the_model_runs(string name)
    {
        using var model = TestModels.Create(name);
        using var ids = Ids(model);
        using var hooks = new HookSet().Capture("*", PositionFilter.All);
        using (no_grad()) model.Forward(ids, hooks: hooks).Dispose();
        Assert.Equal(hooks.Captured.Keys.Order(), model.HookPoints.Order());
        Assert.Equal(model.HookPoints, HookNames.For(model.Config));
        Assert.Equal(model.Config.Family != ModelFamily.Llama, model.HookPoints.Contains(HookNames.PosEmbed));
    }

    [Fact]
    public void A_misspelt_capture_is_an_error_listing_the_nearest_names()
    {
        using var model = TestModels.Create("gpt2-tiny");
        using var ids = Ids(model);
        using var hooks = new HookSet().Capture("blocks.0.hook_resid_pots");
        var error = Assert.Throws<IclPsException>(() => model.Forward(ids, hooks: hooks));
        Assert.Equal((HookNames.UnknownHookErrorId, IclErrorKind.InvalidArgument, "blocks.0.hook_resid_pots"), (error.ErrorId, error.Kind, error.Target));
        Assert.Contains("nearest valid names: 'blocks.0.hook_resid_post'", error.Message);
        Assert.Empty(hooks.Captured);
    }

    [Fact]
    public void Position_embedding_hooks_are_refused_on_llama_which_has_none()
    {
        using var model = TestModels.Create("llama-tiny");
        using var ids = Ids(model);
        using var hooks = new HookSet().Capture(HookNames.PosEmbed);
        var error = Assert.Throws<IclPsException>(() => model.Forward(ids, hooks: hooks));
        Assert.Equal(HookNames.UnknownHookErrorId, error.ErrorId);
        Assert.Contains("'hook_embed'", error.Message);
        Assert.DoesNotContain(HookNames.PosEmbed, HookNames.For(model.Config));
    }

    [Fact]
    public void Interventions_and_patterns_that_name_nothing_are_refused_before_the_pass()
    {
        using var model = TestModels.Create("gpt2-tiny");
        using var ids = Ids(model);
        var ran = false;
        using var beyond = new HookSet().Edit(HookNames.ResidPost(5), x => { ran = true; return x; });
        var layer = Assert.Throws<IclPsException>(() => model.Forward(ids, hooks: beyond));
        Assert.False(ran);
        Assert.Contains("'blocks.1.hook_resid_post'", layer.Message);

        using var pattern = new HookSet().Capture("blocks.*.hook_resid_pots");
        var noMatch = Assert.Throws<IclPsException>(() => model.Forward(ids, hooks: pattern));
        Assert.StartsWith("Hook pattern 'blocks.*.hook_resid_pots' matches no hook point", noMatch.Message);

        using var cache = model.CachePrefix(ids);
        using var residual = zeros(2, 1, model.Config.DModel);
        using var late = new HookSet().Capture("blocks.1.hook_mlp_outt");
        Assert.Throws<IclPsException>(() => model.ForwardLastFrom(cache, 0, residual, late));
    }

    [Fact]
    public void Regression_models_check_names_too()
    {
        using var model = (RegressionModel)TransformerModel.Create(ModelConfig.RegressionPresets["regression-tiny"], CPU, seed: 1);
        using var inputs = randn(1, 4, model.Config.InputDim);
        using var hooks = new HookSet().Capture("blocks.2.hook_resid_post");
        var error = Assert.Throws<IclPsException>(() => model.Predict(inputs, hooks: hooks));
        Assert.Contains("'blocks.1.hook_resid_post'", error.Message);
    }

    [Fact]
    public void Edits_count_the_positions_they_changed()
    {
        using var model = TestModels.Create("gpt2-tiny");
        using var ids = Ids(model, batch: 2, length: 5);
        var d = model.Config.DModel;
        using var _ = no_grad();

        using var zero = new HookSet().AddVector(HookNames.ResidPost(0), zeros(d));
        model.Forward(ids, hooks: zero).Dispose();
        Assert.Equal((1, 0L), (zero.EditApplications, zero.ChangedPositions));

        using var last = new HookSet().AddVector(HookNames.ResidPost(0), ones(d));
        model.Forward(ids, hooks: last).Dispose();
        Assert.Equal((1, 2L), (last.EditApplications, last.ChangedPositions));

        using var all = new HookSet().AddVector(HookNames.ResidPost(1), ones(d), PositionFilter.All);
        model.Forward(ids, hooks: all).Dispose();
        model.Forward(ids, hooks: all).Dispose();
        Assert.Equal((2, 20L), (all.EditApplications, all.ChangedPositions));

        // One head's z at the last position of each row.
        using var head = new HookSet().ReplaceHeadZ(0, 1, full(model.Config.DHead, 3.0f));
        model.Forward(ids, hooks: head).Dispose();
        Assert.Equal(2L, head.ChangedPositions);
    }

    [Fact]
    public void A_tally_collects_what_each_pass_changed_when_its_hooks_are_disposed()
    {
        using var model = TestModels.Create("llama-tiny");
        using var ids = Ids(model);
        var tally = new InterventionTally();
        using var _ = no_grad();
        for (var i = 0; i < 3; i++)
        {
            using var hooks = new HookSet().ReplaceVector(HookNames.ResidPost(1), zeros(model.Config.DModel)).ReportTo(tally);
            model.Forward(ids, hooks: hooks).Dispose();
        }
        Assert.Equal((3L, 6L, false), (tally.Applications, tally.ChangedPositions, tally.ChangedNothing));

        var nothing = new InterventionTally();
        using (var hooks = new HookSet().AddVector(HookNames.ResidPost(1), zeros(model.Config.DModel)).ReportTo(nothing))
            model.Forward(ids, hooks: hooks).Dispose();
        Assert.True(nothing.ChangedNothing);
    }

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("abc", "", 3)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("blocks.0.hook_resid_pots", "blocks.0.hook_resid_post", 2)]
    public void Edit_distance_is_levenshtein(string a, string b, int distance)
    {
        Assert.Equal(distance, HookNames.EditDistance(a, b));
        Assert.Equal(distance, HookNames.EditDistance(b, a));
    }
}
