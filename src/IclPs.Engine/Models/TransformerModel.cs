using IclPs.Engine.Adapters;
using IclPs.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;
using GeluApproximation = TorchSharp.Modules.GELU.Approximate;

namespace IclPs.Engine.Models;

/// <summary>
/// A pre-norm causal decoder (GPT-2, LLaMA or regression family) whose parameter names are the Hugging Face checkpoint keys,
/// with TransformerLens-named hook points for capture and intervention.
/// </summary>
public abstract class TransformerModel : nn.Module
{
    private protected readonly HookNames.LayerNames[] LayerHooks;

    private protected TransformerModel(ModelConfig config, Device device, ScalarType dtype) : base(config.Family.ToString())
    {
        config.Validate();
        Config = config;
        Device = device;
        DType = dtype;
        LayerHooks = Enumerable.Range(0, config.Layers).Select(HookNames.LayerNames.For).ToArray();
    }

    public ModelConfig Config { get; }

    /// <summary>
    /// The hook names this model runs, in forward order (<see cref="HookNames.For"/>): a <see cref="HookSet"/> naming any
    /// other is refused before the forward pass, with the nearest of these as suggestions.
    /// </summary>
    public IReadOnlyList<string> HookPoints => _hookPoints ??= HookNames.For(Config);
    private IReadOnlyList<string>? _hookPoints;

    public Device Device { get; }
    public ScalarType DType { get; }

    /// <summary>Where the model came from (a checkpoint path or a preset and seed); carried into results.</summary>
    public string Identity { get; set; } = "unnamed";

