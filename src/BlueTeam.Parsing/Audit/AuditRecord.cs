using System.Text;

namespace BlueTeam.Parsing.Audit;

/// <summary>
/// One line of audit.log: <c>[node=N ]type=T msg=audit(SEC.MSEC:SERIAL): k=v …[\x1DK=v …]</c>, its fields
/// in order with quoted values unquoted and hex-encoded values decoded, the fields of a user-space
/// <c>msg='…'</c> flattened in (as auparse does), and, in the enriched format, the translated
/// upper-case fields after the 0x1D separator.
/// </summary>
/// <remarks>
/// The record keeps the line and where each field lies in it (<see cref="AuditFieldRef"/>); a value
/// becomes a string (unquoted, hex-decoded) only when asked for. An event reads a dozen of a record's
/// twenty-odd fields, so most are never materialized.
/// </remarks>
public sealed class AuditRecord
{
    private readonly AuditFieldRef[] _fields;
    // _fields[.._interpretedStart] are the record's own fields, the rest the enrichment's.
    private readonly int _interpretedStart;
    private readonly int _timeStart, _timeLength;
    // One bit per (first char, length) of the keys present: most lookups are for keys a record does
    // not have (an event asks each record for ~20), and this answers them without a scan.
    private readonly ulong _keyBits, _interpretedKeyBits;
    private IReadOnlyList<KeyValuePair<string, string>>? _fieldList;
    private IReadOnlyDictionary<string, string>? _interpreted;

    internal AuditRecord(string text, string? node, string type, DateTimeOffset timestamp, long serial,
        int timeStart, int timeLength, AuditFieldRef[] fields, int interpretedStart)
    {
        Text = text;
        Node = node;
        Type = type;
        Timestamp = timestamp;
        Serial = serial;
        _timeStart = timeStart;
        _timeLength = timeLength;
        _fields = fields;
        _interpretedStart = interpretedStart;
        for (var i = 0; i < fields.Length; i++)
        {
            var bit = KeyBit(text.AsSpan(fields[i].KeyStart, fields[i].KeyLength));
            if (i < interpretedStart) _keyBits |= bit;
            else _interpretedKeyBits |= bit;
        }
    }

    private static ulong KeyBit(ReadOnlySpan<char> key) => 1UL << ((key[0] + key.Length * 7) & 63);

    public string? Node { get; }
    public string Type { get; }
    public DateTimeOffset Timestamp { get; }
    /// <summary>"SEC.MSEC" as written, so that events compare exactly with other tools' output.</summary>
    public string TimeText => Text.Substring(_timeStart, _timeLength);
    public long Serial { get; }
    /// <summary>The line, without its line terminator.</summary>
    public string Text { get; }
    public string? Path { get; init; }
    public long Offset { get; init; }
    public string? Collector { get; init; }

    /// <summary>Every field in order (built on first use; the hot path uses <see cref="Get"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fieldList ??= BuildFieldList();

    /// <summary>The enriched format's translations (UID="root", SYSCALL=execve…), keyed upper-case; empty for raw logs.</summary>
    public IReadOnlyDictionary<string, string> Interpreted => _interpreted ??= BuildInterpreted();

    /// <summary>The first value of <paramref name="key"/>, or null.</summary>
    public string? Get(string key) => IndexOf(key, 0, _interpretedStart, _keyBits) is var i and >= 0 ? ValueAt(i) : null;

    /// <summary>The first enrichment value of <paramref name="key"/> (upper-case), or null.</summary>
    public string? GetInterpreted(string key) => IndexOf(key, _interpretedStart, _fields.Length, _interpretedKeyBits) is var i and >= 0 ? ValueAt(i) : null;

    /// <summary>True when the record has <paramref name="key"/>; its value as written (quotes off, never decoded) in <paramref name="raw"/>.</summary>
    /// <remarks>For numeric fields (pid, argc) that auditd never hex-encodes: reads them without a string.</remarks>
    internal bool TryGetRaw(string key, out ReadOnlySpan<char> raw)
    {
        var i = IndexOf(key, 0, _interpretedStart, _keyBits);
        raw = i < 0 ? default : Text.AsSpan(_fields[i].ValueStart, _fields[i].ValueLength);
        return i >= 0;
    }

    /// <summary>The value of EXECVE's a<paramref name="index"/> (first occurrence), or null; no key string is built.</summary>
    internal string? GetArgument(int index)
    {
        Span<char> key = stackalloc char[12];
        key[0] = 'a';
        if (!index.TryFormat(key[1..], out var written, default, CultureInfo.InvariantCulture)) return null;
        return IndexOf(key[..(written + 1)], 0, _interpretedStart, _keyBits) is var i and >= 0 ? ValueAt(i) : null;
    }

