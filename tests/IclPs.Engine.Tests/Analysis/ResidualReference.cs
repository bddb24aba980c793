using IclPs.Engine.Models;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Analysis;

/// <summary>The independent reference of the similarity tests: one prompt's last-token states, unpadded, and cosines in plain doubles.</summary>
internal static class ResidualReference
{
    /// <summary>Every layer's <c>hook_resid_post</c> at the last token of <paramref name="text"/> run alone, in float64.</summary>
    public static double[][] LastTokenResiduals(IclModel model, string text)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = model.Tokenizer.Encode(text, addBos: true).Select(x => (long)x).ToArray();
        using var hooks = new HookSet().Capture("blocks.*.hook_resid_post", PositionFilter.Last);
        model.Network.Forward(tensor(ids, new long[] { 1, ids.Length }), hooks: hooks);
        return Enumerable.Range(0, model.Config.Layers)
            .Select(l => hooks.Captured[HookNames.ResidPost(l)][0].to(ScalarType.Float64).data<double>().ToArray()).ToArray();
    }

    public static double Cosine(double[] x, double[] y)
    {
        double dot = 0, xx = 0, yy = 0;
        for (var i = 0; i < x.Length; i++) { dot += x[i] * y[i]; xx += x[i] * x[i]; yy += y[i] * y[i]; }
        return dot / Math.Sqrt(xx * yy);
    }
}
