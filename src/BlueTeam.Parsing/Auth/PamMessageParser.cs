namespace BlueTeam.Parsing.Auth;

/// <summary>
/// PAM module messages, whatever program logs them: <c>pam_unix(SERVICE:auth): authentication failure; …</c>,
/// <c>session opened/closed for user X</c>, <c>password changed for X</c>, <c>pam_faillock(…): Consecutive
/// login failures for user X account temporarily locked</c>, and the old Red Hat form where the module is
/// in the tag (<c>sshd(pam_unix)[pid]: authentication failure; …</c>).
/// </summary>
/// <remarks>Registered before the program parsers, and declines (null, no allocation) any message that is not PAM's.</remarks>
public sealed class PamMessageParser : IAuthMessageParser
{
    private const int MaxMessageLength = 4096;

    public bool Handles(ReadOnlySpan<char> program) => true;

    // Parse below reads PAM's text only after one of these two prefixes: any other line is not PAM's.
    public bool MayParse(in SyslogRecord record) =>
        record.Message.StartsWith("pam_", StringComparison.Ordinal) || record.ProgramQualifier.StartsWith("pam_", StringComparison.Ordinal);

    public SecurityEvent? Parse(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var message = record.Message;
        if (message.Length > MaxMessageLength) return null;

        ReadOnlySpan<char> module, service, rest;
        if (message.StartsWith("pam_", StringComparison.Ordinal))
        {
            // "pam_unix(sshd:auth): rest"
            var open = message.IndexOf('(');
            var close = message.IndexOf("): ", StringComparison.Ordinal);
            if (open < 0 || close < open) return null;
            module = message[..open];
            var inner = message[(open + 1)..close];
            var colon = inner.IndexOf(':');
            service = colon < 0 ? inner : inner[..colon];
            rest = message[(close + 3)..];
        }
        else if (record.ProgramQualifier.StartsWith("pam_", StringComparison.Ordinal))
        {
            module = record.ProgramQualifier;
            service = record.Program;
            rest = message;
        }
        else return null;

        if (module.SequenceEqual("pam_faillock"))
            return rest.StartsWith("Consecutive login failures for user ", StringComparison.Ordinal) ? Locked(record, line, context, service, rest) : null;

        if (rest.StartsWith("authentication failure;", StringComparison.Ordinal)) return AuthFailure(record, line, context, service, rest);
        if (rest.StartsWith("session opened for user ", StringComparison.Ordinal)) return Session(record, line, context, service, rest[24..], opened: true);
        if (rest.StartsWith("session closed for user ", StringComparison.Ordinal)) return Session(record, line, context, service, rest[24..], opened: false);
        if (rest.StartsWith("password changed for ", StringComparison.Ordinal))
        {
            var user = rest[21..].Trim().ToString();
            return AuthEvent.Create(record, line, context, EventActions.PasswordChanged, EcsValues.Success,
                EcsLists.Iam, EcsLists.UserChange, user: AuthEvent.User(user, target: user),
                labels: [AuthEvent.Label(AuthEvent.ServiceLabel, service.ToString())]);
        }
        return null;
    }

    /// <remarks>
    /// pam_unix writes <c>logname=L uid=N euid=N tty=T ruser=R rhost=H[  user=U]</c> in this order
    /// (<c>pam_unix_auth.c</c>); U (the name the client asked for) is the client's and comes last, so the
    /// fields are read from the left in that order. When they are not in that shape and <c>rhost=</c>
    /// occurs more than once, which one is sshd's cannot be told: the event keeps its outcome
    /// and names no address (<c>labels.attribution: ambiguous</c>).
    /// </remarks>
    private static SecurityEvent AuthFailure(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> service, ReadOnlySpan<char> rest)
    {
        ReadOnlySpan<char> ruser, user, rhost;
        var ambiguous = false;
        if (!TryReadFixedFields(rest["authentication failure;".Length..], out ruser, out rhost, out user))
        {
            ruser = AuthEvent.Value(rest, "ruser");
            user = AuthEvent.Value(rest, "user");
            rhost = AuthEvent.Value(rest, "rhost");
            ambiguous = Occurrences(rest, "rhost=") > 1;
            if (ambiguous) rhost = default;
        }
        // With a requesting user (sudo, su), the account asked for is the effective identity; without one (sshd), it is the user.
        var eventUser = ruser.IsEmpty
            ? AuthEvent.User(user.ToString())
            : AuthEvent.User(ruser.ToString(), effective: user.ToString());
        return AuthEvent.Create(record, line, context, EventActions.PamAuthFailure, EcsValues.Failure,
            EcsLists.Authentication, EcsLists.Info, user: eventUser, source: rhost.IsEmpty ? null : AuthEvent.Source(rhost),
            reason: "authentication failure",
            labels: ambiguous
                ? [AuthEvent.Label(AuthEvent.ServiceLabel, service.ToString()), AuthEvent.Label(SshdMessageParser.AttributionLabel, "ambiguous")]
                : [AuthEvent.Label(AuthEvent.ServiceLabel, service.ToString())]);
    }

    private static readonly string[] FixedFields = ["logname", "uid", "euid", "tty", "ruser", "rhost"];

