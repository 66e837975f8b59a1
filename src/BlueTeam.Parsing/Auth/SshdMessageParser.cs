using System.Text.RegularExpressions;

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

    public const string AttributionLabel = "attribution";

    // What earlier lines of the same connection (pid) said: its peer, and failures logged without one.
    private readonly SshdSessionTable _sessions = new();

    public bool Handles(ReadOnlySpan<char> program) =>
        // OpenSSH 9.8 moved authentication into sshd-session, and 10.0 into sshd-auth; each logs under its own name.
        program.SequenceEqual("sshd") || program.SequenceEqual("sshd-session") || program.SequenceEqual("sshd-auth");

    public SecurityEvent? Parse(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var message = record.Message;
        if (message.Length > MaxMessageLength || message.IsEmpty) return null;

        var preauth = message.EndsWith(PreauthSuffix, StringComparison.Ordinal);
        var body = preauth ? message[..^PreauthSuffix.Length] : message;
        if (body.StartsWith("error: ", StringComparison.Ordinal)) body = body[7..];
        else if (body.StartsWith("fatal: ", StringComparison.Ordinal)) body = body[7..];
        body = body.TrimEnd(' ');
        if (body.IsEmpty) return null;

        var e = ParseBody(record, line, context, body, preauth);
        if (e?.Source is { } peer && record.Pid is not null) _sessions.Learn(HostKey(record, context), record.Pid, peer, record.Timestamp);
        return e;
    }

    /// <summary>The host part of a connection's key: the context's cached string (no allocation per line of the same host).</summary>
    private static string HostKey(in SyslogRecord record, ParseContext context) =>
        record.Hostname.IsEmpty ? "" : context.Host(record.Hostname).Hostname ?? "";

    private SecurityEvent? ParseBody(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body, bool preauth)
    {
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
                if (body.StartsWith("Disconnecting", StringComparison.Ordinal)) return ParseDisconnecting(record, line, context, body);
                if (body.StartsWith("Disconnected from ", StringComparison.Ordinal)) return ParseClosed(record, line, context, body, "Disconnected from ", preauth);
                if (body.StartsWith("Did not receive identification string from ", StringComparison.Ordinal))
                    return ParseNoIdentification(record, line, context, body);
                break;
            case 'C':
                if (body.StartsWith("Connection closed by ", StringComparison.Ordinal)) return ParseClosed(record, line, context, body, "Connection closed by ", preauth);
                if (body.StartsWith("Connection reset by ", StringComparison.Ordinal)) return ParseClosed(record, line, context, body, "Connection reset by ", preauth);
                if (body.StartsWith("Connection from ", StringComparison.Ordinal)) return LearnConnection(record, context, body["Connection from ".Length..]);
                break;
            case 'R':
                if (body.StartsWith("Received disconnect from ", StringComparison.Ordinal)) return ParseClosed(record, line, context, body, "Received disconnect from ", preauth);
                if (body.StartsWith("ROOT LOGIN REFUSED FROM ", StringComparison.Ordinal)) return ParseRootRefused(record, line, context, body);
                if (body.StartsWith("Read from socket failed: ", StringComparison.Ordinal)) return Handshake(record, line, context, null, "read from socket failed");
                break;
            case 'U':
                if (body.StartsWith("User ", StringComparison.Ordinal) && body.Contains(" not allowed because ", StringComparison.Ordinal))
                    return ParseNotAllowed(record, line, context, body);
                if (body.StartsWith("Unable to negotiate with ", StringComparison.Ordinal)) return ParseUnableToNegotiate(record, line, context, body);
                if (body.StartsWith("Unable to negotiate ", StringComparison.Ordinal)) return Handshake(record, line, context, null, "unable to negotiate");
                break;
            case 'r':
                if (body.StartsWith("reverse mapping checking getaddrinfo for ", StringComparison.Ordinal)) return ParseReverseMapping(record, line, context, body);
                if (body.StartsWith("refused connect from ", StringComparison.Ordinal)) return ParseRefusedConnect(record, line, context, body);
                break;
            case 'P':
                if (body.StartsWith("PAM: User not known to the underlying authentication module for ", StringComparison.Ordinal))
                    return ParsePamUserUnknown(record, line, context, body);
                if (body.StartsWith("PAM: ", StringComparison.Ordinal)) return ParsePamError(record, line, context, body[5..]);
                if (body.StartsWith("PAM ", StringComparison.Ordinal)) return ParsePamMoreFailures(record, line, context, body);
                break;
            case 'k':
                if (body.StartsWith("kex_exchange_identification: ", StringComparison.Ordinal)) return Handshake(record, line, context, null, "kex_exchange_identification");
                break;
            case 'b':
                if (body.StartsWith("banner exchange: Connection from ", StringComparison.Ordinal)) return ParseBannerExchange(record, line, context, body);
                break;
            case 'B':
                if (body.StartsWith("Bad protocol version identification ", StringComparison.Ordinal)) return ParseBadProtocol(record, line, context, body);
                break;
            case 'n':
                if (body.StartsWith("no matching ", StringComparison.Ordinal) && body.Contains(" found", StringComparison.Ordinal))
                    return Handshake(record, line, context, null, "no matching algorithm");
                break;
            case 'S':
                // "SSH: Server;Ltype: Version;Remote: 10.0.0.1-1780;…": a vendor's audit format that names the peer as ADDR-PORT.
                if (body.StartsWith("SSH: Server;Ltype: ", StringComparison.Ordinal)) return LearnRemote(record, context, body);
                break;
            case 'T':
                if (body.StartsWith("Timeout before authentication for ", StringComparison.Ordinal)) return ParseTimeout(record, line, context, body);
                break;
            case 'd':
                if (body.StartsWith("drop connection #", StringComparison.Ordinal)) return ParseDropConnection(record, line, context, body);
                break;
        }
        return null;
    }

    private static SecurityEvent? ParseAttempt(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        if (!SshdAttemptReader.TryRead(body, out var m)) return null;
        var success = m.Accepted;
        var reason = AttemptReason(success, m.Method, m.Invalid);
        if (m.Ambiguous)
        {
            // Decoys built to fit in both attacker-written parts: keep the attempt, guess no address or user.
            return AuthEvent.Create(record, line, context, EventActions.SshLogin,
                success ? EcsValues.Success : EcsValues.Failure,
                success ? EcsLists.AuthenticationSession : EcsLists.Authentication, EcsLists.Info,
                reason: reason, labels: [AuthEvent.Label(AttributionLabel, "ambiguous")]);
        }
        var source = AuthEvent.Source(m.Peer, m.Port.IsEmpty ? null : NetAddress.ParsePort(m.Port));
        if (source is null) return null;
        return Login(record, line, context, success, reason, user: m.User.ToString(), source);
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
    /// <c>Disconnecting: Too many authentication failures[ for X]</c> (old, no address: the peer comes
    /// from the connection's earlier lines), <c>Disconnecting authenticating|invalid user X IP port N: REASON</c> (new).
    /// </summary>
    private SecurityEvent? ParseDisconnecting(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        const string tooMany = "Too many authentication failures";
        if (body.StartsWith("Disconnecting: ", StringComparison.Ordinal))
        {
            var what = body[15..];
            if (!what.StartsWith(tooMany, StringComparison.Ordinal)) return null;
            var user = what[tooMany.Length..];
            user = user.StartsWith(" for ", StringComparison.Ordinal) ? user[5..] : default;
            if (user.StartsWith("invalid user ", StringComparison.Ordinal)) user = user[13..];
            return WithSessionPeer(record, line, context, EventActions.SshMaxAuthAttempts, EcsLists.Authentication, EcsLists.Info,
                user.IsEmpty ? null : user.ToString(), tooMany);
        }
        if (!body.StartsWith("Disconnecting ", StringComparison.Ordinal)) return null;
        // "Disconnecting invalid user X 192.0.2.1 port 22: Change of username or service not allowed: (X,…) -> (Y,…)":
        // the user name appears on both sides of the peer, so the peer is the one whose reason is sshd's fixed text.
        var rest = body[14..];
        int chosen = -1, found = 0;
        ReadOnlySpan<char> reason = default;
        for (var at = rest.IndexOf(": ", StringComparison.Ordinal); at >= 0 && found < 2;)
        {
            var after = rest[(at + 2)..];
            if ((after.SequenceEqual(tooMany) || after.StartsWith("Change of username or service not allowed: ", StringComparison.Ordinal))
                && rest[..at].LastIndexOf(" port ", StringComparison.Ordinal) > 0)
            {
                if (found++ == 0) { chosen = at; reason = after; }
            }
            var next = after.IndexOf(": ", StringComparison.Ordinal);
            at = next < 0 ? -1 : at + 2 + next;
        }
        if (found == 0) return null;
        if (found > 1 || !TryReadWhoAndPeer(rest[..chosen], out var userName, out var source))
            return WithSessionPeer(record, line, context, EventActions.SshMaxAuthAttempts, EcsLists.Authentication, EcsLists.Info, null, "Disconnecting");
        var tooManyFailures = reason.SequenceEqual(tooMany);
        return AuthEvent.Create(record, line, context, tooManyFailures ? EventActions.SshMaxAuthAttempts : EventActions.SshConnectionClosed, EcsValues.Failure,
            tooManyFailures ? EcsLists.Authentication : EcsLists.Network, tooManyFailures ? EcsLists.Info : EcsLists.ConnectionEnd,
            user: AuthEvent.User(userName), source: source,
            reason: tooManyFailures ? tooMany : "Change of username or service not allowed");
    }

    /// <summary>An event of a line that names no peer: the connection's peer when an earlier line named it, else none (and its close line will carry the failure).</summary>
    private SecurityEvent WithSessionPeer(in SyslogRecord record, RawLine line, ParseContext context, string action,
        IReadOnlyList<string> category, IReadOnlyList<string> type, string? user, string reason)
    {
        var host = HostKey(record, context);
        var peer = _sessions.PeerOf(host, record.Pid, record.Timestamp);
        if (peer is null) _sessions.MarkFailure(host, record.Pid, reason);
        return AuthEvent.Create(record, line, context, action, EcsValues.Failure, category, type,
            user: AuthEvent.User(user), source: peer, reason: reason);
    }

    /// <summary>kex_exchange_identification, unable to negotiate, read from socket failed: a client that never got to authenticate.</summary>
    private SecurityEvent Handshake(in SyslogRecord record, RawLine line, ParseContext context, EcsSource? source, string reason) =>
        source is null
            ? WithSessionPeer(record, line, context, EventActions.SshHandshakeFailed, EcsLists.Network, EcsLists.ConnectionDenied, null, reason)
            : AuthEvent.Create(record, line, context, EventActions.SshHandshakeFailed, EcsValues.Failure,
                EcsLists.Network, EcsLists.ConnectionDenied, source: source, reason: reason);

    /// <summary><c>Connection from IP port N[ on IP port N[ rdomain "X"]]</c> (LogLevel VERBOSE): no event, the connection's peer.</summary>
    private SecurityEvent? LearnConnection(in SyslogRecord record, ParseContext context, ReadOnlySpan<char> rest)
    {
        var space = rest.IndexOf(' ');
        if (space <= 0 || !rest[space..].StartsWith(" port ", StringComparison.Ordinal)) return null;
        var digits = rest[(space + 6)..];
        var end = digits.IndexOf(' ');
        var port = NetAddress.ParsePort(end < 0 ? digits : digits[..end]);
        if (port is null) return null;
        _sessions.Learn(HostKey(record, context), record.Pid, AuthEvent.Source(rest[..space], port), record.Timestamp);
        return null;
    }

    /// <summary><c>SSH: Server;Ltype: …;Remote: IP-PORT;…</c>: no event, the connection's peer.</summary>
    private SecurityEvent? LearnRemote(in SyslogRecord record, ParseContext context, ReadOnlySpan<char> body)
    {
        var at = body.IndexOf(";Remote: ", StringComparison.Ordinal);
        if (at < 0) return null;
        var remote = body[(at + 9)..];
        var semi = remote.IndexOf(';');
        if (semi >= 0) remote = remote[..semi];
        var dash = remote.LastIndexOf('-');
        if (dash <= 0) return null;
        _sessions.Learn(HostKey(record, context), record.Pid, AuthEvent.Source(remote[..dash], NetAddress.ParsePort(remote[(dash + 1)..])), record.Timestamp);
        return null;
    }

    /// <summary><c>Unable to negotiate with IP port N: no matching … found. Their offer: …</c>.</summary>
    private SecurityEvent? ParseUnableToNegotiate(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        var rest = body["Unable to negotiate with ".Length..];
        var colon = rest.IndexOf(": ", StringComparison.Ordinal);
        var peerPart = colon < 0 ? rest : rest[..colon];
        if (!TryReadWhoAndPeer(peerPart, out _, out var source)) return null;
        return Handshake(record, line, context, source, "unable to negotiate");
    }

    /// <summary><c>banner exchange: Connection from IP port N: invalid format</c>.</summary>
    private SecurityEvent? ParseBannerExchange(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        var rest = body["banner exchange: Connection from ".Length..];
        var colon = rest.IndexOf(": ", StringComparison.Ordinal);
        if (colon < 0 || !TryReadWhoAndPeer(rest[..colon], out _, out var source)) return null;
        return Handshake(record, line, context, source, "banner exchange");
    }

    /// <summary><c>Bad protocol version identification 'TEXT' from IP port N</c>: TEXT is the client's, the peer is at the end.</summary>
    private SecurityEvent? ParseBadProtocol(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        var from = body.LastIndexOf(" from ", StringComparison.Ordinal);
        if (from < 0 || !TryReadWhoAndPeer(body[(from + 6)..], out _, out var source)) return null;
        return Handshake(record, line, context, source, "bad protocol version identification");
    }

    /// <summary><c>Timeout before authentication for [connection from ]IP[ port N]</c>.</summary>
    private SecurityEvent? ParseTimeout(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        var rest = body["Timeout before authentication for ".Length..];
        if (rest.StartsWith("connection from ", StringComparison.Ordinal)) rest = rest[16..];
        var to = rest.IndexOf(" to ", StringComparison.Ordinal);
        if (to >= 0) rest = rest[..to];
        if (!TryReadWhoAndPeer(rest, out _, out var source)) return null;
        return Handshake(record, line, context, source, "timeout before authentication");
    }

    /// <summary>OpenSSH 9.8+ PerSourcePenalties: <c>drop connection #N from [IP]:PORT on [IP]:PORT penalty: REASON</c>.</summary>
    private static SecurityEvent? ParseDropConnection(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        var from = body.IndexOf(" from [", StringComparison.Ordinal);
        if (from < 0) return null;
        var rest = body[(from + 7)..];
        var close = rest.IndexOf("]:", StringComparison.Ordinal);
        if (close <= 0) return null;
        var portText = rest[(close + 2)..];
        var space = portText.IndexOf(' ');
        var penalty = body.IndexOf(" penalty: ", StringComparison.Ordinal);
        var source = AuthEvent.Source(rest[..close], NetAddress.ParsePort(space < 0 ? portText : portText[..space]));
        if (source is null) return null;
        return AuthEvent.Create(record, line, context, EventActions.SshConnectionRefused, EcsValues.Failure,
            EcsLists.Network, EcsLists.ConnectionDenied, source: source,
            reason: penalty < 0 ? "drop connection" : string.Concat("penalty: ", body[(penalty + 10)..]));
    }

    /// <summary>tcp_wrappers in sshd: <c>refused connect from [ident@]HOST (ADDR)</c>; ident and host are the client's, the address in parentheses is the socket's.</summary>
    private static SecurityEvent? ParseRefusedConnect(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        if (body[^1] != ')') return null;
        var open = body.LastIndexOf(" (", StringComparison.Ordinal);
        if (open < 0) return null;
        var source = AuthEvent.Source(body[(open + 2)..^1]);
        if (source is null) return null;
        return AuthEvent.Create(record, line, context, EventActions.SshConnectionRefused, EcsValues.Failure,
            EcsLists.Network, EcsLists.ConnectionDenied, source: source, reason: "refused connect");
    }

    /// <summary>
    /// <c>PAM N more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=H  user=U</c>: sshd's summary of the
    /// PAM failures after the first of one connection. A <c>pam_auth_failure</c> with <c>labels.repeat_count = N</c>, which no
    /// sshd brute-force rule counts (sshd logged each attempt already); the fields are read in pam_unix's fixed order.
    /// </summary>
    private static SecurityEvent? ParsePamMoreFailures(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        var rest = body[4..];
        var space = rest.IndexOf(' ');
        if (space <= 0 || !int.TryParse(rest[..space], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)) return null;
        rest = rest[space..];
        const string more = " more authentication failure";
        if (!rest.StartsWith(more, StringComparison.Ordinal)) return null;
        var semi = rest.IndexOf(';');
        if (semi < 0 || !PamMessageParser.TryReadFixedFields(rest[(semi + 1)..], out _, out var rhost, out var user)) return null;
        return AuthEvent.Create(record, line, context, EventActions.PamAuthFailure, EcsValues.Failure,
            EcsLists.Authentication, EcsLists.Info, user: AuthEvent.User(user.ToString()), source: rhost.IsEmpty ? null : AuthEvent.Source(rhost),
            reason: "PAM more authentication failures",
            labels: [AuthEvent.Label(AuthEvent.ServiceLabel, "sshd"), AuthEvent.Label(AuthLogParser.RepeatCountLabel, count.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
    }

    /// <summary>
    /// sshd's own PAM errors (macOS, Solaris, old Linux): <c>PAM: Authentication failure|error for [illegal user ]X from HOST[ via LOCAL]</c>.
    /// X is the client's; HOST is at the end, before sshd's " via LOCAL".
    /// </summary>
    private static SecurityEvent? ParsePamError(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> rest)
    {
        if (rest.Length < 2 || rest[0] is not ('A' or 'a') || !rest[1..].StartsWith("uthentication ", StringComparison.Ordinal)) return null;
        rest = rest[15..];
        if (rest.StartsWith("failure for ", StringComparison.Ordinal)) rest = rest[12..];
        else if (rest.StartsWith("error for ", StringComparison.Ordinal)) rest = rest[10..];
        else return null;
        var via = rest.LastIndexOf(" via ", StringComparison.Ordinal);
        if (via >= 0 && NetAddress.TryReadPeer(rest[(via + 5)..], out _, out _)) rest = rest[..via];
        var from = rest.LastIndexOf(" from ", StringComparison.Ordinal);
        if (from < 0) return null;
        var source = AuthEvent.Source(rest[(from + 6)..]);
        if (source is null) return null;
        var user = rest[..from];
        if (user.StartsWith("illegal user ", StringComparison.Ordinal)) user = user[13..];
        return AuthEvent.Create(record, line, context, EventActions.PamAuthFailure, EcsValues.Failure,
            EcsLists.Authentication, EcsLists.Info, user: AuthEvent.User(user.ToString()), source: source,
            reason: "PAM: authentication failure", labels: [AuthEvent.Label(AuthEvent.ServiceLabel, "sshd")]);
    }

    /// <remarks>
    /// Outcome failure when the connection never authenticated: a <c>[preauth]</c> line, a client's
    /// disconnect with reason 3 or 14 (<c>Auth fail</c>, no authentication methods left), or a
    /// connection whose earlier line reported a failure without naming the peer. Otherwise unknown.
    /// </remarks>
    private SecurityEvent? ParseClosed(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body, string prefix, bool preauth)
    {
        var rest = body[prefix.Length..];
        string? user = null;
        EcsSource? source;
        var failedByReason = false;
        if (prefix == "Received disconnect from ")
        {
            // "IP port N:11: TEXT" / old "IP: 11: TEXT": TEXT is the client's, so the peer is read from the left.
            var space = rest.IndexOf(' ');
            if (space <= 0) return null;
            var peer = rest[..space];
            var after = rest[space..];
            int? port = null;
            if (after.StartsWith(" port ", StringComparison.Ordinal))
            {
                var digits = after[6..];
                var colon = digits.IndexOf(':');
                if (colon <= 0 || (port = NetAddress.ParsePort(digits[..colon])) is null) return null;
                after = digits[colon..];
            }
            else if (peer[^1] == ':')
            {
                peer = peer[..^1];
                after = rest[(space - 1)..];
            }
            else return null;
            source = AuthEvent.Source(peer, port);
            if (source is null) return null;
            // ":3: …" / ": 3: …": SSH2_DISCONNECT_PROTOCOL_ERROR(3) as clients send "Auth fail", NO_MORE_AUTH_METHODS_AVAILABLE(14).
            var code = after.TrimStart(':').TrimStart(' ');
            var n = 0;
            while (n < code.Length && char.IsAsciiDigit(code[n])) n++;
            failedByReason = n > 0 && n < code.Length && code[n] == ':'
                && (code[..n].SequenceEqual("14") || (code[..n].SequenceEqual("3") && code.EndsWith("Auth fail", StringComparison.Ordinal)));
        }
        else
        {
            // "[authenticating user X |invalid user X |user X ]IP[ port N]": the user is the client's and comes first.
            if (!TryReadWhoAndPeer(rest, out user, out source)) return null;
        }
        var pending = _sessions.Close(HostKey(record, context), record.Pid);
        var reason = prefix switch
        {
            "Connection reset by " => "reset",
            "Received disconnect from " => "disconnect",
            "Disconnected from " => "disconnected",
            _ => "closed",
        };
        var failed = preauth || failedByReason || pending is not null;
        return AuthEvent.Create(record, line, context, EventActions.SshConnectionClosed, failed ? EcsValues.Failure : EcsValues.Unknown,
            EcsLists.Network, EcsLists.ConnectionEnd, user: AuthEvent.User(user), source: source,
            reason: pending is null ? reason : string.Concat(reason, " after ", pending),
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

    private SecurityEvent? ParseNotAllowed(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> body)
    {
        var m = NotAllowedPattern().Match(body.ToString());
        if (!m.Success)
        {
            // "User X not allowed because account is locked|shell does not exist|…": no peer on the line.
            var because = body.LastIndexOf(" not allowed because ", StringComparison.Ordinal);
            if (because < 5) return null;
            return WithSessionPeer(record, line, context, EventActions.SshUserNotAllowed, EcsLists.Authentication, EcsLists.Info,
                body[5..because].ToString(), body[(because + 21)..].ToString());
        }
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
    // "Invalid user" is matched by hand (SshdAttemptMatcher, ~20× faster; attempts by SshdAttemptReader);
    // this pattern remains the specification it is checked against (bench `verify`).
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
