namespace BlueTeam.Parsing.Auth;

/// <summary>
/// Turns the message of one program's auth-log lines (sshd, sudo, su, useradd…) into an event.
/// <see cref="AuthLogParser"/> has already split the syslog header off and asks each registered
/// parser in turn whether it handles the line's program.
/// </summary>
/// <remarks>
/// Implementations are stateless, never throw, and return null for messages of no security
/// interest. They should reject a message with a span prefix check before running any regex.
/// </remarks>
public interface IAuthMessageParser
{
    /// <summary>True when this parser reads lines logged by <paramref name="program"/> (the tag without pid).</summary>
    bool Handles(ReadOnlySpan<char> program);

    /// <summary>
    /// False only when <see cref="Parse"/> would return null for <paramref name="record"/> whatever its timestamp (the
    /// record comes from <see cref="SyslogHeaderParser.TrySplit"/>, without one); by default, when the program is not handled.
    /// </summary>
    bool MayParse(in SyslogRecord record) => Handles(record.Program);

    SecurityEvent? Parse(in SyslogRecord record, RawLine line, ParseContext context);
}
