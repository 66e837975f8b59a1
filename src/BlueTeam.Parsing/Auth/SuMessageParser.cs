namespace BlueTeam.Parsing.Auth;

/// <summary>
/// su's own results, in the dialects of util-linux (<c>(to T) U on TTY</c>, <c>FAILED SU (to T) U on TTY</c>)
/// and of shadow (<c>Successful su for T by U</c>, <c>FAILED su for T by U</c>, <c>+ TTY U:T</c>, <c>- TTY U:T</c>),
/// as su_login with user.name = U and user.effective.name = T. PAM's su lines go to <see cref="PamMessageParser"/>.
/// </summary>
public sealed class SuMessageParser : IAuthMessageParser
{
    private const int MaxMessageLength = 1024;

    public bool Handles(ReadOnlySpan<char> program) => program.SequenceEqual("su") || program.SequenceEqual("su-l");

    public SecurityEvent? Parse(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var m = record.Message;
        if (m.IsEmpty || m.Length > MaxMessageLength) return null;

        if (m.StartsWith("FAILED SU (to ", StringComparison.Ordinal)) return ToForm(record, line, context, m[14..], success: false);
        if (m.StartsWith("(to ", StringComparison.Ordinal)) return ToForm(record, line, context, m[4..], success: true);
        if (m.StartsWith("Successful su for ", StringComparison.Ordinal)) return ForByForm(record, line, context, m[18..], success: true);
        if (m.StartsWith("FAILED su for ", StringComparison.Ordinal)) return ForByForm(record, line, context, m[14..], success: false);
        if (m.Length > 2 && m[0] is '+' or '-' && m[1] == ' ') return TtyForm(record, line, context, m[2..], success: m[0] == '+');
        return null;
    }

    /// <summary><c>T) U on TTY</c>.</summary>
    private static SecurityEvent? ToForm(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> rest, bool success)
    {
        var close = rest.IndexOf(") ", StringComparison.Ordinal);
        if (close <= 0) return null;
        var target = rest[..close];
        rest = rest[(close + 2)..];
        var on = rest.LastIndexOf(" on ", StringComparison.Ordinal);
        var user = on < 0 ? rest : rest[..on];
        var tty = on < 0 ? default : rest[(on + 4)..];
        return Build(record, line, context, user, target, tty, success);
    }

    /// <summary><c>T by U</c>.</summary>
    private static SecurityEvent? ForByForm(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> rest, bool success)
    {
        var by = rest.LastIndexOf(" by ", StringComparison.Ordinal);
        if (by <= 0) return null;
        return Build(record, line, context, rest[(by + 4)..], rest[..by], default, success);
    }

    /// <summary><c>TTY U:T</c>.</summary>
    private static SecurityEvent? TtyForm(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> rest, bool success)
    {
        var space = rest.IndexOf(' ');
        if (space <= 0) return null;
        var pair = rest[(space + 1)..];
        var colon = pair.IndexOf(':');
        if (colon <= 0 || colon == pair.Length - 1 || pair.Contains(' ')) return null;
        return Build(record, line, context, pair[..colon], pair[(colon + 1)..], rest[..space], success);
    }

    private static SecurityEvent Build(in SyslogRecord record, RawLine line, ParseContext context,
        ReadOnlySpan<char> user, ReadOnlySpan<char> target, ReadOnlySpan<char> tty, bool success) =>
        AuthEvent.Create(record, line, context, EventActions.SuLogin, success ? EcsValues.Success : EcsValues.Failure,
            EcsLists.AuthenticationSession, [success ? EcsValues.Start : EcsValues.Info],
            user: AuthEvent.User(user.Trim().ToString(), effective: target.Trim().ToString()),
            labels: tty.IsEmpty ? null : [AuthEvent.Label(SudoMessageParser.TtyLabel, tty.ToString())]);
}
