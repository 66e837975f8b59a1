using System.Runtime.CompilerServices;

namespace BlueTeam.Parsing.Web;

/// <summary>
/// nginx and Apache access logs in the common and combined formats (and their usual extensions: a
/// virtual host in front, an X-Forwarded-For list as the client, extra quoted fields at the end):
/// <c>CLIENT IDENT USER [dd/Mon/yyyy:HH:mm:ss ±zzzz] "METHOD TARGET HTTP/x" STATUS BYTES ["REFERRER" "USER-AGENT" …]</c>.
/// Every request becomes an <see cref="EventActions.HttpRequest"/> event.
/// </summary>
/// <remarks>
/// Hand-written, like the syslog header: one pass over the span, nothing allocated for a line that
/// is not an access-log line. When the client field holds a proxy chain, source.ip is the last
/// public address in it (the one the nearest proxy saw: addresses before it came in a header the
/// client wrote), else the first address (as Elastic's pipelines), and labels.http_peer keeps the
/// last address, the one that actually connected. The client field is read from the left
/// (<see cref="AccessHead"/>), so a user name with spaces and addresses in it cannot join it.
/// </remarks>
public sealed class AccessLogParser : ILogParser
{
    public const string PeerLabel = "http_peer";
    private const int MaxLineLength = 65536;

    public string Format => AccessLogFormat.FormatName;

    // One read-only instance per value, shared by every event (nothing downstream can change them).
    private static readonly IReadOnlyList<string> WebCategory = Array.AsReadOnly([EcsValues.Web]);
    private static readonly IReadOnlyList<string> AccessType = Array.AsReadOnly([EcsValues.Access]);
    private static readonly IReadOnlyList<string> AccessErrorType = Array.AsReadOnly([EcsValues.Access, EcsValues.Error]);

    public SecurityEvent? Parse(RawLine line, ParseContext context)
    {
        if (line.Kind != RawLineKind.Line) return null;
        var s = line.Text.AsSpan().TrimEnd("\r\n");
        if (s.Length < 20 || s.Length > MaxLineLength) return null;
        return TryParse(s, out var parts) ? ToEvent(line, context, ref parts) : null;
    }

    // Apart from Parse so that lines that are not access-log lines (the common case when formats are
    // mixed) pay for none of the event's locals.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static SecurityEvent ToEvent(RawLine line, ParseContext context, ref AccessParts parts)
    {
        var strings = AccessLogStrings.ForThisThread;
        var client = AccessClient.Choose(parts.Clients);
        var user = parts.User is "-" or "" ? null : parts.User.ToString();
        var target = parts.Target.IsEmpty ? null : strings.Target(parts.Target);
        var query = target?.IndexOf('?') ?? -1;
        // Shared with the previous events that carried the same labels (read-only): most lines have no proxy or the same one.
        var labels = client.Peer is not null && client.Peer != client.Ip
            ? context.Labels(line.Collector, [new(PeerLabel, client.Peer)])
            : context.Labels(line.Collector, []);

        return new SecurityEvent
        {
            Timestamp = parts.Timestamp,
            Event = new EcsEvent
            {
                Category = WebCategory,
                Type = parts.Status >= 400 ? AccessErrorType : AccessType,
                Action = EventActions.HttpRequest,
                Outcome = parts.Status >= 400 ? EcsValues.Failure : EcsValues.Success,
            },
            Source = client.Ip is null && client.Domain is null ? null : new EcsSource { Ip = client.Ip, Domain = client.Domain },
            User = user is null ? null : new EcsUser { Name = user },
            Host = EventFields.Host(default, context),
            Http = new EcsHttp
            {
                Request = parts.Method.IsEmpty && parts.Referrer.IsEmpty ? null : new EcsHttpRequest
                {
                    Method = parts.Method.IsEmpty ? null : AccessLogStrings.Method(parts.Method),
                    Referrer = parts.Referrer.IsEmpty || parts.Referrer.SequenceEqual("-") ? null : strings.Referrer(parts.Referrer),
                },
                Response = new EcsHttpResponse { StatusCode = parts.Status, Body = parts.Bytes is { } b ? new EcsHttpBody { Bytes = b } : null },
                Version = parts.Version.IsEmpty ? null : AccessLogStrings.Version(parts.Version),
            },
            Url = target is null ? null : new EcsUrl
            {
                Original = target,
                Path = query < 0 ? target : target[..query],
                Query = query < 0 || query == target.Length - 1 ? null : target[(query + 1)..],
            },
            UserAgent = parts.UserAgent.IsEmpty || parts.UserAgent.SequenceEqual("-") ? null : new EcsUserAgent { Original = strings.UserAgent(parts.UserAgent) },
            Log = EventFields.Log(line, context),
            Message = line.Text,
            Labels = labels,
        };
    }

    /// <summary>True when <paramref name="line"/> has the shape of an access-log line (for format detection).</summary>
    public static bool LooksLikeAccessLog(ReadOnlySpan<char> line) => line.Length <= MaxLineLength && TryParse(line.TrimEnd("\r\n"), out _);

    private ref struct AccessParts
    {
        public ReadOnlySpan<char> Clients, User, Method, Target, Version, Referrer, UserAgent;
        public DateTimeOffset Timestamp;
        public int Status;
        public long? Bytes;
    }

