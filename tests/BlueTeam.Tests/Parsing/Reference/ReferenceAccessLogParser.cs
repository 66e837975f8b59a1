using System.Globalization;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Sources;

using BlueTeam.Parsing;

namespace BlueTeam.Tests.Parsing.Reference;

/// <summary>
/// The access-log parser as it was before it was tuned (strings per field, DateTime.TryParseExact):
/// the specification the tuned <see cref="BlueTeam.Parsing.Web.AccessLogParser"/> must match event for
/// event. One change: an offset beyond ±14:00 is refused here too, where the original threw.
/// </summary>
internal static class ReferenceAccessLogParser
{
    private const int MaxLineLength = 65536;

    public static SecurityEvent? Parse(RawLine line, ParseContext context)
    {
        if (line.Kind != RawLineKind.Line) return null;
        var s = line.Text.AsSpan().TrimEnd("\r\n");
        if (s.Length < 20 || s.Length > MaxLineLength) return null;
        if (!TryParse(s, out var parts)) return null;

        var (ip, domain, peer) = ChooseClient(parts.Clients);
        var user = parts.User is "-" or "" ? null : parts.User.ToString();
        var target = parts.Target.IsEmpty ? null : parts.Target.ToString();
        var query = target?.IndexOf('?') ?? -1;
        var labels = new Dictionary<string, string>(2, StringComparer.Ordinal) { [EventFields.CollectorLabel] = line.Collector ?? "" };
        if (peer is not null && peer != ip) labels[BlueTeam.Parsing.Web.AccessLogParser.PeerLabel] = peer;

        return new SecurityEvent
        {
            Timestamp = parts.Timestamp,
            Event = new EcsEvent
            {
                Category = [EcsValues.Web],
                Type = parts.Status >= 400 ? [EcsValues.Access, EcsValues.Error] : [EcsValues.Access],
                Action = EventActions.HttpRequest,
                Outcome = parts.Status >= 400 ? EcsValues.Failure : EcsValues.Success,
            },
            Source = ip is null && domain is null ? null : new EcsSource { Ip = ip, Domain = domain },
            User = user is null ? null : new EcsUser { Name = user },
            Host = EventFields.Host(default, context),
            Http = new EcsHttp
            {
                Request = parts.Method.IsEmpty && parts.Referrer.IsEmpty ? null : new EcsHttpRequest
                {
                    Method = parts.Method.IsEmpty ? null : parts.Method.ToString(),
                    Referrer = parts.Referrer.IsEmpty || parts.Referrer.SequenceEqual("-") ? null : parts.Referrer.ToString(),
                },
                Response = new EcsHttpResponse { StatusCode = parts.Status, Body = parts.Bytes is { } b ? new EcsHttpBody { Bytes = b } : null },
                Version = parts.Version.IsEmpty ? null : parts.Version.ToString(),
            },
            Url = target is null ? null : new EcsUrl
            {
                Original = target,
                Path = query < 0 ? target : target[..query],
                Query = query < 0 || query == target.Length - 1 ? null : target[(query + 1)..],
            },
            UserAgent = parts.UserAgent.IsEmpty || parts.UserAgent.SequenceEqual("-") ? null : new EcsUserAgent { Original = parts.UserAgent.ToString() },
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
        // The date: the first " [dd/Mon/yyyy:HH:mm:ss ±zzzz] \"" (a user name may hold " [", never a raw quote).
        var text = s.ToString();
        var open = -1;
        for (var at = text.IndexOf(" [", StringComparison.Ordinal); at >= 0; at = text.IndexOf(" [", at + 2, StringComparison.Ordinal))
        {
            if (at + 31 <= text.Length && text.Substring(at + 28, 3) == "] \"")
            {
                open = at;
                break;
            }
        }
        if (open < 5) return false;
        var close = open + 28;
        if (!TryParseTimestamp(s[(open + 2)..close], out parts.Timestamp)) return false;

        // "[VHOST:PORT ]CLIENT… IDENT USER…": the client field from the left (addresses, list items ending in ',',
        // or one host name), then one word of ident, then the user, spaces and all.
        var words = s[..open].ToString().Split(' ');
        var i = 0;
        if (words.Length > 1 && words[0].Contains(':') && !IsAddress(words[0])) i++;
        var first = i;
        for (; i < words.Length; i++)
        {
            var w = words[i];
            var listItem = w.TrimStart('"').Length > 1 && w[^1] == ',';
            if (listItem || IsAddress(w)) continue;
            if (i == first && NetAddress.LooksLikeHostName(w)) i++;
            break;
        }
        var clientsEnd = i;
        while (i < words.Length && words[i].Length == 0) i++;
        if (clientsEnd == first || i + 2 > words.Length) return false;
        var clientsStart = string.Join(' ', words[..first]).Length + (first > 0 ? 1 : 0);
        var clientsText = string.Join(' ', words[first..clientsEnd]);
        parts.Clients = s.Slice(clientsStart, clientsText.Length);
        var userText = string.Join(' ', words[(i + 1)..]);
        if (userText.Length == 0) return false;
        parts.User = s.Slice(open - userText.Length, userText.Length);

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
        for (var i = 1; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] != '"') continue;
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
        if (!DateTime.TryParseExact(s[..20], "dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)) return false;
        var z = s[21..];
        if (z.Length != 5 || z[0] is not ('+' or '-')) return false;
        if (!int.TryParse(z[1..3], NumberStyles.None, CultureInfo.InvariantCulture, out var h) || !int.TryParse(z[3..], NumberStyles.None, CultureInfo.InvariantCulture, out var m)) return false;
        if (h > 14 || m > 59 || (h == 14 && m > 0)) return false;
        var offset = new TimeSpan(h, m, 0);
        if (z[0] == '-') offset = -offset;
        var utcTicks = local.Ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks) return false;
        timestamp = new DateTimeOffset(local, offset);
        return true;
    }

    private static bool IsAddress(string token)
    {
        token = token.Trim('"');
        return NetAddress.TryReadIp(token.Length > 1 && token[^1] == ',' ? token[..^1] : token, out _);
    }

    /// <summary>The client in the client field: the last public address, else the first address, else a host name.</summary>
    private static (string? Ip, string? Domain, string? Peer) ChooseClient(ReadOnlySpan<char> clients)
    {
        string? firstIp = null, firstPublic = null, lastIp = null, name = null;
        foreach (var range in clients.SplitAny(", \""))
        {
            var token = clients[range];
            if (token.IsEmpty) continue;
            if (NetAddress.TryReadIp(token, out var ip))
            {
                firstIp ??= ip;
                lastIp = ip;
                if (!NetAddress.IsInternal(ip!)) firstPublic = ip; // the last one wins
            }
            else if (NetAddress.LooksLikeHostName(token)) name = token.ToString();
        }
        var chosen = firstPublic ?? firstIp;
        return chosen is not null ? (chosen, null, lastIp) : (null, name, null);
    }
}
