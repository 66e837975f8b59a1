using System.Text.RegularExpressions;
using BlueTeam.Core.Events;
using BlueTeam.Parsing.Syslog;
using BlueTeam.Sources;

namespace BlueTeam.Parsing.Auth;

/// <summary>
/// sshd's authentication and connection messages: logins (<c>Accepted|Failed … for … from IP port N</c>,
/// <c>Invalid user</c>), refusals (root login, AllowUsers/DenyUsers, too many attempts), preauth
/// disconnects, scanners (no identification string), reverse-mapping warnings, and sshd's own
/// PAM errors. IPv4, IPv6 or, with UseDNS, host names. See <see cref="EventActions"/> for the fields.
/// </summary>
/// <remarks>
/// The user name is attacker-chosen text and may itself contain " from 1.2.3.4 port 22"; the
/// patterns therefore take the user greedily and anchor the address at the end of the message,
/// where sshd writes the real peer, so a forged address inside the name is never picked up.
/// </remarks>
public sealed partial class SshdMessageParser : IAuthMessageParser
{
    // sshd formats log messages into a 1 KiB buffer (MSGBUFSIZ); anything much longer did not
    // come from sshd, and refusing it keeps the regexes' work bounded.
    private const int MaxMessageLength = 2048;
    private const string PreauthSuffix = " [preauth]";
    public const string PreauthLabel = "preauth";

    public bool Handles(ReadOnlySpan<char> program) =>
        // OpenSSH 9.8 moved authentication into a separate sshd-session binary that logs under its own name.
        program.SequenceEqual("sshd") || program.SequenceEqual("sshd-session");

    public SecurityEvent? Parse(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var message = record.Message;
        if (message.Length > MaxMessageLength || message.IsEmpty) return null;

        var preauth = message.EndsWith(PreauthSuffix, StringComparison.Ordinal);
        var body = preauth ? message[..^PreauthSuffix.Length] : message;
        if (body.StartsWith("error: ", StringComparison.Ordinal)) body = body[7..];
        else if (body.StartsWith("fatal: ", StringComparison.Ordinal)) body = body[7..];

        switch (body[0])
        {
            case 'A':
                if (body.StartsWith("Accepted ", StringComparison.Ordinal)) return ParseAttempt(record, line, context, body);
                if (body.StartsWith("Address ", StringComparison.Ordinal)) return ParseReverseMapping(record, line, context, body);
                break;
            case 'F':
                if (body.StartsWith("Failed ", StringComparison.Ordinal)) return ParseAttempt(record, line, context, body);
                break;
            case 'I':
            case 'i':
                if (body.StartsWith("Invalid user ", StringComparison.Ordinal) || body.StartsWith("Illegal user ", StringComparison.Ordinal))
                    return ParseInvalidUser(record, line, context, body);
                break;
            case 'm':
                if (body.StartsWith("maximum authentication attempts exceeded for ", StringComparison.Ordinal))
                    return ParseMaxAttempts(record, line, context, body);
                break;
            case 'D':
                if (body.StartsWith("Disconnecting", StringComparison.Ordinal) && body.Contains("Too many authentication failures", StringComparison.Ordinal))
                    return ParseTooMany(record, line, context, body);
                if (body.StartsWith("Disconnected from ", StringComparison.Ordinal)) return ParseClosed(record, line, context, body, "Disconnected from ", preauth);
                if (body.StartsWith("Did not receive identification string from ", StringComparison.Ordinal))
                    return ParseNoIdentification(record, line, context, body);
                break;
            case 'C':
                if (body.StartsWith("Connection closed by ", StringComparison.Ordinal)) return ParseClosed(record, line, context, body, "Connection closed by ", preauth);
                if (body.StartsWith("Connection reset by ", StringComparison.Ordinal)) return ParseClosed(record, line, context, body, "Connection reset by ", preauth);
                break;
            case 'R':
                if (body.StartsWith("Received disconnect from ", StringComparison.Ordinal)) return ParseClosed(record, line, context, body, "Received disconnect from ", preauth);
                if (body.StartsWith("ROOT LOGIN REFUSED FROM ", StringComparison.Ordinal)) return ParseRootRefused(record, line, context, body);
                break;
            case 'U':
                if (body.StartsWith("User ", StringComparison.Ordinal) && body.Contains(" not allowed because ", StringComparison.Ordinal))
                    return ParseNotAllowed(record, line, context, body);
                break;
            case 'r':
                if (body.StartsWith("reverse mapping checking getaddrinfo for ", StringComparison.Ordinal)) return ParseReverseMapping(record, line, context, body);
                break;
            case 'P':
                if (body.StartsWith("PAM: User not known to the underlying authentication module for ", StringComparison.Ordinal))
                    return ParsePamUserUnknown(record, line, context, body);
                break;
        }
        return null;
    }

