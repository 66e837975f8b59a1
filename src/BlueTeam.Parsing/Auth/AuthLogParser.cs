using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing.Syslog;
using BlueTeam.Sources;

namespace BlueTeam.Parsing.Auth;

/// <summary>
/// Reads auth.log / secure: splits the syslog header once, then hands the message to the first
/// registered <see cref="IAuthMessageParser"/> that handles the line's program.
/// </summary>
public sealed class AuthLogParser : ILogParser
{
    /// <summary>
    /// The built-in message parsers, one line each. Supporting another program (sudo, su,
    /// useradd…) is one new <see cref="IAuthMessageParser"/> and one line here.
    /// </summary>
    public static IReadOnlyList<IAuthMessageParser> BuiltInMessageParsers { get; } =
    [
        new SshdMessageParser(),
    ];

    private readonly IAuthMessageParser[] _parsers;

    public AuthLogParser() : this(BuiltInMessageParsers) { }

    public AuthLogParser(IEnumerable<IAuthMessageParser> parsers) => _parsers = [.. parsers];

    public CollectorType Format => CollectorType.Auth;

    public SecurityEvent? Parse(RawLine line, ParseContext context)
    {
        if (line.Kind != RawLineKind.Line) return null;
        if (!SyslogHeaderParser.TryParse(line.Text, context, out var record)) return null;

        foreach (var parser in _parsers)
        {
            if (parser.Handles(record.Program)) return parser.Parse(in record, line, context);
        }
        return null;
    }
}
