namespace BlueTeam.Parsing.Syslog;

/// <summary>
/// The parts of one syslog line, as slices of the line itself: nothing is copied until a message
/// parser decides the line is worth an event.
/// </summary>
/// <remarks>
/// A ref struct so that it cannot outlive the line it points into; message parsers receive it
/// with <c>in</c> and turn the slices they keep into strings.
/// </remarks>
public readonly ref struct SyslogRecord
{
    /// <summary>When the line was logged, completed with the context's year and zone where the line lacks them.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The host that logged the line; empty when the line names none (some daemons omit it).</summary>
    public ReadOnlySpan<char> Hostname { get; init; }

    /// <summary>The program part of the tag: <c>sshd</c> in <c>sshd[42]:</c> and in <c>sshd(pam_unix)[42]:</c>.</summary>
    public ReadOnlySpan<char> Program { get; init; }

    /// <summary>The parenthesised part of an old-style tag (<c>pam_unix</c> in <c>sshd(pam_unix)[42]:</c>); empty otherwise.</summary>
    public ReadOnlySpan<char> ProgramQualifier { get; init; }

    /// <summary>The process id in the tag, or null when the tag has none (<c>sudo:</c>).</summary>
    public int? Pid { get; init; }

    /// <summary>Everything after the tag's colon and the one space that follows it.</summary>
    public ReadOnlySpan<char> Message { get; init; }
}