    private static SecurityEvent? ParseAttempt(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        if (!SshdAttemptMatcher.TryMatchAttempt(body, out var m)) return null;
        var source = AuthEvent.Source(m.Ip, NetAddress.ParsePort(m.Port));
        if (source is null) return null;

        var success = m.Accepted;
        return Login(record, line, context, success,
            reason: AttemptReason(success, m.Method, m.Invalid),
            user: m.User.ToString(), source);
    }

    /// <summary>"Failed password for invalid user" and friends; the common ones without building a string.</summary>
    private static string AttemptReason(bool success, ReadOnlySpan<char> method, bool invalid) => method switch
    {
        "password" when !success => invalid ? "Failed password for invalid user" : "Failed password",
        "password" when !invalid => "Accepted password",
        "publickey" when !invalid => success ? "Accepted publickey" : "Failed publickey",
        "none" when !success => invalid ? "Failed none for invalid user" : "Failed none",
        _ => string.Concat(success ? "Accepted " : "Failed ", method, invalid ? " for invalid user" : ""),
    };

    private static SecurityEvent? ParseInvalidUser(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        if (!SshdAttemptMatcher.TryMatchInvalidUser(body, out var m)) return null;
        var source = AuthEvent.Source(m.Ip, m.Port.IsEmpty ? null : NetAddress.ParsePort(m.Port));
        if (source is null) return null;
        return Login(record, line, context, success: false, reason: "Invalid user", user: m.User.ToString(), source);
    }

    private static SecurityEvent Login(in SyslogRecord record, RawLine line, ParseContext context, bool success, string reason, string user, EcsSource source) =>
        AuthEvent.Create(record, line, context, EventActions.SshLogin,
            success ? EcsValues.Success : EcsValues.Failure,
            success ? EcsLists.AuthenticationSession : EcsLists.Authentication, EcsLists.Info,
            user: AuthEvent.User(user), source: source, reason: reason);

    private static SecurityEvent? ParseMaxAttempts(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        var m = MaxAttemptsPattern().Match(body.ToString());
        if (!m.Success) return null;
        var source = AuthEvent.Source(m.Groups["ip"].ValueSpan, NetAddress.ParsePort(m.Groups["port"].ValueSpan));
        if (source is null) return null;
        return AuthEvent.Create(record, line, context, EventActions.SshMaxAuthAttempts, EcsValues.Failure,
            EcsLists.Authentication, EcsLists.Info, user: AuthEvent.User(m.Groups["user"].Value), source: source,
            reason: "maximum authentication attempts exceeded" + (m.Groups["invalid"].Success ? " for invalid user" : ""));
    }

