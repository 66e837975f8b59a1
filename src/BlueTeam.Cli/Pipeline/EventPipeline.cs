using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Cli.Pipeline;

/// <summary>
/// parse → correlate for one raw line: the part of the pipeline that `scan` and the daemon share,
/// so that a replay of yesterday's log gives the same incidents as watching it live.
/// </summary>
internal sealed class EventPipeline
{
    private readonly ParserRegistry _parsers;
    private readonly Correlator _correlator;

    public EventPipeline(ParserRegistry parsers, Correlator correlator)
    {
        _parsers = parsers;
        _correlator = correlator;
    }

    public long Lines { get; private set; }
    public long Events { get; private set; }

    public (SecurityEvent? Event, IReadOnlyList<SecurityIncident> Incidents) Process(RawLine line, ParseContext context)
    {
        Lines++;
        var e = _parsers.Parse(line, context);
        if (e is null) return (null, []);
        Events++;
        return (e, _correlator.Process(e));
    }
}