    private int IndexOf(ReadOnlySpan<char> key, int from, int to, ulong keyBits)
    {
        // Keys are never empty (the tokenizer skips "=v"), so an empty key is never present.
        if (key.IsEmpty || (keyBits & KeyBit(key)) == 0) return -1;
        for (var i = from; i < to; i++)
            if (KeyIs(i, key)) return i;
        return -1;
    }

    private bool KeyIs(int i, ReadOnlySpan<char> key) =>
        _fields[i].KeyLength == key.Length && Text.AsSpan(_fields[i].KeyStart, key.Length).SequenceEqual(key);

    private string ValueAt(int i)
    {
        var f = _fields[i];
        var raw = Text.AsSpan(f.ValueStart, f.ValueLength);
        if (!f.Quoted)
        {
            var key = Text.AsSpan(f.KeyStart, f.KeyLength);
            if (AuditRecordParser.ShouldDecode(key, Type) && AuditRecordParser.TryHexDecode(raw, key.SequenceEqual("proctitle"), out var decoded)) return decoded;
        }
        return AuditValues.Common(raw) ?? raw.ToString();
    }

    private List<KeyValuePair<string, string>> BuildFieldList()
    {
        var list = new List<KeyValuePair<string, string>>(_interpretedStart);
        for (var i = 0; i < _interpretedStart; i++) list.Add(new(Text.Substring(_fields[i].KeyStart, _fields[i].KeyLength), ValueAt(i)));
        return list;
    }

    private Dictionary<string, string> BuildInterpreted()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = _interpretedStart; i < _fields.Length; i++) map.TryAdd(Text.Substring(_fields[i].KeyStart, _fields[i].KeyLength), ValueAt(i));
        return map;
    }
}

/// <summary>
/// Where one <c>key=value</c> lies in a record's line. Quoted values are taken as written; others may
/// be hex-encoded. Eight bytes, as a record has dozens of fields: a line is at most 64 Ki chars and
/// starts with "type=", so positions and lengths fit in 16 bits, and a value starts right after
/// <c>=</c> (or <c>="</c>).
/// </summary>
internal readonly struct AuditFieldRef
{
    private const uint QuotedBit = 1u << 31;
    private readonly uint _keyStartAndQuoted;
    private readonly ushort _keyLength, _valueLength;

    public AuditFieldRef(int keyStart, int keyLength, int valueLength, bool quoted)
    {
        _keyStartAndQuoted = (uint)keyStart | (quoted ? QuotedBit : 0);
        _keyLength = checked((ushort)keyLength);
        _valueLength = checked((ushort)valueLength);
    }

    public int KeyStart => (int)(_keyStartAndQuoted & ~QuotedBit);
    public int KeyLength => _keyLength;
    public bool Quoted => (_keyStartAndQuoted & QuotedBit) != 0;
    public int ValueStart => KeyStart + KeyLength + (Quoted ? 2 : 1);
    public int ValueLength => _valueLength;
}

/// <summary>The literal for values that recur in nearly every record, so reading them allocates nothing.</summary>
internal static class AuditValues
{
    public static string? Common(ReadOnlySpan<char> value) => value switch
    {
        "0" => "0",
        "1" => "1",
        "?" => "?",
        "yes" => "yes",
        "no" => "no",
        "success" => "success",
        "failed" => "failed",
        "4294967295" => "4294967295",
        "-1" => "-1",
        "(none)" => "(none)",
        "(null)" => "(null)",
        "unset" => "unset",
        "c000003e" => "c000003e",
        "x86_64" => "x86_64",
        "root" => "root",
        _ => null,
    };

    /// <summary>The literal for the record types audit.log is made of, so a record's type costs no string.</summary>
    public static string Type(ReadOnlySpan<char> type) => type switch
    {
        "SYSCALL" => "SYSCALL",
        "EXECVE" => "EXECVE",
        "CWD" => "CWD",
        "PATH" => "PATH",
        "PROCTITLE" => "PROCTITLE",
        "SOCKADDR" => "SOCKADDR",
        "EOE" => "EOE",
        "AVC" => "AVC",
        "LOGIN" => "LOGIN",
        "CONFIG_CHANGE" => "CONFIG_CHANGE",
        "USER_LOGIN" => "USER_LOGIN",
        "USER_LOGOUT" => "USER_LOGOUT",
        "USER_START" => "USER_START",
        "USER_END" => "USER_END",
        "USER_AUTH" => "USER_AUTH",
        "USER_ACCT" => "USER_ACCT",
        "USER_CMD" => "USER_CMD",
        "USER_ERR" => "USER_ERR",
        "CRED_ACQ" => "CRED_ACQ",
        "CRED_DISP" => "CRED_DISP",
        "CRED_REFR" => "CRED_REFR",
        "SERVICE_START" => "SERVICE_START",
        "SERVICE_STOP" => "SERVICE_STOP",
        "BPRM_FCAPS" => "BPRM_FCAPS",
        _ => type.ToString(),
    };
}

