using BlueTeam.Correlation;
using BlueTeam.Correlation.State;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Engine;

/// <summary>One rule that looked at an event: its name, and where the event's key stands after it (for counting kinds).</summary>
/// <param name="Error">The rule threw while it was asked (inert text); the rule is still listed.</param>
internal sealed record RuleFed(string Rule, RuleProgress? Progress, string? Error = null);

/// <summary>One event a line completed, the rules it fed, and the incidents it opened or updated.</summary>
internal sealed record EventExplanation(SecurityEvent Event, IReadOnlyList<RuleFed> Rules, IReadOnlyList<(SecurityIncident Incident, bool Opened)> Fired);

/// <summary>What the pipeline did with one line: the events it completed (none when no parser took it) and, per event, the rules and incidents.</summary>
/// <param name="ParseError">Why a parser failed on the line (it threw; contained), or null.</param>
internal sealed record LineExplanation(RawLine Line, IReadOnlyList<EventExplanation> Events, string? ParseError);

/// <summary>
/// <c>blueteam explain</c>'s view of the detection pipeline: the same <see cref="DetectionPipeline"/> as scan and
/// the daemon, driven a line at a time, with the rules asked after each event where its key stands
/// (<see cref="IRuleProgress"/>, which changes nothing). So what explain says a line does is what scan and the
/// daemon do with it.
/// </summary>
internal sealed class LineExplainer(DetectionPipeline pipeline)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly List<SecurityEvent> _events = [];
    private readonly List<IncidentUpdate> _updates = [];

    /// <summary>Parses and correlates <paramref name="line"/> and says what happened.</summary>
    public LineExplanation Explain(RawLine line, ParseContext context)
    {
        _events.Clear();
        var errorsBefore = pipeline.Errors.ParseErrors;
        pipeline.Parse(line, context, _events);
        var parseError = pipeline.Errors.ParseErrors > errorsBefore ? pipeline.Errors.Recent()[^1].Reason : null;
        return new LineExplanation(line, CorrelateAll(line.Collector, line.Path), parseError);
    }

    /// <summary>End of input: the events multi-record parsers (auditd) still held, correlated and explained.</summary>
    public IReadOnlyList<EventExplanation> Flush(string collector)
    {
        _events.Clear();
        pipeline.FlushParsers(_events);
        return CorrelateAll(collector, null);
    }

    private List<EventExplanation> CorrelateAll(string collector, string? path)
    {
        var result = new List<EventExplanation>(_events.Count);
        foreach (var e in _events)
        {
            _updates.Clear();
            pipeline.Correlate(e, _updates, collector, path);
            var fired = new List<(SecurityIncident, bool)>(_updates.Count);
            foreach (var update in _updates)
            {
                var incident = update.ToIncident();
                fired.Add((incident, _seen.Add(incident.Fingerprint)));
            }
            result.Add(new EventExplanation(e, RulesFed(e), fired));
        }
        return result;
    }

    private List<RuleFed> RulesFed(SecurityEvent e)
    {
        var fed = new List<RuleFed>();
        foreach (var rule in pipeline.Correlator.Rules)
        {
            try
            {
                if (rule.Actions is { } actions && (e.Event.Action is not { } action || !actions.Contains(action))) continue;
                if (!rule.Matches(e)) continue;
                fed.Add(new RuleFed(rule.Descriptor.Name, (rule as IRuleProgress)?.ProgressOf(e)));
            }
            catch (Exception ex)
            {
                // The correlator contained this rule's failure on the event already; explain says so instead of hiding the rule.
                fed.Add(new RuleFed(rule.Descriptor.Name, null, $"{ex.GetType().Name}: {ex.Message}"));
            }
        }
        return fed;
    }
}
