namespace BlueTeam.Parsing.Auth;

/// <summary>Builds auth-log events the same way for every program, so rules see one shape.</summary>
internal static class AuthEvent
{
    public const string ServiceLabel = "service";

    public static SecurityEvent Create(in SyslogRecord record, RawLine line, ParseContext context,
        string action, string? outcome, IReadOnlyList<string> category, IReadOnlyList<string> type,
        EcsUser? user = null, EcsSource? source = null, EcsGroup? group = null, string? reason = null,
        EcsProcess? process = null, KeyValuePair<string, string>[]? labels = null)
    {
        return new SecurityEvent
        {
            Timestamp = record.Timestamp,
            Event = new EcsEvent { Category = category, Type = type, Action = action, Outcome = outcome, Reason = reason },
            Source = source,
            User = user,
            Group = group,
            Host = EventFields.Host(record.Hostname, context),
            Process = process ?? context.Process(record.Program, record.Pid),
            Log = EventFields.Log(line, context),
            Message = record.Message.ToString(),
            // Shared with the previous events that carried the same labels (read-only).
            Labels = context.Labels(line.Collector, labels),
        };
    }

    /// <summary>source.ip or source.domain from a peer as logged; null when the text is empty or neither.</summary>
    public static EcsSource? Source(ReadOnlySpan<char> peer, int? port = null) =>
        NetAddress.TryReadPeer(peer, out var ip, out var domain) ? new EcsSource { Ip = ip, Domain = domain, Port = port } : null;

    public static EcsUser? User(string? name, string? effective = null, string? target = null, string? id = null) =>
        string.IsNullOrEmpty(name) && string.IsNullOrEmpty(effective) && string.IsNullOrEmpty(target)
            ? null
            : new EcsUser
            {
                Name = string.IsNullOrEmpty(name) ? null : name,
                Id = id,
                Effective = string.IsNullOrEmpty(effective) ? null : new EcsUser { Name = effective },
                Target = string.IsNullOrEmpty(target) ? null : new EcsUser { Name = target },
            };

    public static KeyValuePair<string, string> Label(string key, string value) => new(key, value);

    /// <summary>The value of <c>key=</c> in a space-separated PAM/audit-style list (up to the next space); empty when absent.</summary>
    public static ReadOnlySpan<char> Value(ReadOnlySpan<char> text, ReadOnlySpan<char> key)
    {
        var start = ValueStart(text, key, " ;");
        if (start < 0) return default;
        var value = text[start..];
        var space = value.IndexOf(' ');
        return space < 0 ? value : value[..space];
    }

    /// <summary>
    /// Where the value of <c>key=</c> starts in <paramref name="text"/>, for a whole key only (at the start or just after one
    /// of <paramref name="separators"/>: "user=" must not match inside "ruser="); -1 when absent.
    /// </summary>
    public static int ValueStart(ReadOnlySpan<char> text, ReadOnlySpan<char> key, ReadOnlySpan<char> separators)
    {
        var from = 0;
        while (from < text.Length)
        {
            var i = text[from..].IndexOf(key, StringComparison.Ordinal);
            if (i < 0) return -1;
            i += from;
            var end = i + key.Length;
            if (end < text.Length && text[end] == '=' && (i == 0 || separators.Contains(text[i - 1]))) return end + 1;
            from = end;
        }
        return -1;
    }

    /// <summary>The text between the first pair of single quotes after <paramref name="from"/>.</summary>
    public static bool TryQuoted(ReadOnlySpan<char> text, out ReadOnlySpan<char> value, out ReadOnlySpan<char> rest)
    {
        value = rest = default;
        var open = text.IndexOf('\'');
        if (open < 0) return false;
        var close = text[(open + 1)..].IndexOf('\'');
        if (close < 0) return false;
        value = text.Slice(open + 1, close);
        rest = text[(open + close + 2)..];
        return true;
    }
}