/// <summary>Splits audit.log lines into <see cref="AuditRecord"/>s. Never throws; null for anything that is not a record.</summary>
public static class AuditRecordParser
{
    // The kernel caps a record at 8970 bytes (MAX_AUDIT_MESSAGE_LENGTH); auditd adds node= and the enrichment.
    // AuditFieldRef's 16-bit lengths rely on this bound.
    private const int MaxLineLength = 65536;
    private const int MaxFields = 4096;
    private const char EnrichmentSeparator = '\u001d';

    /// <summary>Values auditd hex-encodes when they contain a space, quote or control character (audit_encode_value).</summary>
    private static readonly HashSet<string> EncodableKeys = new(StringComparer.Ordinal)
    {
        "acct", "cmd", "comm", "cwd", "data", "exe", "key", "name", "new", "old", "path", "proctitle", "ocomm", "root_dir", "sw", "vm", "watch", "grp", "new_group", "old_group",
    };
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> EncodableKeySpans = EncodableKeys.GetAlternateLookup<ReadOnlySpan<char>>();

    // Records of one host come in runs: the last node name is reused rather than copied again.
    // One reference, read and written whole, so sharing it between threads is safe.
    private static string? s_lastNode;

    // Per-thread scratch for the fields of the line being split; a record keeps an exact-size copy.
    [ThreadStatic] private static AuditFieldRef[]? t_scratch;

    /// <summary>Cheap test before any allocation: the line starts like an audit record.</summary>
    public static bool LooksLikeRecord(ReadOnlySpan<char> line) =>
        (line.StartsWith("type=", StringComparison.Ordinal) || line.StartsWith("node=", StringComparison.Ordinal))
        && line.Contains(" msg=audit(", StringComparison.Ordinal);

    public static AuditRecord? TryParse(ReadOnlySpan<char> line, string? path = null, long offset = 0, string? collector = null)
    {
        var trimmed = line.TrimEnd("\r\n");
        if (trimmed.Length > MaxLineLength || !LooksLikeRecord(trimmed)) return null;
        return TryParse(trimmed.ToString(), path, offset, collector);
    }

