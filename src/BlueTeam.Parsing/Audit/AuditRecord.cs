using System.Globalization;
using System.Text;

namespace BlueTeam.Parsing.Audit;

/// <summary>
/// One line of audit.log: <c>[node=N ]type=T msg=audit(SEC.MSEC:SERIAL): k=v …[\x1DK=v …]</c>, its fields
/// in order with quoted values unquoted and hex-encoded values decoded, the fields of a user-space
/// <c>msg='…'</c> flattened in (as auparse does), and, in the enriched format, the translated
/// upper-case fields after the 0x1D separator.
/// </summary>
public sealed class AuditRecord
{
    public string? Node { get; init; }
    public required string Type { get; init; }
    public DateTimeOffset Timestamp { get; init; }
    /// <summary>"SEC.MSEC" as written, so that events compare exactly with other tools' output.</summary>
    public required string TimeText { get; init; }
    public long Serial { get; init; }
    public required IReadOnlyList<KeyValuePair<string, string>> Fields { get; init; }
    /// <summary>The enriched format's translations (UID="root", SYSCALL=execve…), keyed upper-case; empty for raw logs.</summary>
    public required IReadOnlyDictionary<string, string> Interpreted { get; init; }
    public required string Text { get; init; }
    public string? Path { get; init; }
    public long Offset { get; init; }
    public string? Collector { get; init; }

    /// <summary>The first value of <paramref name="key"/>, or null.</summary>
    public string? Get(string key)
    {
        foreach (var (k, v) in Fields)
            if (k == key) return v;
        return null;
    }
}

/// <summary>Splits audit.log lines into <see cref="AuditRecord"/>s. Never throws; null for anything that is not a record.</summary>
public static class AuditRecordParser
{
    // The kernel caps a record at 8970 bytes (MAX_AUDIT_MESSAGE_LENGTH); auditd adds node= and the enrichment.
    private const int MaxLineLength = 65536;
    private const char EnrichmentSeparator = '\u001d';

    /// <summary>Values auditd hex-encodes when they contain a space, quote or control character (audit_encode_value).</summary>
    private static readonly HashSet<string> EncodableKeys = new(StringComparer.Ordinal)
    {
        "acct", "cmd", "comm", "cwd", "data", "exe", "key", "name", "new", "old", "path", "proctitle", "ocomm", "root_dir", "sw", "vm", "watch", "grp", "new_group", "old_group",
    };

    /// <summary>Cheap test before any allocation: the line starts like an audit record.</summary>
    public static bool LooksLikeRecord(ReadOnlySpan<char> line) =>
        (line.StartsWith("type=", StringComparison.Ordinal) || line.StartsWith("node=", StringComparison.Ordinal))
        && line.Contains(" msg=audit(", StringComparison.Ordinal);

