using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Correlation.State;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Engine;

/// <summary>
/// parse → correlate: the part of the pipeline that `scan` and the daemon share, so that a replay
/// of yesterday's log gives the same incidents as watching it live. Not thread-safe: one consumer.
/// </summary>
internal sealed class EventPipeline
{
    private readonly ParserRegistry _parsers;

    public EventPipeline(ParserRegistry parsers, Correlator correlator)
    {
        _parsers = parsers;
        Correlator = correlator;
    }

    public Correlator Correlator { get; }

    /// <summary>The lines the parsers failed on (each lost alone, counted, skipped).</summary>
    public ParseErrorLog ParseErrors => _parsers.Errors;

    /// <summary>
    /// The events <paramref name="line"/> completes (none, one, or several for multi-record
    /// formats such as auditd) and the incidents they open or update, appended to the lists the
    /// caller passes (reused across lines, so the hot path allocates no lists).
    /// </summary>
    public void Process(RawLine line, ParseContext context, List<SecurityEvent> events, List<SecurityIncident> incidents)
    {
        var first = events.Count;
        if (_parsers.ParseAll(line, context, events) == 0) return;
        for (var i = first; i < events.Count; i++)
        {
            var found = Correlator.Process(events[i]);
            if (found.Count > 0) incidents.AddRange(found);
        }
    }

    /// <summary>
    /// The parse stage alone, for callers that parse and correlate on two threads (scan): the events
    /// <paramref name="line"/> completes, appended to <paramref name="events"/>. Only one thread may parse.
    /// </summary>
    public int Parse(RawLine line, ParseContext context, List<SecurityEvent> events) => _parsers.ParseAll(line, context, events);

    /// <summary>The parse stage's end of input: the events multi-line parsers still hold. Same thread as <see cref="Parse"/>.</summary>
    public void FlushParsers(List<SecurityEvent> events) => events.AddRange(_parsers.Flush());

    /// <summary>The correlate stage alone: one thread, events in the order they were parsed.</summary>
    public void Correlate(SecurityEvent e, List<IncidentUpdate> updates) => Correlator.Process(e, updates);

    /// <summary>End of input (end of a scanned file, an idle source, shutdown): what multi-line parsers still hold.</summary>
    public void Flush(List<SecurityEvent> events, List<SecurityIncident> incidents)
    {
        foreach (var e in _parsers.Flush())
        {
            events.Add(e);
            incidents.AddRange(Correlator.Process(e));
        }
    }
}
