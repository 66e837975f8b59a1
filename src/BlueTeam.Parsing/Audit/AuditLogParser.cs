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
    // collector, serial, record types, node, key, auid, terminal: sized once, never grown.
    private const int MaxLabels = 7;

    private readonly AuditEventAssembler _assembler = assembler ?? new AuditEventAssembler();
    // The context of the line that completed an event: its zone and default host apply to the event.
    private ParseContext? _context;

    public string Format => AuditLogFormat.FormatName;

    public SecurityEvent? Parse(RawLine line, ParseContext context)
    {
        // TryParse checks the shape (LooksLikeRecord) before allocating anything.
        if (line.Kind != RawLineKind.Line) return null;
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
        var main = FirstNonAuxiliary(records) ?? records[0];
        var syscall = FirstOfType(records, "SYSCALL");
        var execve = FirstOfType(records, "EXECVE");
        var fields = new EventFieldReader(main, syscall);

        var action = ActionFor(main, syscall, execve);
        var outcome = OutcomeOf(fields.Get("res") ?? fields.Get("result"), fields.Get("success"), main.Type);

        var acct = Meaningful(fields.Get("acct")) ?? Meaningful(fields.Get("user"));
        var uid = Meaningful(fields.Get("uid"));
        var uidName = Meaningful(fields.Interpreted("UID")) ?? (uid is not null && !IsNumber(uid) ? uid : null);
        var euid = Meaningful(fields.Get("euid"));
        var euidName = Meaningful(fields.Interpreted("EUID")) ?? (euid is not null && !IsNumber(euid) ? euid : null);
        var isAccountChange = main.Type is "ADD_USER" or "DEL_USER" or "USER_MGMT" or "USER_CHAUTHTOK" or "ACCT_LOCK" or "ACCT_UNLOCK";
        var isGroupChange = main.Type is "ADD_GROUP" or "DEL_GROUP" or "GRP_MGMT" or "GRP_CHAUTHTOK";

        EcsUser? user = null;
        var name = acct ?? uidName;
        if (name is not null || uid is not null || euid is not null)
        {
            var targetId = isAccountChange ? Meaningful(fields.Get("id")) : null;
            user = new EcsUser
            {
                Name = name,
                Id = uid is not null && IsNumber(uid) ? uid : null,
                Effective = euid is null ? null : new EcsUser { Name = euidName, Id = IsNumber(euid) ? euid : null },
                Target = isAccountChange && (acct is not null || targetId is not null) ? new EcsUser { Name = acct, Id = targetId } : null,
            };
        }
        EcsGroup? group = isGroupChange ? new EcsGroup { Name = Meaningful(fields.Get("grp")) ?? acct, Id = Meaningful(fields.Get("id")) } : null;

        var addr = Meaningful(fields.Get("addr")) ?? Meaningful(fields.Get("src")) ?? Meaningful(fields.Get("saddr"));
        EcsSource? source = null;
        // A canonical dotted quad is its own normalized form (NetAddress would copy it).
        if (addr is not null && CanonicalIPv4.TryRead(addr, out _)) source = new EcsSource { Ip = addr };
        else if (addr is not null && NetAddress.TryReadIp(addr, out var ip)) source = new EcsSource { Ip = ip };
        else if (Meaningful(fields.Get("hostname")) is { } hostname && NetAddress.TryReadPeer(hostname, out var hip, out var hdomain)) source = new EcsSource { Ip = hip, Domain = hdomain };

        var pid = fields.TryGetRaw("pid", out var pidText) && int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : (int?)null;
        var exe = Meaningful(fields.Get("exe"));
        var comm = Meaningful(fields.Get("comm"));
        var cmd = main.Type == "USER_CMD" ? main.Get("cmd") : null;
        // sudo logs the command as one string; split on spaces as Elastic does (quoting inside it is lost).
        var args = execve is not null ? ExecveArgs(execve) : cmd?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var proctitle = FirstOfType(records, "PROCTITLE")?.Get("proctitle");
        var cwd = FirstOfType(records, "CWD")?.Get("cwd") ?? Meaningful(main.Get("cwd"));
        var process = new EcsProcess
        {
            Pid = pid,
            Name = comm ?? (exe is null ? null : System.IO.Path.GetFileName(exe)),
            Executable = exe,
            Args = args,
            CommandLine = cmd ?? proctitle ?? (args is null ? null : string.Join(' ', args)),
            WorkingDirectory = cwd,
        };
        var filePath = FirstPathName(records);

        var labels = new Dictionary<string, string>(MaxLabels, StringComparer.Ordinal)
        {
            [EventFields.CollectorLabel] = main.Collector ?? "",
            [SerialLabel] = e.Serial.ToString(CultureInfo.InvariantCulture),
            [RecordTypesLabel] = AuditLabelText.RecordTypes(records),
        };
        if (e.Node is not null) labels[NodeLabel] = e.Node;
        if (Meaningful(fields.Get("key")) is { } key) labels[KeyLabel] = key;
        if (Meaningful(fields.Get("auid")) is { } auid) labels[AuidLabel] = Meaningful(fields.Interpreted("AUID")) ?? auid;
        if ((Meaningful(fields.Get("terminal")) ?? Meaningful(fields.Get("tty"))) is { } terminal) labels[TerminalLabel] = terminal;

        return new SecurityEvent
        {
            Timestamp = e.Timestamp,
            Event = new EcsEvent
            {
                Kind = "event",
                Category = CategoryOf(main.Type, action),
                Type = InfoType,
                Action = action,
                Outcome = outcome,
                Reason = Meaningful(fields.Get("op")) ?? Meaningful(fields.Get("reason")),
            },
            Source = source,
            User = user,
            Group = group,
            Host = e.Node is not null ? context.Host(e.Node) : EventFields.Host(default, context),
            Process = process.Pid is null && process.Name is null && process.Executable is null && process.CommandLine is null ? null : process,
            File = filePath is null ? null : new EcsFile { Path = filePath },
            Log = new EcsLog { File = string.IsNullOrEmpty(main.Path) ? null : context.LogFile(main.Path), Offset = records[0].Offset },
            Message = main.Text.Length > MaxMessageLength ? main.Text[..MaxMessageLength] : main.Text,
            Labels = labels,
        };
    }

    private static AuditRecord? FirstNonAuxiliary(List<AuditRecord> records)
    {
        foreach (var r in records)
            if (!IsAuxiliary(r.Type)) return r;
        return null;
    }

    private static AuditRecord? FirstOfType(List<AuditRecord> records, string type)
    {
        foreach (var r in records)
            if (r.Type == type) return r;
        return null;
    }

    /// <summary>The first PATH record's name that says something (PATH records without one, e.g. "(null)", are skipped).</summary>
    private static string? FirstPathName(List<AuditRecord> records)
    {
        foreach (var r in records)
            if (r.Type == "PATH" && Meaningful(r.Get("name")) is { } name) return name;
        return null;
    }

    /// <summary>
    /// A field from the event's main record, else from its SYSCALL record (user-space messages have
    /// no SYSCALL; kernel events keep their subject there). A struct: no closure per event.
    /// </summary>
    private readonly struct EventFieldReader
    {
        private readonly AuditRecord _main;
        private readonly AuditRecord? _syscall;

        public EventFieldReader(AuditRecord main, AuditRecord? syscall)
        {
            _main = main;
            // A SYSCALL event's main record is its SYSCALL: asking it twice would only repeat the miss.
            _syscall = ReferenceEquals(main, syscall) ? null : syscall;
        }

        public string? Get(string key) => _main.Get(key) ?? _syscall?.Get(key);

        public string? Interpreted(string key) => _main.GetInterpreted(key) ?? _syscall?.GetInterpreted(key);

        public bool TryGetRaw(string key, out ReadOnlySpan<char> raw)
        {
            if (_main.TryGetRaw(key, out raw)) return true;
            return _syscall is not null && _syscall.TryGetRaw(key, out raw);
        }
    }

    public static string ActionFor(AuditRecord main, AuditRecord? syscall, AuditRecord? execve)
    {
        if (main.Type == "SYSCALL" || main.Type == "EXECVE")
            return execve is not null || IsExecSyscall(syscall ?? main) ? EventActions.AuditExecve : EventActions.AuditSyscall;
        return AuditLabelText.Action(main.Type);
    }

    private static bool IsExecSyscall(AuditRecord r)
    {
        var name = r.GetInterpreted("SYSCALL") ?? r.Get("syscall");
        if (name is "execve" or "execveat") return true;
        var arch = r.Get("arch");
        // x86_64: 59 execve, 322 execveat; i386: 11; aarch64: 221.
        return (arch, name) is ("c000003e" or "x86_64", "59" or "322") or ("40000003" or "i386", "11") or ("c00000b7" or "aarch64", "221");
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

    // One read-only instance per value, shared by every event (nothing downstream can change them).
    private static readonly IReadOnlyList<string> InfoType = Array.AsReadOnly([EcsValues.Info]);
    private static readonly IReadOnlyList<string> ProcessCategory = Array.AsReadOnly([EcsValues.Process]);
    private static readonly IReadOnlyList<string> AuthenticationCategory = Array.AsReadOnly([EcsValues.Authentication]);
    private static readonly IReadOnlyList<string> IamCategory = Array.AsReadOnly([EcsValues.Iam]);
    private static readonly IReadOnlyList<string> ConfigurationCategory = Array.AsReadOnly([EcsValues.Configuration]);
    private static readonly IReadOnlyList<string> SessionCategory = Array.AsReadOnly([EcsValues.Session]);
    private static readonly IReadOnlyList<string> HostCategory = Array.AsReadOnly([EcsValues.Host]);

    private static IReadOnlyList<string> CategoryOf(string type, string action)
    {
        if (action is EventActions.AuditExecve or EventActions.AuditSyscall) return ProcessCategory;
        if (type is "USER_AUTH" or "USER_LOGIN" or "USER_LOGOUT" or "USER_ACCT" or "USER_ERR" or "CRED_ACQ" or "CRED_DISP" or "CRED_REFR") return AuthenticationCategory;
        if (type.StartsWith("ADD_", StringComparison.Ordinal) || type.StartsWith("DEL_", StringComparison.Ordinal)
            || type is "USER_MGMT" or "GRP_MGMT" or "USER_CHAUTHTOK" or "GRP_CHAUTHTOK" or "ACCT_LOCK" or "ACCT_UNLOCK" or "USER_ROLE_CHANGE")
            return IamCategory;
        if (type is "USER_CMD") return ProcessCategory;
        if (type is "CONFIG_CHANGE" || type.StartsWith("DAEMON_", StringComparison.Ordinal)) return ConfigurationCategory;
        if (type is "USER_START" or "USER_END") return SessionCategory;
        return HostCategory;
    }

    private static string[]? ExecveArgs(AuditRecord execve)
    {
        if (!execve.TryGetRaw("argc", out var argcText) || !int.TryParse(argcText, NumberStyles.None, CultureInfo.InvariantCulture, out var argc) || argc is < 0 or > 4096) argc = 4096;
        List<string>? args = null;
        for (var i = 0; i < argc; i++)
        {
            var v = execve.GetArgument(i);
            if (v is null) break;
            (args ??= new List<string>(Math.Min(argc, 16))).Add(v);
        }
        return args is null ? null : [.. args];
    }

    /// <summary>Null for auditd's "nothing here" values.</summary>
    private static string? Meaningful(string? v) => v is null or "" or "?" or "(null)" or "(none)" or "(unknown)" or "unset" or "4294967295" or "-1" ? null : v;

    private static bool IsNumber(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);
}

/// <summary><c>type: audit</c>: auditd's audit.log, records reassembled into events.</summary>
public sealed class AuditLogFormat : ILogFormat
{
    public const string FormatName = "audit";

    public string Name => FormatName;

    public ILogParser CreateParser() => new AuditLogParser();

    public bool LooksLike(ReadOnlySpan<char> line) => AuditRecordParser.LooksLikeRecord(line);
}