    /// <summary><see cref="TryParse(ReadOnlySpan{char}, string?, long, string?)"/> that keeps <paramref name="line"/> itself when it has no line terminator.</summary>
    public static AuditRecord? TryParse(string line, string? path = null, long offset = 0, string? collector = null)
    {
        var trimmed = line.AsSpan().TrimEnd("\r\n");
        if (trimmed.Length > MaxLineLength || !LooksLikeRecord(trimmed)) return null;
        var text = trimmed.Length == line.Length ? line : trimmed.ToString();
        var s = text.AsSpan();
        var at = 0; // where s starts in text
        string? node = null;
        if (s.StartsWith("node=", StringComparison.Ordinal))
        {
            var sp = s.IndexOf(' ');
            if (sp < 6) return null;
            node = NodeName(s[5..sp]);
            s = s[(sp + 1)..];
            at += sp + 1;
        }
        if (!s.StartsWith("type=", StringComparison.Ordinal)) return null;
        var typeEnd = s.IndexOf(' ');
        if (typeEnd < 6) return null;
        var type = s[5..typeEnd];
        s = s[(typeEnd + 1)..];
        at += typeEnd + 1;
        if (!s.StartsWith("msg=audit(", StringComparison.Ordinal)) return null;
        var close = s.IndexOf("):", StringComparison.Ordinal);
        if (close < 0) return null;
        var stamp = s[10..close];
        var colon = stamp.IndexOf(':');
        if (colon < 0) return null;
        var time = stamp[..colon];
        if (!long.TryParse(stamp[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var serial)) return null;
        if (!TryParseTime(time, out var timestamp)) return null;
        var timeStart = at + 10;
        var bodyStart = at + close + 2;
        var body = s[(close + 2)..];

        var scratch = t_scratch ??= new AuditFieldRef[64];
        var count = 0;
        var sep = body.IndexOf(EnrichmentSeparator);
        var bodyLength = sep >= 0 ? sep : body.Length;
        Tokenize(text, bodyStart, bodyLength, ref scratch, ref count, depth: 0);
        var interpretedStart = count;
        if (sep >= 0)
        {
            // The enrichment has its own field budget, as a separate list in auparse.
            var extra = 0;
            var extraStart = bodyStart + sep + 1;
            Tokenize(text, extraStart, text.Length - extraStart, ref scratch, ref extra, depth: 1, countFrom: count);
            count += extra;
        }
        t_scratch = scratch;

        return new AuditRecord(text, node, AuditValues.Type(type), timestamp, serial, timeStart, time.Length, scratch[..count], interpretedStart)
        {
            Path = path,
            Offset = offset,
            Collector = collector,
        };
    }

    private static string NodeName(ReadOnlySpan<char> name)
    {
        var last = s_lastNode;
        if (last is not null && name.SequenceEqual(last)) return last;
        last = name.ToString();
        s_lastNode = last;
        return last;
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
    /// <c>k=v k="quoted v" k='inner k=v list'</c> in <c>text[start..start+length]</c>; words without '='
    /// (avc's "denied { read }", USER_CMD's leading "user") are skipped. The inner list of a quoted msg
    /// is flattened in, one level deep. At most <see cref="MaxFields"/> fields: <paramref name="count"/>
    /// counts them from <paramref name="countFrom"/> in <paramref name="into"/>.
    /// </summary>
    private static void Tokenize(string text, int start, int length, ref AuditFieldRef[] into, ref int count, int depth, int countFrom = 0)
    {
        var s = text.AsSpan(start, length);
        var i = 0;
        while (i < s.Length && count < MaxFields)
        {
            while (i < s.Length && s[i] == ' ') i++;
            if (i >= s.Length) break;
            var keyStart = i;
            var keyEnd = s[i..].IndexOfAny('=', ' ');
            i = keyEnd < 0 ? s.Length : i + keyEnd;
            if (i >= s.Length || s[i] == ' ' || i == keyStart)
            {
                // A bare word; skip it.
                i = SpaceOrEnd(s, i);
                continue;
            }
            var keyLength = i - keyStart;
            i++; // '='
            if (i < s.Length && s[i] is '"' or '\'')
            {
                var quote = s[i];
                var end = s[(i + 1)..].IndexOf(quote);
                var valueStart = i + 1;
                var valueLength = end < 0 ? s.Length - valueStart : end;
                i = end < 0 ? s.Length : i + end + 2;
                if (quote == '\'' && depth == 0) Tokenize(text, start + valueStart, valueLength, ref into, ref count, depth + 1, countFrom);
                else Add(ref into, countFrom + count++, new AuditFieldRef(start + keyStart, keyLength, valueLength, quoted: true));
            }
            else
            {
                var valueStart = i;
                i = SpaceOrEnd(s, i);
                Add(ref into, countFrom + count++, new AuditFieldRef(start + keyStart, keyLength, i - valueStart, quoted: false));
            }
        }
    }

    private static int SpaceOrEnd(ReadOnlySpan<char> s, int from)
    {
        var space = s[from..].IndexOf(' ');
        return space < 0 ? s.Length : from + space;
    }

    private static void Add(ref AuditFieldRef[] into, int index, AuditFieldRef field)
    {
        if (index >= into.Length) Array.Resize(ref into, into.Length * 2);
        into[index] = field;
    }

    internal static bool ShouldDecode(ReadOnlySpan<char> key, string type) =>
        EncodableKeySpans.Contains(key) || (type == "EXECVE" && key.Length > 1 && key[0] == 'a' && char.IsAsciiDigit(key[1]) && !key.Contains("_len", StringComparison.Ordinal));

    /// <summary>Upper-case hex of even length, as auditd encodes; NULs (between proctitle's arguments) become spaces.</summary>
    public static bool TryHexDecode(ReadOnlySpan<char> hex, bool nulAsSpace, out string value)
    {
        value = "";
        if (hex.Length < 2 || hex.Length % 2 != 0) return false;
        foreach (var c in hex)
            if (!(char.IsAsciiDigit(c) || c is >= 'A' and <= 'F')) return false;
        var byteCount = hex.Length / 2;
        // Values are capped by the line length (64 Ki chars), so at most 32 KiB here.
        var rented = byteCount <= 512 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(byteCount);
        var bytes = rented is null ? stackalloc byte[byteCount] : rented.AsSpan(0, byteCount);
        for (var b = 0; b < byteCount; b++)
            bytes[b] = (byte)((HexValue(hex[2 * b]) << 4) | HexValue(hex[2 * b + 1]));
        if (nulAsSpace)
        {
            // On the bytes, before decoding, so the text is built once: a 0x00 byte is always U+0000
            // and, like 0x20, never part of a multi-byte sequence, so this is the same as trimming
            // and replacing NULs in the decoded text.
            bytes = bytes.TrimEnd((byte)0);
            bytes.Replace((byte)0, (byte)' ');
        }
        value = Encoding.UTF8.GetString(bytes);
        if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        return true;
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : c - 'A' + 10;
}
