using BlueTeam.Core.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Correlation;

/// <summary>
/// Runs every enabled rule over each event, in event order, and collects the incidents they open
/// or update. This is the isolation boundary for rules: a rule that throws is logged and counted,
/// and the other rules still see the event.
/// </summary>
/// <remarks>
/// Not thread-safe: rules keep per-key state, and event time only means something when events
/// arrive in one ordered stream, so the pipeline feeds the correlator from a single reader.
/// </remarks>
public sealed class Correlator
{
    private readonly IRule[] _rules;
    // The rule index: for each event.action some rule declares, the rules that can see it (those that declare it
    // and those that declare nothing), in rule order; _anyAction for every other action. Most rules want one or
    // two actions, so most events meet a few rules instead of all of them.
    private readonly Dictionary<string, IRule[]> _byAction = new(StringComparer.Ordinal);
    private readonly IRule[] _anyAction;
    private readonly IncidentUpdates _eager;
    private readonly ILogger _logger;
    private readonly Dictionary<string, long> _errorsByRule = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lastErrorByRule = new(StringComparer.Ordinal);
    private long _ruleErrors;

    public Correlator(IEnumerable<IRule> rules, ILogger<Correlator>? logger = null)
    {
        _rules = [.. rules];
        _logger = logger ?? NullLogger<Correlator>.Instance;
        _eager = new IncidentUpdates((e, updates) => Process(e, updates));
        var actions = new IReadOnlySet<string>?[_rules.Length];
        for (var i = 0; i < _rules.Length; i++)
        {
            try
            {
                actions[i] = _rules[i].Actions;
            }
            catch (Exception e)
            {
                RecordFailure(_rules[i], e); // offered every event, like a rule without a set
            }
        }
        _anyAction = [.. _rules.Where((_, i) => actions[i] is null)];
        foreach (var action in actions.Where(a => a is not null).SelectMany(a => a!).Distinct(StringComparer.Ordinal))
            _byAction[action] = [.. _rules.Where((_, i) => actions[i] is null || actions[i]!.Contains(action))];
    }

    public IReadOnlyList<IRule> Rules => _rules;

    /// <summary>How many times any rule has thrown.</summary>
    public long RuleErrors => _ruleErrors;

    /// <summary>
    /// The earliest event time any rule's open state still depends on (the minimum of
    /// <see cref="IStatefulRule.OldestOpenEventTime"/> over the rules); null when nothing is open.
    /// </summary>
    /// <remarks>
    /// The daemon checkpoints this with its read positions: after a crash it re-reads its logs from this event
    /// time, so that open windows are rebuilt from the same events and the incidents they continue keep their
    /// fingerprints (the alert engine and the store then see updates, not new incidents). A rule that throws here
    /// is contained like one that throws on an event: logged, counted, and left out of the minimum.
    /// </remarks>
    public DateTimeOffset? OldestOpenEventTime
    {
        get
        {
            DateTimeOffset? oldest = null;
            foreach (var rule in _rules)
            {
                if (rule is not IStatefulRule stateful) continue;
                DateTimeOffset? own;
                try
                {
                    own = stateful.OldestOpenEventTime;
                }
                catch (Exception e)
                {
                    RecordFailure(rule, e);
                    continue;
                }
                if (own is { } t && (oldest is null || t < oldest)) oldest = t;
            }
            return oldest;
        }
    }

    /// <summary>Errors per rule name, for health output.</summary>
    public IReadOnlyDictionary<string, long> RuleErrorsByRule => _errorsByRule;

    /// <summary>
    /// The latest failure: which rule, on which event's line (when the event says where it was read), and why
    /// (exception type and message, inert). The pipeline turns it into a rule_error record of the line's source.
    /// </summary>
    public RuleFailure? LastFailure { get; private set; }

    /// <summary>The incidents <paramref name="securityEvent"/> opened or updated, in rule order; usually none.</summary>
    public IReadOnlyList<SecurityIncident> Process(SecurityEvent securityEvent) => _eager.Render(securityEvent);

    /// <summary>
    /// <see cref="Process(SecurityEvent)"/> without rendering: appends the incidents the event opened or updated, in
    /// rule order, as <see cref="IncidentUpdate"/>s to render when needed (scan renders only the last update of each).
    /// </summary>
    /// <returns>How many updates were appended.</returns>
    public int Process(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        var before = updates.Count;
        var rules = securityEvent.Event.Action is { } action && _byAction.TryGetValue(action, out var indexed) ? indexed : _anyAction;
        foreach (var rule in rules)
        {
            var mark = updates.Count;
            try
            {
                rule.Evaluate(securityEvent, updates);
            }
            catch (Exception e)
            {
                // A rule bug must not blind the others (style: contain per-item errors). What it added before
                // throwing is dropped, as the eager Evaluate would have returned nothing.
                if (updates.Count > mark) updates.RemoveRange(mark, updates.Count - mark);
                RecordFailure(rule, e, securityEvent);
            }
        }
        return updates.Count - before;
    }

    /// <summary>
    /// Lets wall-clock rules (absence) judge <paramref name="now"/>; the daemon calls it on every
    /// poll with its TimeProvider's time. Event-time rules are not involved. Isolated like <see cref="Process"/>.
    /// </summary>
    public IReadOnlyList<SecurityIncident> Tick(DateTimeOffset now)
    {
        List<SecurityIncident>? incidents = null;
        foreach (var rule in _rules)
        {
            if (rule is not ITickingRule ticking) continue;
            IReadOnlyList<SecurityIncident> fromRule;
            try
            {
                fromRule = ticking.Tick(now);
            }
            catch (Exception e)
            {
                RecordFailure(rule, e);
                continue;
            }
            if (fromRule.Count > 0) (incidents ??= []).AddRange(fromRule);
        }
        return incidents ?? (IReadOnlyList<SecurityIncident>)[];
    }

    private void RecordFailure(IRule rule, Exception e, SecurityEvent? on = null)
    {
        _ruleErrors++;
        var name = rule.Descriptor.Name;
        // The message may quote the event, which is the attacker's text: inert and short, like a parse error's reason.
        LastFailure = new RuleFailure(name, on?.Log?.File?.Path, on?.Log?.Offset, SafeText.Inert($"{name}: {e.GetType().Name}: {e.Message}", 200));
        var count = _errorsByRule[name] = _errorsByRule.GetValueOrDefault(name) + 1;
        // A rule that throws on every event would otherwise write one stack trace per log line:
        // log when its error changes, and the 1st, 10th, 100th… failure, each with the running count.
        var signature = e.GetType().FullName + ": " + e.Message;
        var changed = !_lastErrorByRule.TryGetValue(name, out var last) || last != signature;
        _lastErrorByRule[name] = signature;
        if (changed || IsPowerOfTen(count)) Log.RuleFailed(_logger, name, count, e);
    }

    private static bool IsPowerOfTen(long n)
    {
        while (n >= 10 && n % 10 == 0) n /= 10;
        return n == 1;
    }
}

/// <summary>One rule evaluation that threw: the rule, where the event was read (when it says), and why (inert text).</summary>
public sealed record RuleFailure(string Rule, string? Path, long? Offset, string Reason);
