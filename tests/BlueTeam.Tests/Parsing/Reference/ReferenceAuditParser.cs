using System.Globalization;
using System.Text;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Tests.Parsing.Reference;

// The audit parser as it was before it was tuned (a string per key and value, a dictionary of pending
// events, LINQ per event): the specification the tuned BlueTeam.Parsing.Audit types must match event
// for event. Kept verbatim apart from the type names.
/// <summary>
/// One line of audit.log: <c>[node=N ]type=T msg=audit(SEC.MSEC:SERIAL): k=v …[\x1DK=v …]</c>, its fields
/// in order with quoted values unquoted and hex-encoded values decoded, the fields of a user-space
/// <c>msg='…'</c> flattened in (as auparse does), and, in the enriched format, the translated
/// upper-case fields after the 0x1D separator.
/// </summary>
internal sealed class ReferenceAuditRecord
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

/// <summary>Splits audit.log lines into <see cref="ReferenceAuditRecord"/>s. Never throws; null for anything that is not a record.</summary>
internal static class ReferenceAuditRecordParser
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

    public static ReferenceAuditRecord? TryParse(ReadOnlySpan<char> line, string? path = null, long offset = 0, string? collector = null)
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

        return new ReferenceAuditRecord
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

/// <summary>The records of one audit event (one node + serial), in the order they arrived.</summary>
internal sealed class ReferenceAuditEvent
{
    public string? Node { get; init; }
    public long Serial { get; init; }
    public DateTimeOffset Timestamp { get; init; }
    public List<ReferenceAuditRecord> Records { get; } = [];
}

/// <summary>
/// Groups audit records into events by (stream, node, serial), even when the records of concurrent
/// events interleave, and decides when an event is complete without waiting forever.
/// </summary>
/// <remarks>
/// <para>auditd does not write the kernel's EOE record to disk, so completion is inferred, as
/// libauparse does: an event is complete when (1) an EOE record for it arrives; (2) it is a
/// user-space message (USER_*, CRED_*, DAEMON_*, ADD_/DEL_*, …), which is always a single record;
/// (3) its PROCTITLE arrives, which the kernel writes last; (4) a record arrives whose time is more
/// than <see cref="Timeout"/> after the event's (event time, so replaying a file behaves as tailing it);
/// (5) the buffer is full (the oldest event is emitted); (6) <see cref="Flush"/>.</para>
/// <para>"Any later serial completes the earlier events" would be wrong: auditd interleaves
/// concurrent events' records (upstream's test3.log has SYSCALL 194435, SYSCALL 194433, PROCTITLE
/// 194433, PROCTITLE 194435…), so rule (4) uses a time margin instead.</para>
/// <para>Not thread-safe: one consumer.</para>
/// </remarks>
internal sealed class ReferenceAuditEventAssembler(int maxPendingEvents = 256, int maxRecordsPerEvent = 2048, TimeSpan? timeout = null)
{
    public TimeSpan Timeout { get; } = timeout ?? TimeSpan.FromSeconds(2);

    private readonly Dictionary<(string Stream, string? Node, long Serial), ReferenceAuditEvent> _pending = [];
    // Arrival order of pending events: the oldest is evicted first when the buffer is full.
    private readonly List<(string Stream, string? Node, long Serial)> _order = [];
    private readonly Queue<ReferenceAuditEvent> _completed = new();

    /// <summary>Events that were complete but pushed out early because the buffer was full (a flood, or events never finished).</summary>
    public long Evicted { get; private set; }

    public int PendingCount => _pending.Count;

    public void Add(ReferenceAuditRecord record, string stream)
    {
        // (4) events whose time is well before this record's cannot receive more records.
        if (_pending.Count > 0) CompleteOlderThan(record.Timestamp - Timeout);

        var key = (stream, record.Node, record.Serial);
        if (record.Type == "EOE")
        {
            Complete(key);
            return;
        }
        if (!_pending.TryGetValue(key, out var e))
        {
            if (_pending.Count >= maxPendingEvents)
            {
                Evicted++;
                Complete(_order[0]);
            }
            e = new ReferenceAuditEvent { Node = record.Node, Serial = record.Serial, Timestamp = record.Timestamp };
            _pending[key] = e;
            _order.Add(key);
        }
        e.Records.Add(record);

        if (IsStandalone(record.Type) || record.Type == "PROCTITLE" || e.Records.Count >= maxRecordsPerEvent) Complete(key);
    }

    /// <summary>The next complete event, in completion order.</summary>
    public bool TryTake(out ReferenceAuditEvent e) => _completed.TryDequeue(out e!);

    /// <summary>End of input: every pending event is complete, in arrival order.</summary>
    public void Flush()
    {
        while (_order.Count > 0) Complete(_order[0]);
    }