    /// <summary><c> logname=L uid=N euid=N tty=T ruser=R rhost=H[ [ ]user=U]</c>: each value up to the next space, U to the end.</summary>
    internal static bool TryReadFixedFields(ReadOnlySpan<char> text, out ReadOnlySpan<char> ruser, out ReadOnlySpan<char> rhost, out ReadOnlySpan<char> user)
    {
        ruser = rhost = user = default;
        text = text.TrimStart(' ');
        foreach (var key in FixedFields)
        {
            if (!text.StartsWith(key, StringComparison.Ordinal) || text.Length == key.Length || text[key.Length] != '=') return false;
            text = text[(key.Length + 1)..];
            var space = text.IndexOf(' ');
            var value = space < 0 ? text : text[..space];
            text = space < 0 ? default : text[(space + 1)..];
            if (key == "ruser") ruser = value;
            else if (key == "rhost") rhost = value;
        }
        text = text.TrimStart(' ');
        if (text.IsEmpty) return true;
        if (!text.StartsWith("user=", StringComparison.Ordinal)) return false;
        user = text[5..];
        return true;
    }

    private static int Occurrences(ReadOnlySpan<char> text, string key)
    {
        var n = 0;
        for (var at = text.IndexOf(key, StringComparison.Ordinal); at >= 0; at = text.IndexOf(key, StringComparison.Ordinal))
        {
            n++;
            text = text[(at + key.Length)..];
        }
        return n;
    }

    /// <summary><c>X[(uid=N)][ by Y(uid=M)]</c>.</summary>
    private static SecurityEvent Session(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> service, ReadOnlySpan<char> rest, bool opened)
    {
        var by = rest.IndexOf(" by ", StringComparison.Ordinal);
        var who = (by < 0 ? rest : rest[..by]).Trim();
        var paren = who.IndexOf('(');
        if (paren >= 0) who = who[..paren];
        ReadOnlySpan<char> actor = default;
        if (by >= 0)
        {
            actor = rest[(by + 4)..];
            var p = actor.IndexOf('(');
            actor = p < 0 ? actor.Trim() : actor[..p];
        }
        // su and sudo sessions are opened by the person switching identity; elsewhere "by" names a daemon (LOGIN, sshd's uid 0).
        var switching = service.StartsWith("su", StringComparison.Ordinal) && !actor.IsEmpty && !actor.SequenceEqual(who);
        var user = switching ? AuthEvent.User(actor.ToString(), effective: who.ToString()) : AuthEvent.User(who.ToString());
        return AuthEvent.Create(record, line, context, opened ? EventActions.SessionOpened : EventActions.SessionClosed, EcsValues.Success,
            EcsLists.Session, [opened ? EcsValues.Start : EcsValues.End], user: user,
            labels: [AuthEvent.Label(AuthEvent.ServiceLabel, service.ToString())]);
    }

    private static SecurityEvent Locked(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> service, ReadOnlySpan<char> rest)
    {
        var user = rest["Consecutive login failures for user ".Length..];
        var space = user.IndexOf(' ');
        if (space >= 0) user = user[..space];
        return AuthEvent.Create(record, line, context, EventActions.AccountLocked, EcsValues.Failure,
            EcsLists.Authentication, EcsLists.Info, user: AuthEvent.User(user.ToString()),
            reason: "account temporarily locked", labels: [AuthEvent.Label(AuthEvent.ServiceLabel, service.ToString())]);
    }
}

/// <summary><c>unix_chkpwd: password check failed for user (X)</c>: pam_unix's helper, logging a failed password of a non-root caller (screen lockers, su).</summary>
public sealed class UnixChkpwdMessageParser : IAuthMessageParser
{
    private const string Prefix = "password check failed for user (";

    public bool Handles(ReadOnlySpan<char> program) => program.SequenceEqual("unix_chkpwd");

    public SecurityEvent? Parse(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var message = record.Message;
        if (!message.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var user = message[Prefix.Length..];
        var close = user.IndexOf(')');
        if (close <= 0 || close > 256) return null;
        return AuthEvent.Create(record, line, context, EventActions.PasswordCheckFailed, EcsValues.Failure,
            EcsLists.Authentication, EcsLists.Info, user: AuthEvent.User(user[..close].ToString()), reason: "password check failed");
    }
}

/// <summary>
/// The bare <c>pam: user NAME logged out.</c> line some PAM stacks (and Elastic's samples) write
/// when a session ends without pam_unix's own "session closed" line.
/// </summary>
public sealed class PamLogoutMessageParser : IAuthMessageParser
{
    private const string Prefix = "user ";
    private const string Suffix = " logged out.";

    public bool Handles(ReadOnlySpan<char> program) => program.SequenceEqual("pam");

    public SecurityEvent? Parse(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var message = record.Message;
        if (!message.StartsWith(Prefix, StringComparison.Ordinal) || !message.EndsWith(Suffix, StringComparison.Ordinal)) return null;
        var user = message[Prefix.Length..^Suffix.Length];
        if (user.Length is 0 or > 256 || user.IndexOf(' ') >= 0) return null;
        return AuthEvent.Create(record, line, context, EventActions.SessionClosed, EcsValues.Success,
            EcsLists.Session, EcsLists.End, user: AuthEvent.User(user.ToString()), reason: "logged out");
    }
}
