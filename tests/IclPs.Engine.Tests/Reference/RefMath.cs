namespace IclPs.Engine.Tests.Reference;

/// <summary>The float64 building blocks of both families, written as the textbook formulas.</summary>
public static class RefMath
{
    /// <summary>y = x W + b with W stored [in, out] (GPT-2's Conv1D layout).</summary>
    public static double[] InOut(double[] x, RefTensor w, RefTensor? b = null)
    {
        var (inputs, outputs) = (w.Shape[0], w.Shape[1]);
        var y = new double[outputs];
        for (var o = 0; o < outputs; o++)
        {
            var sum = b is null ? 0.0 : b.Data[o];
            for (var i = 0; i < inputs; i++) sum += x[i] * w[i, o];
            y[o] = sum;
        }
        return y;
    }

    /// <summary>y = W x with W stored [out, in] (nn.Linear layout, as LLaMA checkpoints and lm_head store it).</summary>
    public static double[] OutIn(double[] x, RefTensor w)
    {
        var (outputs, inputs) = (w.Shape[0], w.Shape[1]);
        var y = new double[outputs];
        for (var o = 0; o < outputs; o++)
        {
            var sum = 0.0;
            for (var i = 0; i < inputs; i++) sum += w[o, i] * x[i];
            y[o] = sum;
        }
        return y;
    }

    /// <summary>(x - mean) / sqrt(biased variance + eps) * gain + bias.</summary>
    public static double[] LayerNorm(double[] x, RefTensor gain, RefTensor bias, double eps)
    {
        var mean = x.Average();
        var variance = x.Select(v => (v - mean) * (v - mean)).Average();
        var scale = 1.0 / Math.Sqrt(variance + eps);
        return x.Select((v, i) => (v - mean) * scale * gain.Data[i] + bias.Data[i]).ToArray();
    }

    /// <summary>x / sqrt(mean(x^2) + eps) * gain.</summary>
    public static double[] RmsNorm(double[] x, RefTensor gain, double eps)
    {
        var scale = 1.0 / Math.Sqrt(x.Select(v => v * v).Average() + eps);
        return x.Select((v, i) => v * scale * gain.Data[i]).ToArray();
    }

    /// <summary>GPT-2's "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    public static double GeluTanh(double x) => 0.5 * x * (1.0 + Math.Tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x)));

    /// <summary>x * sigmoid(x).</summary>
    public static double Silu(double x) => x / (1.0 + Math.Exp(-x));

    public static double[] Softmax(double[] scores)
    {
        var max = scores.Max();
        var e = scores.Select(s => Math.Exp(s - max)).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    public static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    public static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();

    /// <summary>
    /// Rotary embedding, rotate-half convention (Hugging Face LLaMA): pairs (i, i + d/2) rotate by position * theta^(-2i/d).
    /// </summary>
    public static double[] Rope(double[] u, int position, double theta)
    {
        var half = u.Length / 2;
        var y = new double[u.Length];
        for (var i = 0; i < half; i++)
        {
            var angle = position * Math.Pow(theta, -2.0 * i / u.Length);
            var (cos, sin) = (Math.Cos(angle), Math.Sin(angle));
            y[i] = u[i] * cos - u[i + half] * sin;
            y[i + half] = u[i + half] * cos + u[i] * sin;
        }
        return y;
    }

    /// <summary>Splits a [heads * width] vector into heads.</summary>
    public static double[][] SplitHeads(double[] x, int heads, int offset = 0)
    {
        var width = (x.Length - offset) / heads;
        return Enumerable.Range(0, heads).Select(h => x.AsSpan(offset + h * width, width).ToArray()).ToArray();
    }
}