    private static bool TryParse(ReadOnlySpan<char> s, out AccessParts parts)
    {
        parts = default;
        // The date is the first " [" that holds a timestamp followed by "] \"": the user field before it is
        // the client's text ("a [b" is a valid user name), but cannot hold a raw quote (nginx writes \x22, Apache \").
        var open = -1;
        for (var from = 0; from < s.Length;)
        {
            var at = s[from..].IndexOf(" [", StringComparison.Ordinal);
            if (at < 0) return false;
            at += from;
            if (at + 31 <= s.Length && s[at + 28] == ']' && s[at + 29] == ' ' && s[at + 30] == '"')
            {
                open = at;
                break;
            }
            from = at + 2;
        }
        if (open < 5) return false;
        var close = open + 28;
        if (!TryParseTimestamp(s.Slice(open + 2, 26), out parts.Timestamp)) return false;

        if (!AccessHead.TrySplit(s[..open], out parts.Clients, out parts.User)) return false;

        var rest = s[(close + 2)..];
        if (!TryQuoted(ref rest, out var request)) return false;
        if (!request.IsEmpty && !request.SequenceEqual("-"))
        {
            var sp1 = request.IndexOf(' ');
            if (sp1 > 0)
            {
                parts.Method = request[..sp1];
                var target = request[(sp1 + 1)..];
                var sp2 = target.LastIndexOf(' ');
                if (sp2 > 0 && target[(sp2 + 1)..].StartsWith("HTTP/", StringComparison.Ordinal))
                {
                    parts.Version = target[(sp2 + 6)..];
                    target = target[..sp2];
                }
                parts.Target = target;
            }
        }

        rest = rest.TrimStart(' ');
        var statusEnd = rest.IndexOf(' ');
        var status = statusEnd < 0 ? rest : rest[..statusEnd];
        if (status.Length != 3 || !int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out parts.Status)) return false;
        if (statusEnd < 0) return true;
        rest = rest[(statusEnd + 1)..];
        var bytesEnd = rest.IndexOf(' ');
        var bytes = bytesEnd < 0 ? rest : rest[..bytesEnd];
        if (long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) parts.Bytes = n;
        else if (!bytes.SequenceEqual("-")) return false;
        if (bytesEnd < 0) return true;

        rest = rest[(bytesEnd + 1)..].TrimStart(' ');
        if (TryQuoted(ref rest, out var referrer)) parts.Referrer = referrer;
        rest = rest.TrimStart(' ');
        if (TryQuoted(ref rest, out var agent)) parts.UserAgent = agent;
        return true;
    }

    /// <summary>A "…" field at the start of <paramref name="s"/> (nginx escapes quotes inside as \x22, Apache as \").</summary>
    private static bool TryQuoted(scoped ref ReadOnlySpan<char> s, out ReadOnlySpan<char> value)
    {
        value = default;
        if (s.IsEmpty || s[0] != '"') return false;
        var i = 1;
        while (i < s.Length)
        {
            // Jump to the next quote or backslash (vectorized: user agents run to 100+ chars).
            var next = s[i..].IndexOfAny('"', '\\');
            if (next < 0) return false;
            i += next;
            if (s[i] == '\\')
            {
                i += 2; // the escaped character, whatever it is
                continue;
            }
            value = s[1..i];
            s = s[(i + 1)..];
            return true;
        }
        return false;
    }

    /// <summary>dd/Mon/yyyy:HH:mm:ss ±hhmm.</summary>
    private static bool TryParseTimestamp(ReadOnlySpan<char> s, out DateTimeOffset timestamp)
    {
        timestamp = default;
        if (s.Length != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[20] != ' ') return false;
        // The format's own parser stays the specification: the fast path takes only what it accepts
        // (and reads the same way); anything else (e.g. "mar") goes to it.
        if (!AccessTimestamp.TryParseLocal(s[..20], out var local)
            && !DateTime.TryParseExact(s[..20], "dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out local)) return false;
        var z = s[21..];
        if (z.Length != 5 || z[0] is not ('+' or '-')) return false;
        if (!int.TryParse(z[1..3], NumberStyles.None, CultureInfo.InvariantCulture, out var h) || !int.TryParse(z[3..], NumberStyles.None, CultureInfo.InvariantCulture, out var m)) return false;
        // DateTimeOffset takes at most ±14:00; "+1430" from a hostile line must be refused, not thrown on.
        if (h > 14 || m > 59 || (h == 14 && m > 0)) return false;
        var offset = new TimeSpan(h, m, 0);
        if (z[0] == '-') offset = -offset;
        var utcTicks = local.Ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks) return false;
        timestamp = new DateTimeOffset(local, offset);
        return true;
    }
}

/// <summary><c>type: access</c>: nginx and Apache access logs, common and combined.</summary>
public sealed class AccessLogFormat : ILogFormat
{
    public const string FormatName = "access";

    public string Name => FormatName;

    public ILogParser CreateParser() => new AccessLogParser();

    public bool LooksLike(ReadOnlySpan<char> line) => AccessLogParser.LooksLikeAccessLog(line);
}