    public static AuditRecord? TryParse(ReadOnlySpan<char> line, string? path = null, long offset = 0, string? collector = null)
    {
        line = line.TrimEnd("\r\n");
        if (line.Length > MaxLineLength || !LooksLikeRecord(line)) return null;
        var s = line;
        string? node = null;
        if (s.StartsWith("node=", StringComparison.Ordinal))
        {
            var sp = s.IndexOf(' ');
            if (sp < 6) return null;
            node = s[5..sp].ToString();
            s = s[(sp + 1)..];
        }
        if (!s.StartsWith("type=", StringComparison.Ordinal)) return null;
        var typeEnd = s.IndexOf(' ');
        if (typeEnd < 6) return null;
        var type = s[5..typeEnd];
        s = s[(typeEnd + 1)..];
        if (!s.StartsWith("msg=audit(", StringComparison.Ordinal)) return null;
        var close = s.IndexOf("):", StringComparison.Ordinal);
        if (close < 0) return null;
        var stamp = s[10..close];
        var colon = stamp.IndexOf(':');
        if (colon < 0) return null;
        var time = stamp[..colon];
        if (!long.TryParse(stamp[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var serial)) return null;
        if (!TryParseTime(time, out var timestamp)) return null;
        var body = s[(close + 2)..];

        var interpreted = new Dictionary<string, string>(StringComparer.Ordinal);
        var sep = body.IndexOf(EnrichmentSeparator);
        var fields = new List<KeyValuePair<string, string>>();
        var typeName = type.ToString();
        if (sep >= 0)
        {
            var extra = new List<KeyValuePair<string, string>>();
            Tokenize(body[(sep + 1)..], extra, typeName, depth: 1);
            foreach (var (k, v) in extra) interpreted.TryAdd(k, v);
            body = body[..sep];
        }
        Tokenize(body, fields, typeName, depth: 0);

        return new AuditRecord
        {
            Node = node,
            Type = typeName,
            Timestamp = timestamp,
            TimeText = time.ToString(),
            Serial = serial,
            Fields = fields,
            Interpreted = interpreted,
            Text = line.ToString(),
            Path = path,
            Offset = offset,
            Collector = collector,
        };
    }

    private static bool TryParseTime(ReadOnlySpan<char> time, out DateTimeOffset timestamp)
    {
        timestamp = default;
        var dot = time.IndexOf('.');
        var secText = dot < 0 ? time : time[..dot];
        if (!long.TryParse(secText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799) return false;
        long millis = 0;
        if (dot >= 0)
        {
            var frac = time[(dot + 1)..];
            if (frac.Length is 0 or > 9 || !long.TryParse(frac, NumberStyles.None, CultureInfo.InvariantCulture, out var f)) return false;
            // "977" is milliseconds; a longer fraction is scaled down to them.
            for (var i = frac.Length; i > 3; i--) f /= 10;
            for (var i = frac.Length; i < 3; i++) f *= 10;
            millis = f;
        }
        timestamp = DateTimeOffset.FromUnixTimeMilliseconds(seconds * 1000 + millis);
        return true;
    }

    /// <summary>
    /// <c>k=v k="quoted v" k='inner k=v list'</c>; words without '=' (avc's "denied { read }", USER_CMD's
    /// leading "user") are skipped. The inner list of a quoted msg is flattened in, one level deep.
    /// </summary>
    private static void Tokenize(ReadOnlySpan<char> s, List<KeyValuePair<string, string>> into, string type, int depth)
    {
        var i = 0;
        while (i < s.Length && into.Count < 4096)
        {
            while (i < s.Length && s[i] == ' ') i++;
            if (i >= s.Length) break;
            var start = i;
            while (i < s.Length && s[i] != '=' && s[i] != ' ') i++;
            if (i >= s.Length || s[i] == ' ' || i == start)
            {
                // A bare word; skip it.
                while (i < s.Length && s[i] != ' ') i++;
                continue;
            }
            var key = s[start..i].ToString();
            i++; // '='
            if (i < s.Length && s[i] is '"' or '\'')
            {
                var quote = s[i];
                var end = s[(i + 1)..].IndexOf(quote);
                var value = end < 0 ? s[(i + 1)..] : s.Slice(i + 1, end);
                i = end < 0 ? s.Length : i + end + 2;
                if (quote == '\'' && depth == 0) Tokenize(value, into, type, depth + 1);
                else into.Add(new(key, value.ToString()));
            }
            else
            {
                var vs = i;
                while (i < s.Length && s[i] != ' ') i++;
                var raw = s[vs..i];
                into.Add(new(key, ShouldDecode(key, type) && TryHexDecode(raw, key == "proctitle", out var decoded) ? decoded : raw.ToString()));
            }
        }
    }

    private static bool ShouldDecode(string key, string type) =>
        EncodableKeys.Contains(key) || (type == "EXECVE" && key.Length > 1 && key[0] == 'a' && char.IsAsciiDigit(key[1]) && !key.Contains("_len", StringComparison.Ordinal));

    /// <summary>Upper-case hex of even length, as auditd encodes; NULs (between proctitle's arguments) become spaces.</summary>
    public static bool TryHexDecode(ReadOnlySpan<char> hex, bool nulAsSpace, out string value)
    {
        value = "";
        if (hex.Length < 2 || hex.Length % 2 != 0) return false;
        foreach (var c in hex)
            if (!(char.IsAsciiDigit(c) || c is >= 'A' and <= 'F')) return false;
        var bytes = new byte[hex.Length / 2];
        for (var b = 0; b < bytes.Length; b++)
            bytes[b] = (byte)((HexValue(hex[2 * b]) << 4) | HexValue(hex[2 * b + 1]));
        var text = Encoding.UTF8.GetString(bytes);
        if (nulAsSpace) text = text.TrimEnd('\0').Replace('\0', ' ');
        value = text;
        return true;
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : c - 'A' + 10;
}