    /// <summary>
    /// <c>Disconnecting: Too many authentication failures for X</c> (old, no address) and
    /// <c>Disconnecting authenticating|invalid user X IP port N: Too many authentication failures</c> (new).
    /// </summary>
    private static SecurityEvent? ParseTooMany(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        const string oldForm = "Disconnecting: Too many authentication failures for ";
        if (body.StartsWith(oldForm, StringComparison.Ordinal))
        {
            var user = body[oldForm.Length..];
            return AuthEvent.Create(record, line, context, EventActions.SshMaxAuthAttempts, EcsValues.Failure,
                EcsLists.Authentication, EcsLists.Info, user: AuthEvent.User(user.ToString()), reason: "Too many authentication failures");
        }
        var colon = body.LastIndexOf(": Too many authentication failures", StringComparison.Ordinal);
        if (colon < 0 || !body.StartsWith("Disconnecting ", StringComparison.Ordinal)) return null;
        if (!TryReadWhoAndPeer(body[14..colon], out var userName, out var source)) return null;
        return AuthEvent.Create(record, line, context, EventActions.SshMaxAuthAttempts, EcsValues.Failure,
            EcsLists.Authentication, EcsLists.Info, user: AuthEvent.User(userName), source: source, reason: "Too many authentication failures");
    }

    private static SecurityEvent? ParseClosed(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body, string prefix, bool preauth)
    {
        var rest = body[prefix.Length..];
        // "Received disconnect from IP port N:11: Bye Bye" / old "…from IP: 11: Bye Bye": the peer part ends at the first ':' after the port or address.
        ReadOnlySpan<char> peerPart;
        var portAt = rest.LastIndexOf(" port ", StringComparison.Ordinal);
        if (portAt >= 0)
        {
            var after = rest[(portAt + 6)..];
            var digits = 0;
            while (digits < after.Length && char.IsAsciiDigit(after[digits])) digits++;
            peerPart = rest[..(portAt + 6 + digits)];
        }
        else
        {
            var end = rest.IndexOfAny(' ', ':');
            // IPv6 addresses contain ':'; an old-style "IPv6: 11: Bye" ends at ": ".
            if (end >= 0 && rest[end] == ':' && rest.IndexOf(": ", StringComparison.Ordinal) is var cs and > 0) end = cs;
            peerPart = end < 0 ? rest : rest[..end];
        }
        if (!TryReadWhoAndPeer(peerPart, out var user, out var source)) return null;
        var reason = prefix switch
        {
            "Connection reset by " => "reset",
            "Received disconnect from " => "disconnect",
            "Disconnected from " => "disconnected",
            _ => "closed",
        };
        return AuthEvent.Create(record, line, context, EventActions.SshConnectionClosed, EcsValues.Unknown,
            EcsLists.Network, EcsLists.ConnectionEnd, user: AuthEvent.User(user), source: source, reason: reason,
            labels: preauth ? [AuthEvent.Label(PreauthLabel, "true")] : null);
    }

    /// <summary><c>[authenticating user X |invalid user X |user X ]IP[ port N]</c>.</summary>
    private static bool TryReadWhoAndPeer(ReadOnlySpan<char> text, out string? user, out EcsSource? source)
    {
        user = null;
        source = null;
        int? port = null;
        var portAt = text.LastIndexOf(" port ", StringComparison.Ordinal);
        if (portAt >= 0)
        {
            port = NetAddress.ParsePort(text[(portAt + 6)..]);
            if (port is null) return false;
            text = text[..portAt];
        }
        var space = text.LastIndexOf(' ');
        var peer = space < 0 ? text : text[(space + 1)..];
        if (space >= 0)
        {
            var who = text[..space];
            if (who.StartsWith("authenticating user ", StringComparison.Ordinal)) user = who[20..].ToString();
            else if (who.StartsWith("invalid user ", StringComparison.Ordinal)) user = who[13..].ToString();
            else if (who.StartsWith("user ", StringComparison.Ordinal)) user = who[5..].ToString();
            else return false;
        }
        source = AuthEvent.Source(peer, port);
        return source is not null;
    }

    private static SecurityEvent? ParseNoIdentification(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        if (!TryReadWhoAndPeer(body["Did not receive identification string from ".Length..], out _, out var source)) return null;
        return AuthEvent.Create(record, line, context, EventActions.SshNoIdentification, EcsValues.Failure,
            EcsLists.Network, EcsLists.ConnectionDenied, source: source, reason: "Did not receive identification string");
    }

