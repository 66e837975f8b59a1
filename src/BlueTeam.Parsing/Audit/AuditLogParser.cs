using System.Globalization;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Sources;

namespace BlueTeam.Parsing.Audit;

/// <summary>
/// audit.log: records are reassembled into events by <see cref="AuditEventAssembler"/>, and each
/// complete event becomes one <see cref="SecurityEvent"/> with action <c>audit_&lt;type&gt;</c>
/// (see <see cref="EventActions.AuditPrefix"/> for the fields).
/// </summary>
/// <remarks>
/// Stateful, unlike the other parsers, because one event spans several lines; see
/// <see cref="IMultiLineParser"/> for how the pipeline drives it. Records are grouped per file
/// (<see cref="RawLine.Path"/>), so two audit logs read at once never mix their serials.
/// </remarks>
public sealed class AuditLogParser(AuditEventAssembler? assembler = null) : IMultiLineParser
{
    public const string SerialLabel = "audit_serial";
    public const string RecordTypesLabel = "audit_record_types";
    public const string NodeLabel = "audit_node";
    public const string KeyLabel = "audit_key";
    public const string AuidLabel = "auid";
    public const string TerminalLabel = "terminal";
    private const int MaxMessageLength = 4096;

    private readonly AuditEventAssembler _assembler = assembler ?? new AuditEventAssembler();
    // The context of the line that completed an event: its zone and default host apply to the event.
    private ParseContext? _context;

    public CollectorType Format => CollectorType.Audit;

    public SecurityEvent? Parse(RawLine line, ParseContext context)
    {
        if (line.Kind != RawLineKind.Line || !AuditRecordParser.LooksLikeRecord(line.Text)) return null;
        var record = AuditRecordParser.TryParse(line.Text, line.Path, line.Offset, line.Collector);
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

    public static SecurityEvent ToSecurityEvent(AuditEvent e, ParseContext context)
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

    public static string ActionFor(AuditRecord main, AuditRecord? syscall, AuditRecord? execve)
    {
        if (main.Type == "SYSCALL" || main.Type == "EXECVE")
            return execve is not null || IsExecSyscall(syscall ?? main) ? EventActions.AuditExecve : EventActions.AuditSyscall;
        return EventActions.AuditPrefix + Sanitize(main.Type);
    }

    private static bool IsExecSyscall(AuditRecord r)
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

    private static string[]? ExecveArgs(AuditRecord execve)
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
