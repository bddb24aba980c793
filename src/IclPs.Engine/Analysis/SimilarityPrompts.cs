using IclPs.Engine.Data;
using IclPs.Engine.Prompting;

namespace IclPs.Engine.Analysis;

/// <summary>
/// What each condition of <see cref="HiddenSimilarity"/> shows query i: its prompt, and for an instruction-tuned condition
/// the demonstrations its adapter learns. Drawn from the query's own pool when it has one, else the run's, with the same
/// (seed, i, shots) draw either way, so an adapter learns exactly the demonstrations the Icl prompt with its shots shows.
/// An adapter's pool is, in order: the query's <see cref="SimilarityQuery.AdapterDemonstrations"/>, the condition's
/// <see cref="InstructionTuning.DemonstrationPool"/>, the query's demonstrations, the run's pool.
/// </summary>
public sealed class SimilarityPrompts
{
    private readonly IReadOnlyList<SimilarityCondition> _conditions;
    private readonly IReadOnlyList<IclExample> _pool;
    private readonly HiddenSimilarityOptions _options;
    private readonly FewShotPromptBuilder[] _prompts;
    private readonly FewShotPromptBuilder?[] _tuning;

    public SimilarityPrompts(IReadOnlyList<SimilarityCondition> conditions, IReadOnlyList<IclExample> demonstrationPool, HiddenSimilarityOptions options)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(demonstrationPool);
        ArgumentNullException.ThrowIfNull(options);
        (_conditions, _pool, _options) = (conditions, demonstrationPool, options);
        _prompts = conditions.Select(c => Builder(demonstrationPool, c.PromptShots)).ToArray();
        _tuning = conditions.Select(c => c.Tuning is null ? null : Builder(c.Tuning.DemonstrationPool ?? demonstrationPool, c.Shots)).ToArray();
    }

    /// <summary>Condition <paramref name="condition"/>'s prompt for <paramref name="query"/> at index <paramref name="index"/>.</summary>
    public IclPrompt Prompt(int condition, SimilarityQuery query, int index)
    {
        ArgumentNullException.ThrowIfNull(query);
        var builder = query.Demonstrations is { } own ? Builder(own, _conditions[condition].PromptShots) : _prompts[condition];
        return builder.Build(query.Example, index);
    }

    /// <summary>
    /// The demonstrations condition <paramref name="condition"/>'s adapter learns for the query at <paramref name="index"/>
    /// (labels deranged as the prompt's are); null for a condition that is not instruction-tuned.
    /// </summary>
    public IReadOnlyList<IclExample>? TuningDemonstrations(int condition, SimilarityQuery query, int index)
    {
        ArgumentNullException.ThrowIfNull(query);
        var tuning = _conditions[condition].Tuning;
        if (tuning is null) return null;
        var own = query.AdapterDemonstrations ?? (tuning.DemonstrationPool is null ? query.Demonstrations : null);
        var builder = own is null ? _tuning[condition]! : Builder(own, _conditions[condition].Shots);
        return builder.Build(query.Example, index).Demonstrations;
    }

    private FewShotPromptBuilder Builder(IReadOnlyList<IclExample> pool, int shots) =>
        new(_options.Format, pool, shots, _options.Seed, _options.ShuffleLabels);
}