    private static SecurityEvent? ParseRootRefused(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        if (!TryReadWhoAndPeer(body["ROOT LOGIN REFUSED FROM ".Length..], out _, out var source)) return null;
        return AuthEvent.Create(record, line, context, EventActions.SshRootLoginRefused, EcsValues.Failure,
            EcsLists.Authentication, EcsLists.Info, user: AuthEvent.User("root"), source: source, reason: "ROOT LOGIN REFUSED");
    }

    private static SecurityEvent? ParseNotAllowed(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        var m = NotAllowedPattern().Match(body.ToString());
        if (!m.Success) return null;
        var source = AuthEvent.Source(m.Groups["ip"].ValueSpan);
        if (source is null) return null;
        return AuthEvent.Create(record, line, context, EventActions.SshUserNotAllowed, EcsValues.Failure,
            EcsLists.Authentication, EcsLists.Info, user: AuthEvent.User(m.Groups["user"].Value), source: source,
            reason: m.Groups["why"].Value);
    }

    private static SecurityEvent? ParseReverseMapping(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        var m = ReverseMappingPattern().Match(body.ToString());
        if (!m.Success) return null;
        var ipText = m.Groups["ip1"].Success ? m.Groups["ip1"].ValueSpan : m.Groups["ip2"].ValueSpan;
        var hostText = m.Groups["host1"].Success ? m.Groups["host1"].ValueSpan : m.Groups["host2"].ValueSpan;
        if (!NetAddress.TryReadIp(ipText, out var ip)) return null;
        return AuthEvent.Create(record, line, context, EventActions.SshReverseMappingFailed, EcsValues.Unknown,
            EcsLists.Network, EcsLists.Info,
            source: new EcsSource { Ip = ip, Domain = NetAddress.LooksLikeHostName(hostText) ? hostText.ToString() : null },
            reason: "POSSIBLE BREAK-IN ATTEMPT");
    }

    private static SecurityEvent? ParsePamUserUnknown(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        var rest = body["PAM: User not known to the underlying authentication module for ".Length..];
        if (rest.StartsWith("illegal user ", StringComparison.Ordinal)) rest = rest[13..];
        var from = rest.LastIndexOf(" from ", StringComparison.Ordinal);
        if (from < 0) return null;
        return AuthEvent.Create(record, line, context, EventActions.PamUserUnknown, EcsValues.Failure,
            EcsLists.Authentication, EcsLists.Info, user: AuthEvent.User(rest[..from].ToString()),
            source: AuthEvent.Source(rest[(from + 6)..]), reason: "PAM: User not known");
    }

    // NonBacktracking: linear time in the message whatever an attacker puts in the user name.
    // The two most frequent messages are matched by hand (SshdAttemptMatcher, ~20× faster); these
    // patterns remain the specification it is checked against (bench `verify`).
    [GeneratedRegex(@"^(?<result>Accepted|Failed) (?<method>[^ ]+) for (?<invalid>invalid user )?(?<user>.*) from (?<ip>[^ ]+) port (?<port>[0-9]{1,5})(?: ssh2)?(?:: .*)?$",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    internal static partial Regex AttemptPattern();

    [GeneratedRegex(@"^(?:Invalid|Illegal) user (?<user>.*) from (?<ip>[^ ]+)(?: port (?<port>[0-9]{1,5}))?$",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    internal static partial Regex InvalidUserPattern();

    [GeneratedRegex(@"^maximum authentication attempts exceeded for (?<invalid>invalid user )?(?<user>.*) from (?<ip>[^ ]+) port (?<port>[0-9]{1,5})(?: ssh2)?$",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex MaxAttemptsPattern();

    [GeneratedRegex(@"^User (?<user>.*) from (?<ip>[^ ]+) not allowed because (?<why>[^:]+)$",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex NotAllowedPattern();

    [GeneratedRegex(@"^(?:reverse mapping checking getaddrinfo for (?<host1>[^ ]+) \[(?<ip1>[^\]]+)\] failed|Address (?<ip2>[^ ]+) maps to (?<host2>[^ ,]+), but this does not map back to the address)",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex ReverseMappingPattern();
}