    /// <summary>
    /// The LoRA adapter attached to this model's projections, kept separate from the weights (<see cref="LoraAdapter.AttachTo"/>),
    /// or null. The model owns it and disposes it with itself.
    /// </summary>
    public LoraAdapter? Adapter { get; internal set; }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Adapter?.Dispose();
            Adapter = null;
        }
        base.Dispose(disposing);
    }

    /// <summary>Creates a model with uninitialised parameters (to be loaded) or, given a seed, GPT-2-style random initialisation.</summary>
    public static TransformerModel Create(ModelConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32, long? seed = null)
    {
        TorchNativeLoader.EnsureLoaded();
        device ??= DefaultDevice();
        // Sizes first: a config too large for memory is refused here, naming the field, before libtorch allocates.
        config.Validate();
        ModelMemory.EnsureFits(config, dtype, device);
        TransformerModel model = config.Family switch
        {
            ModelFamily.Gpt2 => new Gpt2Model(config, device, dtype),
            ModelFamily.Llama => new LlamaModel(config, device, dtype),
            ModelFamily.Regression => new RegressionModel(config, device, dtype),
            _ => throw new ArgumentOutOfRangeException(nameof(config)),
        };
        if (seed is long s) model.Initialise(s);
        model.eval();
        return model;
    }

    /// <summary>CUDA when TorchSharp has it, else CPU.</summary>
    public static Device DefaultDevice()
    {
        TorchNativeLoader.EnsureLoaded();
        return cuda.is_available() ? CUDA : CPU;
    }

    /// <summary>Parameters keyed by their Hugging Face checkpoint names (tied weights appear once).</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> CheckpointTensors() =>
        named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();

    /// <summary>
    /// Logits for token ids [b, t] (left-padded; <paramref name="attentionMask"/> [b, t] is 1 for real tokens, 0 for padding).
    /// Returns [b, t, vocab], or [b, vocab] for the last position only when <paramref name="lastPositionOnly"/>.
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, HookSet? hooks = null, bool lastPositionOnly = false)
    {
        RefuseVectorFamily();
        using var scope = NewDisposeScope();
        Func<Tensor, Tensor>? read = lastPositionOnly ? x => x.select(1, -1) : null;
        return Decode(CheckedInputs(inputIds, attentionMask), attentionMask, hooks, read).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Logits [b, <paramref name="columns"/>, vocab] at columns <paramref name="firstColumn"/>.. of token ids [b, t]
    /// (left-padded, as <see cref="Forward"/>): the unembedding runs only there, so a pass that reads a few columns does
    /// not build [b, t, vocab]. Hooks see every column. Given a decoding <paramref name="cache"/> from
    /// <see cref="NewDecodingCache"/> that has not run yet, the pass also records the keys and values of the cache's prompt
    /// columns for <see cref="ForwardNext"/> (causal attention: the columns after them cannot change them). No gradients
    /// with a cache.
    /// </summary>
    public Tensor ForwardColumns(Tensor inputIds, Tensor? attentionMask, int firstColumn, int columns, HookSet? hooks = null, KeyValueCache? cache = null)
    {
        RefuseVectorFamily();
        var t = inputIds.dim() == 2 ? inputIds.shape[1] : 0;
        if (firstColumn < 0 || columns < 1 || firstColumn + columns > t)
            throw new ArgumentOutOfRangeException(nameof(columns), $"Columns {firstColumn}..{firstColumn + columns - 1} are outside the {t} columns of the input.");
        if (cache is not null && (!cache.IsDecoding || cache.Layers != Config.Layers || cache.Length > 0))
            throw new ArgumentException("The cache must be a decoding cache from this model's NewDecodingCache that has not run yet.", nameof(cache));
        using var scope = NewDisposeScope();
        using var noGrad = cache is null ? null : no_grad();
        var logits = Decode(CheckedInputs(inputIds, attentionMask), attentionMask, hooks, x => x.narrow(1, firstColumn, columns), cache);
        cache?.Finish(logits);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// An empty decoding cache for a left-padded prompt of <paramref name="promptColumns"/> columns followed by up to
    /// <paramref name="newColumns"/> generated ones: <see cref="ForwardColumns"/> records the prompt, then each
    /// <see cref="ForwardNext"/> adds one column. The caller disposes it.
    /// </summary>
    public KeyValueCache NewDecodingCache(int promptColumns, int newColumns)
    {
        RefuseVectorFamily();
        if (promptColumns < 1) throw new ArgumentOutOfRangeException(nameof(promptColumns), "A prompt has at least one column.");
        if (newColumns < 1) throw new ArgumentOutOfRangeException(nameof(newColumns), "A decoding cache holds at least one new column.");
        if (promptColumns + newColumns > Config.ContextLength)
            throw new IclPsException("PromptTooLong", IclErrorKind.LimitsExceeded,
                $"{promptColumns + newColumns} positions exceed the model's context window of {Config.ContextLength}.", promptColumns + newColumns);
        return KeyValueCache.ForDecoding(Config.Layers, promptColumns, newColumns);
    }

    /// <summary>
    /// One greedy-decoding step on a decoding <paramref name="cache"/>: <paramref name="nextIds"/> [b, 1] is a new real
    /// column after the held ones (its position one past the row's last, attending to every real column before it).
    /// Hooks see that column alone ([b, 1, ...]; hook_pattern [b, H, 1, keys]). Returns its logits [b, vocab], equal to
    /// <see cref="Forward"/>'s last column over the whole sequence with the new column's mask 1; the cache then holds it.
    /// </summary>
    public Tensor ForwardNext(KeyValueCache cache, Tensor nextIds, HookSet? hooks = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(nextIds);
        RefuseVectorFamily();
        if (!cache.IsDecoding || cache.Layers != Config.Layers || cache.Length == 0)
            throw new ArgumentException("The cache must be a decoding cache from this model whose prompt pass has run.", nameof(cache));
        if (cache.Length >= cache.Capacity)
            throw new IclPsException("DecodingCacheFull", IclErrorKind.LimitsExceeded,
                $"The decoding cache holds {cache.Capacity} columns and all are used.", cache.Capacity);
        if (nextIds.dim() != 2 || nextIds.shape[0] != cache.BatchSize || nextIds.shape[1] != 1)
            throw new ArgumentException($"next ids must be [{cache.BatchSize}, 1], got [{string.Join(", ", nextIds.shape)}].", nameof(nextIds));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = CheckedInputs(nextIds, null);
        hooks?.CheckNames(this);
        var positions = cache.Positions.view(-1, 1);
        var x = BlocksFrom(0, Embed(ids, positions, hooks), positions, cache.NextBias, hooks, cache);
        cache.Advance();
        return Unembed(x.select(1, 0)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One clean pass over left-padded inputs (token ids [b, t], or vectors [b, t, d_in] for the regression family) that
    /// keeps what <see cref="ForwardLastFrom"/> needs to recompute the last column from any layer: every layer's keys and
    /// values of the other columns, and the residual entering each block at the last column. Causal attention means no
    /// other column depends on the last one, so an intervention there leaves the kept values exact. No gradients.
    /// </summary>
    public KeyValueCache CachePrefix(Tensor inputs, Tensor? attentionMask = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var cache = KeyValueCache.ForLastColumn(Config.Layers);
        try
        {
            var output = Decode(CheckedInputs(inputs, attentionMask), attentionMask, null, x => x.select(1, -1), cache);
            cache.Finish(output);
            return cache;
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Recomputes the last column of <paramref name="cache"/>'s batch from block <paramref name="layer"/> on, for
    /// <paramref name="residual"/> [b, c, d_model]: c copies of the residual entering that block, each continuing as its
    /// own last column (attending to the cached columns and to itself only). Hooks see the copies on the position axis,
    /// so an edit can treat each copy differently (e.g. patch a different head per copy). Returns the read-out
    /// [b, c, vocab] (or [b, c, 1] for the regression family); equals <see cref="Forward"/>'s last column for each copy.
    /// </summary>
    public Tensor ForwardLastFrom(KeyValueCache cache, int layer, Tensor residual, HookSet? hooks = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(residual);
        if (cache.Layers != Config.Layers || cache.IsDecoding || !cache.IsComplete)
            throw new ArgumentException("The cache was not made by this model's CachePrefix.", nameof(cache));
        if (layer < 0 || layer >= Config.Layers)
            throw new IclPsException("LayerOutOfRange", IclErrorKind.InvalidArgument, $"Layer {layer} is outside the model's {Config.Layers} layers.", layer);
        if (residual.dim() != 3 || residual.shape[0] != cache.BatchSize || residual.shape[2] != Config.DModel)
            throw new ArgumentException($"residual must be [{cache.BatchSize}, copies, {Config.DModel}], got [{string.Join(", ", residual.shape)}].", nameof(residual));
        hooks?.CheckNames(this);
        using var scope = NewDisposeScope();
        var (b, c) = (residual.shape[0], residual.shape[1]);
        var positions = cache.Positions.view(-1, 1).expand(b, c);
        // Each copy sees the cached columns (real ones only) and itself, as the last column does in the full pass.
        var own = zeros(c, c, dtype: DType, device: Device).masked_fill(eye(c, dtype: ScalarType.Bool, device: Device).logical_not(), MaskedScore(DType));
        var attnBias = cat([cache.PrefixBias.expand(b, 1, c, cache.PrefixBias.shape[3]), own.view(1, 1, c, c).expand(b, 1, c, c)], 3);
        var x = BlocksFrom(layer, residual.to(DType, Device), positions, attnBias, hooks, cache);
        return Unembed(x).MoveToOuterDisposeScope();
    }

    private void RefuseVectorFamily()
    {
        if (Config.Family == ModelFamily.Regression)
            throw new IclPsException("TokenInputNotSupported", IclErrorKind.InvalidOperation,
                $"A regression model reads vectors, not token ids; call {nameof(RegressionModel)}.{nameof(RegressionModel.Predict)}.", Config);
    }

    /// <summary>Validates inputs for this family and returns them on the model's device (token ids; the regression family overrides for vectors).</summary>
    private protected virtual Tensor CheckedInputs(Tensor inputIds, Tensor? attentionMask)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input ids must be [batch, positions], got [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        var t = inputIds.shape[1];
        if (t > Config.ContextLength)
            throw new IclPsException("PromptTooLong", IclErrorKind.LimitsExceeded,
                $"{t} positions exceed the model's context window of {Config.ContextLength}.", t);
        if (attentionMask is not null && !attentionMask.shape.SequenceEqual(inputIds.shape))
            throw new IclPsException("AttentionMaskShapeMismatch", IclErrorKind.InvalidArgument,
                $"attention mask [{string.Join(", ", attentionMask.shape)}] does not match input ids [{string.Join(", ", inputIds.shape)}].", attentionMask.shape);
        if (inputIds.numel() > 0)
        {
            var (min, max) = (inputIds.min().item<long>(), inputIds.max().item<long>());
            if (min < 0 || max >= Config.VocabSize)
                throw new IclPsException("TokenIdOutOfRange", IclErrorKind.InvalidArgument,
                    $"token ids must lie in [0, {Config.VocabSize}); got {(min < 0 ? min : max)}.", min < 0 ? min : max);
        }
        return inputIds.to(Device);
    }

    /// <summary>
    /// The shared decoder pass over checked inputs on the model's device ([b, t] ids, or [b, t, d_in] vectors for the
    /// regression family): positions from the mask, the stack, the final norm and the unembedding of the columns
    /// <paramref name="read"/> selects from the final-norm output [b, t, d] (null: every column).
    /// </summary>
    private protected Tensor Decode(Tensor inputs, Tensor? attentionMask, HookSet? hooks, Func<Tensor, Tensor>? read, KeyValueCache? cache = null)
    {
        hooks?.CheckNames(this);
        var mask = attentionMask is null
            ? ones(inputs.shape[0], inputs.shape[1], dtype: ScalarType.Int64, device: Device)
            : attentionMask.to(ScalarType.Int64, Device);
        // Position ids count real tokens only, so a left-padded prompt sees the same positions as unpadded.
        var positions = (mask.cumsum(1) - 1).clamp_min(0);
        var attnBias = AttentionBias(mask, DType);
        cache?.Start(mask, positions, attnBias);
        var x = BlocksFrom(0, Embed(inputs, positions, hooks), positions, attnBias, hooks, cache);
        return Unembed(read is null ? x : read(x));
    }

    /// <summary>W_O split per head: [H, d_head, d_model], so head h contributes z_h @ W_O[h].</summary>
    public abstract Tensor HeadOutputWeights(int layer);

    /// <summary>The bias b_O [d_model] of the attention output projection, added once to the sum of the heads' outputs; null where the family has none.</summary>
    public abstract Tensor? HeadOutputBias(int layer);

    /// <summary>Seeded initialisation: N(0, 0.02) weights, residual projections N(0, 0.02/sqrt(2L)), unit norms, zero biases.</summary>
    public abstract void Initialise(long seed);

    /// <summary>Token embedding (or read-in of vectors for the regression family) plus position embedding where the family has one: [b, t, d].</summary>
    private protected abstract Tensor Embed(Tensor inputs, Tensor positions, HookSet? hooks);

    /// <summary>
    /// Blocks <paramref name="firstLayer"/>.. then the final norm. With a <paramref name="cache"/>, each block records its
    /// keys and values (the clean pass) or extends them with the cached ones (a last-column pass).
    /// </summary>
    private protected abstract Tensor BlocksFrom(int firstLayer, Tensor x, Tensor positions, Tensor attnBias, HookSet? hooks, KeyValueCache? cache);

    private protected abstract Tensor Unembed(Tensor x);

    private protected static Tensor Hook(HookSet? hooks, string name, Tensor x) => hooks is null ? x : hooks.Run(name, x);

    private protected static bool Wants(HookSet? hooks, string name) => hooks is not null && hooks.IsActive(name);

    /// <summary>
    /// Additive attention bias [b, 1, t, t]: 0 where a query may attend (causal and key is real), a large negative elsewhere.
    /// Every position may attend to itself, so padding rows stay finite instead of becoming NaN.
    /// </summary>
    private static Tensor AttentionBias(Tensor mask, ScalarType dtype)
    {
        var t = mask.shape[1];
        var causal = ones(t, t, dtype: ScalarType.Bool, device: mask.device).tril();
        var keyReal = mask.to(ScalarType.Bool).view(mask.shape[0], 1, 1, t);
        var allowed = causal.view(1, 1, t, t).logical_and(keyReal).logical_or(eye(t, dtype: ScalarType.Bool, device: mask.device).view(1, 1, t, t));
        // A named, disposed Scalar: an implicit temporary can be finalized while libtorch still reads it, which showed as
        // intermittent "toFloat" range failures after thousands of calls.
        using Scalar fill = MaskedScore(dtype);
        return zeros(allowed.shape, dtype: dtype, device: mask.device).masked_fill(allowed.logical_not(), fill);
    }

    /// <summary>The additive bias of a masked-out attention score in <paramref name="dtype"/>.</summary>
    internal static double MaskedScore(ScalarType dtype) => dtype switch { ScalarType.Float16 => -65504.0, ScalarType.BFloat16 => -3.38e38, _ => -3.4e38 };

    /// <summary>Scaled dot-product attention over [b, H, t, d_head]; the explicit form runs only when the pattern is hooked.</summary>
    private protected static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor attnBias, HookSet? hooks, string patternHook)
    {
        if (!Wants(hooks, patternHook))
            return nn.functional.scaled_dot_product_attention(q, k, v, attnBias);
        var scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(q.shape[^1]) + attnBias;
        var pattern = Hook(hooks, patternHook, scores.softmax(-1));
        return pattern.matmul(v);
    }

    /// <summary>The GPT-2 block stack from <paramref name="firstLayer"/> then the final norm, shared by GPT-2 and the regression variant. x: [b, t, d].</summary>
    private protected Tensor Gpt2Stack(IList<Gpt2Block> blocks, LayerNormParams finalNorm, int firstLayer, Tensor x, Tensor attnBias, HookSet? hooks, KeyValueCache? cache)
    {
        for (var l = firstLayer; l < blocks.Count; l++)
        {
            x = Gpt2BlockForward(blocks[l], l, x, attnBias, hooks, cache);
        }
        return Hook(hooks, HookNames.FinalNormalized, finalNorm.Forward(x));
    }

    /// <summary>One GPT-2 block (shared by the GPT-2 and regression families): LayerNorm, attention, LayerNorm, tanh-GELU MLP.</summary>
    internal Tensor Gpt2BlockForward(Gpt2Block block, int layer, Tensor x, Tensor attnBias, HookSet? hooks, KeyValueCache? cache = null)
    {
        var names = LayerHooks[layer];
        var (b, t) = (x.shape[0], x.shape[1]);
        x = Hook(hooks, names.ResidPre, x);
        var qkv = block.attn.c_attn.Forward(block.ln_1.Forward(x));
        // q, k, v: [b, H, t, d_head]
        var split = qkv.view(b, t, 3, Config.Heads, Config.DHead).permute(2, 0, 3, 1, 4);
        var (k, v) = cache is null ? (split[1], split[2]) : cache.Apply(layer, x, split[1], split[2]);
        var heads = Attend(split[0], k, v, attnBias, hooks, names.Pattern);
        var z = heads.transpose(1, 2);
        var attnOut = ProjectHeads(z, layer, hooks, block.attn.c_proj.Forward, block.attn.c_proj.Bias);
        x = Hook(hooks, names.ResidMid, x + Hook(hooks, names.AttnOut, attnOut));
        var hidden = nn.functional.gelu(block.mlp.c_fc.Forward(block.ln_2.Forward(x)), GeluApproximation.tanh);
        var mlpOut = Hook(hooks, names.MlpOut, block.mlp.c_proj.Forward(hidden));
        return Hook(hooks, names.ResidPost, x + mlpOut);
    }

    /// <summary>hook_z then W_O: [b, t, H, d_head] to [b, t, d_model], computing per-head results only when hooked.</summary>
    private protected Tensor ProjectHeads(Tensor z, int layer, HookSet? hooks, Func<Tensor, Tensor> outputProjection, Tensor? outputBias)
    {
        var names = LayerHooks[layer];
        z = Hook(hooks, names.Z, z);
        var (b, t) = (z.shape[0], z.shape[1]);
        if (!Wants(hooks, names.Result))
            return outputProjection(z.reshape(b, t, Config.DModel));
        // result: [b, t, H, d_model]
        var result = Hook(hooks, names.Result, einsum("bthd,hdm->bthm", z, HeadOutputWeights(layer)));
        var summed = result.sum(2);
        return outputBias is null ? summed : summed + outputBias;
    }
}