    private void CompleteOlderThan(DateTimeOffset limit)
    {
        for (var i = 0; i < _order.Count;)
        {
            var key = _order[i];
            if (_pending[key].Timestamp < limit) Complete(key);
            else i++;
        }
    }

    private void Complete((string, string?, long) key)
    {
        if (!_pending.Remove(key, out var e)) return;
        _order.Remove(key);
        if (e.Records.Count > 0) _completed.Enqueue(e);
    }

    /// <summary>
    /// User-space messages (auparse's single-record types: 1100–1299 and 2100–2999 by number). Kernel
    /// records (SYSCALL and its PATH/CWD/EXECVE…, AVC, LOGIN, CONFIG_CHANGE, ANOM_ABEND…) may have companions.
    /// </summary>
    public static bool IsStandalone(string type) =>
        type.StartsWith("USER_", StringComparison.Ordinal) || type.StartsWith("CRED_", StringComparison.Ordinal)
        || type.StartsWith("DAEMON_", StringComparison.Ordinal) || type.StartsWith("ADD_", StringComparison.Ordinal)
        || type.StartsWith("DEL_", StringComparison.Ordinal) || type.StartsWith("GRP_", StringComparison.Ordinal)
        || type.StartsWith("ACCT_", StringComparison.Ordinal) || type.StartsWith("SYSTEM_", StringComparison.Ordinal)
        || type.StartsWith("SERVICE_", StringComparison.Ordinal) || type.StartsWith("CRYPTO_", StringComparison.Ordinal)
        || type.StartsWith("VIRT_", StringComparison.Ordinal) || type.StartsWith("RESP_", StringComparison.Ordinal)
        || type.StartsWith("ROLE_", StringComparison.Ordinal) || type.StartsWith("ANOM_LOGIN_", StringComparison.Ordinal)
        || type is "ANOM_ADD_ACCT" or "ANOM_DEL_ACCT" or "ANOM_MOD_ACCT" or "ANOM_ROOT_TRANS" or "ANOM_EXEC" or "ANOM_ACCESS_FS"
            or "ANOM_MAX_DAC" or "ANOM_MAX_MAC" or "ANOM_AMTU_FAIL" or "ANOM_RBAC_FAIL" or "ANOM_CRYPTO_FAIL"
            or "CHGRP_ID" or "CHUSER_ID" or "SOFTWARE_UPDATE" or "TRUSTED_APP" or "TEST" or "USYS_CONFIG" or "DAC_CHECK" or "MAC_CHECK";
}

/// <summary>
/// audit.log: records are reassembled into events by <see cref="ReferenceAuditEventAssembler"/>, and each
/// complete event becomes one <see cref="SecurityEvent"/> with action <c>audit_&lt;type&gt;</c>
/// (see <see cref="EventActions.AuditPrefix"/> for the fields).
/// </summary>
/// <remarks>
/// Stateful, unlike the other parsers, because one event spans several lines; see
/// <see cref="IMultiLineParser"/> for how the pipeline drives it. Records are grouped per file
/// (<see cref="RawLine.Path"/>), so two audit logs read at once never mix their serials.
/// </remarks>
internal sealed class ReferenceAuditLogParser(ReferenceAuditEventAssembler? assembler = null)
{
    public const string SerialLabel = "audit_serial";
    public const string RecordTypesLabel = "audit_record_types";
    public const string NodeLabel = "audit_node";
    public const string KeyLabel = "audit_key";
    public const string AuidLabel = "auid";
    public const string TerminalLabel = "terminal";
    private const int MaxMessageLength = 4096;

    private readonly ReferenceAuditEventAssembler _assembler = assembler ?? new ReferenceAuditEventAssembler();
    // The context of the line that completed an event: its zone and default host apply to the event.
    private ParseContext? _context;

    public SecurityEvent? Parse(RawLine line, ParseContext context)
    {
        if (line.Kind != RawLineKind.Line || !ReferenceAuditRecordParser.LooksLikeRecord(line.Text)) return null;
        var record = ReferenceAuditRecordParser.TryParse(line.Text, line.Path, line.Offset, line.Collector);
        if (record is null) return null;
        _context = context;
        _assembler.Add(record, line.Path ?? "");
        return TakeCompleted();
    }

    public SecurityEvent? TakeCompleted() =>
        _assembler.TryTake(out var e) ? ToSecurityEvent(e, _context ?? new ParseContext()) : null;

    public void Flush() => _assembler.Flush();

    /// <summary>Records that never help decide what an event is about; the main record is the first other one.</summary>
    private static bool IsAuxiliary(string type) =>
        type is "PROCTITLE" or "CWD" or "PATH" or "EXECVE" or "SOCKADDR" or "EOE" or "BPRM_FCAPS" or "OBJ_PID" or "FD_PAIR" or "MMAP" or "CAPSET" or "IPC" or "SOCKETCALL";

