using System.Globalization;
using IclPs.Engine.Adapters;
using IclPs.Engine.Data;
using IclPs.Engine.Models;

namespace IclPs.Engine.Analysis;

/// <summary>
/// How the instruction-tuned condition of <see cref="HiddenSimilarity"/> makes its model for one input (Duan et al.'s IT):
/// a fresh LoRA adapter on the base model, tuned by <see cref="LoraTrainer"/> on the input's k demonstrations rendered as
/// zero-shot items, then queried zero-shot. Duan et al.'s code was not found: rank 4, alpha 8 on the query and value
/// projections follow their description (LoRA on Q and V); the steps and learning rate are IclPs's choices.
/// </summary>
public sealed record InstructionTuning
{
    /// <summary>Apart from the demonstration draws' streams, so the adapters' seeds never coincide with a prompt's.</summary>
    private const long AdapterStream = 1L << 41;

    /// <summary>r of every adapter pair.</summary>
    public int Rank { get; init; } = 4;

    /// <summary>lora_alpha: the delta is scaled by alpha / r.</summary>
    public double Alpha { get; init; } = 8;

    /// <summary>target_modules; null for PEFT's defaults: q_proj and v_proj for LLaMA, c_attn for GPT-2.</summary>
    public IReadOnlyList<string>? TargetModules { get; init; }

    /// <summary>AdamW updates per adapter; 0 keeps B = 0, so the adapted model computes what the base does.</summary>
    public int Steps { get; init; } = 20;

    public double LearningRate { get; init; } = 1e-2;

    /// <summary>Demonstrations per update; k no larger than this are all used at every update.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>A training loss above this counts as divergence (the input is then left out or the run ends).</summary>
    public double MaxLoss { get; init; } = new LoraTrainingOptions().MaxLoss;

    /// <summary>
    /// Where the adapter's k demonstrations are drawn from; null for the pool the Icl condition draws from, so with the same
    /// shots and seed the adapter learns exactly the demonstrations the Icl prompt shows. Another map's pool is the control
    /// of Duan et al.'s claim: an adapter tuned on another task should sit further from ICL.
    /// </summary>
    public IReadOnlyList<IclExample>? DemonstrationPool { get; init; }

    /// <summary>A name for the pool in descriptions, when <see cref="DemonstrationPool"/> is given.</summary>
    public string? DemonstrationPoolName { get; init; }

    /// <summary>The adapter's LoRA settings for <paramref name="model"/>.</summary>
    public LoraSettings SettingsFor(IclModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var targets = TargetModules ?? DefaultTargets(model.Config.Family);
        var allLinear = targets.Count == 1 && targets[0] == LoraSettings.AllLinear;
        return new LoraSettings
        {
            Rank = Rank,
            Alpha = Alpha,
            TargetModules = allLinear ? [] : targets,
            TargetPattern = allLinear ? LoraSettings.AllLinear : null,
            BaseModel = model.Source,
        };
    }

    /// <summary>PEFT's default target_modules: q_proj and v_proj for LLaMA, c_attn (the fused Q, K, V) for GPT-2.</summary>
    public static IReadOnlyList<string> DefaultTargets(ModelFamily family) => family == ModelFamily.Gpt2 ? ["c_attn"] : ["q_proj", "v_proj"];

    /// <summary>The seed of input <paramref name="inputIndex"/>'s adapter (its A and its batches), from the run's seed.</summary>
    public static long AdapterSeed(int runSeed, int inputIndex) => (long)(new SeededRandom(runSeed, inputIndex + AdapterStream).NextUInt64() >> 1);

    /// <summary>Refuses settings <see cref="LoraSettings"/> or <see cref="LoraTrainingOptions"/> would refuse, before any input runs.</summary>
    public void Validate(IclModel model)
    {
        SettingsFor(model).Validate();
        TrainingOptions(0).Validate();
        if (DemonstrationPool is { Count: 0 })
            throw new IclPsException("NotEnoughExamples", IclErrorKind.InvalidArgument, "The adapters' demonstration pool is empty.", DemonstrationPool);
    }

    internal LoraTrainingOptions TrainingOptions(long seed) => new() { Steps = Steps, BatchSize = BatchSize, LearningRate = LearningRate, MaxLoss = MaxLoss, Seed = seed };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"LoRA r {Rank}, alpha {Alpha:0.###}, {(TargetModules is null ? "default targets" : string.Join(", ", TargetModules))}, {Steps} updates at {LearningRate:0.#####}{(DemonstrationPool is null ? "" : $", demonstrations from {DemonstrationPoolName ?? "another pool"}")}");
}