    public static SecurityEvent ToSecurityEvent(ReferenceAuditEvent e, ParseContext context)
    {
        var records = e.Records;
        var main = records.FirstOrDefault(r => !IsAuxiliary(r.Type)) ?? records[0];
        var syscall = records.FirstOrDefault(r => r.Type == "SYSCALL");
        var execve = records.FirstOrDefault(r => r.Type == "EXECVE");
        string? Get(string key) => main.Get(key) ?? syscall?.Get(key);
        string? Interp(string key) => main.Interpreted.GetValueOrDefault(key) ?? syscall?.Interpreted.GetValueOrDefault(key);

        var action = ActionFor(main, syscall, execve);
        var outcome = OutcomeOf(Get("res") ?? Get("result"), Get("success"), main.Type);

        var acct = Meaningful(Get("acct")) ?? Meaningful(Get("user"));
        var uid = Meaningful(Get("uid"));
        var uidName = Meaningful(Interp("UID")) ?? (uid is not null && !IsNumber(uid) ? uid : null);
        var euid = Meaningful(Get("euid"));
        var euidName = Meaningful(Interp("EUID")) ?? (euid is not null && !IsNumber(euid) ? euid : null);
        var isAccountChange = main.Type is "ADD_USER" or "DEL_USER" or "USER_MGMT" or "USER_CHAUTHTOK" or "ACCT_LOCK" or "ACCT_UNLOCK";
        var isGroupChange = main.Type is "ADD_GROUP" or "DEL_GROUP" or "GRP_MGMT" or "GRP_CHAUTHTOK";

        EcsUser? user = null;
        var name = acct ?? uidName;
        if (name is not null || uid is not null || euid is not null)
        {
            user = new EcsUser
            {
                Name = name,
                Id = uid is not null && IsNumber(uid) ? uid : null,
                Effective = euid is null ? null : new EcsUser { Name = euidName, Id = IsNumber(euid) ? euid : null },
                Target = isAccountChange && (acct is not null || Meaningful(Get("id")) is not null)
                    ? new EcsUser { Name = acct, Id = Meaningful(Get("id")) }
                    : null,
            };
        }
        EcsGroup? group = isGroupChange ? new EcsGroup { Name = Meaningful(Get("grp")) ?? acct, Id = Meaningful(Get("id")) } : null;

        var addr = Meaningful(Get("addr")) ?? Meaningful(Get("src")) ?? Meaningful(Get("saddr"));
        var hostname = Meaningful(Get("hostname"));
        EcsSource? source = null;
        if (addr is not null && NetAddress.TryReadIp(addr, out var ip)) source = new EcsSource { Ip = ip };
        else if (hostname is not null && NetAddress.TryReadPeer(hostname, out var hip, out var hdomain)) source = new EcsSource { Ip = hip, Domain = hdomain };

        var pid = int.TryParse(Get("pid"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : (int?)null;
        var exe = Meaningful(Get("exe"));
        var comm = Meaningful(Get("comm"));
        var cmd = main.Type == "USER_CMD" ? main.Get("cmd") : null;
        // sudo logs the command as one string; split on spaces as Elastic does (quoting inside it is lost).
        var args = execve is not null ? ExecveArgs(execve) : cmd?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var proctitle = records.FirstOrDefault(r => r.Type == "PROCTITLE")?.Get("proctitle");
        var cwd = records.FirstOrDefault(r => r.Type == "CWD")?.Get("cwd") ?? Meaningful(main.Get("cwd"));
        var process = new EcsProcess
        {
            Pid = pid,
            Name = comm ?? (exe is null ? null : System.IO.Path.GetFileName(exe)),
            Executable = exe,
            Args = args,
            CommandLine = cmd ?? proctitle ?? (args is null ? null : string.Join(' ', args)),
            WorkingDirectory = cwd,
        };
        var filePath = records.Where(r => r.Type == "PATH").Select(r => Meaningful(r.Get("name"))).FirstOrDefault(n => n is not null);

        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [EventFields.CollectorLabel] = main.Collector ?? "",
            [SerialLabel] = e.Serial.ToString(CultureInfo.InvariantCulture),
            [RecordTypesLabel] = string.Join(',', records.Select(r => r.Type)),
        };
        if (e.Node is not null) labels[NodeLabel] = e.Node;
        if (Meaningful(Get("key")) is { } key) labels[KeyLabel] = key;
        if (Meaningful(Get("auid")) is { } auid) labels[AuidLabel] = Meaningful(Interp("AUID")) ?? auid;
        if ((Meaningful(Get("terminal")) ?? Meaningful(Get("tty"))) is { } terminal) labels[TerminalLabel] = terminal;

        return new SecurityEvent
        {
            Timestamp = e.Timestamp,
            Event = new EcsEvent
            {
                Kind = "event",
                Category = CategoryOf(main.Type, action),
                Type = [EcsValues.Info],
                Action = action,
                Outcome = outcome,
                Reason = Meaningful(Get("op")) ?? Meaningful(Get("reason")),
            },
            Source = source,
            User = user,
            Group = group,
            Host = e.Node is not null ? new EcsHost { Hostname = e.Node } : EventFields.Host(default, context),
            Process = process.Pid is null && process.Name is null && process.Executable is null && process.CommandLine is null ? null : process,
            File = filePath is null ? null : new EcsFile { Path = filePath },
            Log = new EcsLog { File = string.IsNullOrEmpty(main.Path) ? null : new EcsLogFile { Path = main.Path }, Offset = records[0].Offset },
            Message = main.Text.Length > MaxMessageLength ? main.Text[..MaxMessageLength] : main.Text,
            Labels = labels,
        };
    }

    public static string ActionFor(ReferenceAuditRecord main, ReferenceAuditRecord? syscall, ReferenceAuditRecord? execve)
    {
        if (main.Type == "SYSCALL" || main.Type == "EXECVE")
            return execve is not null || IsExecSyscall(syscall ?? main) ? EventActions.AuditExecve : EventActions.AuditSyscall;
        return EventActions.AuditPrefix + Sanitize(main.Type);
    }

    private static bool IsExecSyscall(ReferenceAuditRecord r)
    {
        var name = r.Interpreted.GetValueOrDefault("SYSCALL") ?? r.Get("syscall");
        if (name is "execve" or "execveat") return true;
        var arch = r.Get("arch");
        // x86_64: 59 execve, 322 execveat; i386: 11; aarch64: 221.
        return (arch, name) is ("c000003e" or "x86_64", "59" or "322") or ("40000003" or "i386", "11") or ("c00000b7" or "aarch64", "221");
    }

    /// <summary>Lower-case, with anything but letters, digits and '_' made '_' ("UNKNOWN[1334]" → "unknown_1334_").</summary>
    private static string Sanitize(string type)
    {
        Span<char> buffer = type.Length <= 64 ? stackalloc char[type.Length] : new char[type.Length];
        for (var i = 0; i < type.Length; i++)
        {
            var c = type[i];
            buffer[i] = char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_';
        }
        return new string(buffer);
    }

    private static string? OutcomeOf(string? res, string? success, string type)
    {
        var v = res ?? success;
        if (v is null) return type is "DAEMON_ABORT" or "DAEMON_ERR" ? EcsValues.Failure : null;
        return v switch
        {
            "success" or "yes" or "1" => EcsValues.Success,
            "failed" or "failure" or "no" or "0" or "fail" => EcsValues.Failure,
            _ => EcsValues.Unknown,
        };
    }

    private static IReadOnlyList<string> CategoryOf(string type, string action)
    {
        if (action is EventActions.AuditExecve or EventActions.AuditSyscall) return [EcsValues.Process];
        if (type is "USER_AUTH" or "USER_LOGIN" or "USER_LOGOUT" or "USER_ACCT" or "USER_ERR" or "CRED_ACQ" or "CRED_DISP" or "CRED_REFR") return [EcsValues.Authentication];
        if (type.StartsWith("ADD_", StringComparison.Ordinal) || type.StartsWith("DEL_", StringComparison.Ordinal)
            || type is "USER_MGMT" or "GRP_MGMT" or "USER_CHAUTHTOK" or "GRP_CHAUTHTOK" or "ACCT_LOCK" or "ACCT_UNLOCK" or "USER_ROLE_CHANGE")
            return [EcsValues.Iam];
        if (type is "USER_CMD") return [EcsValues.Process];
        if (type is "CONFIG_CHANGE" || type.StartsWith("DAEMON_", StringComparison.Ordinal)) return [EcsValues.Configuration];
        if (type is "USER_START" or "USER_END") return [EcsValues.Session];
        return [EcsValues.Host];
    }

    private static string[]? ExecveArgs(ReferenceAuditRecord execve)
    {
        var args = new List<string>();
        if (!int.TryParse(execve.Get("argc"), NumberStyles.None, CultureInfo.InvariantCulture, out var argc) || argc is < 0 or > 4096) argc = 4096;
        for (var i = 0; i < argc; i++)
        {
            var v = execve.Get("a" + i.ToString(CultureInfo.InvariantCulture));
            if (v is null) break;
            args.Add(v);
        }
        return args.Count == 0 ? null : [.. args];
    }

    /// <summary>Null for auditd's "nothing here" values.</summary>
    private static string? Meaningful(string? v) => v is null or "" or "?" or "(null)" or "(none)" or "(unknown)" or "unset" or "4294967295" or "-1" ? null : v;

    private static bool IsNumber(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);
}
