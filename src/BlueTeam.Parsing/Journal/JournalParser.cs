using System.Text;
using System.Text.Json;
using BlueTeam.Parsing.Auth;

namespace BlueTeam.Parsing.Journal;

/// <summary>
/// Reads one journal entry (<c>journalctl -o json</c>) and parses its message exactly as the same
/// message would be parsed from auth.log or kern.log: the entry is turned back into a syslog line
/// (RFC 3339 time, host, identifier[pid]) and given to the auth log parser, so every sshd, sudo,
/// su, account and kernel audit message parser works on the journal with no copy of its logic.
/// </summary>
/// <remarks>
/// <para>Entries of the audit transport (_TRANSPORT=audit) are not read here yet: use the audit.log collector.</para>
/// <para>The program is never taken from <c>SYSLOG_IDENTIFIER</c> alone: any local user can write
/// <c>logger -t sshd "Failed password for root from 6.6.6.6 …"</c>. The identifier is believed only
/// when the fields journald itself sets agree: <c>_COMM</c> (the kernel's name of the sending
/// process, at most 15 characters) or the file name of <c>_EXE</c> equals it, or the sender is
/// root (<c>_UID=0</c>, who could write any log anyway) when journald could not read the process
/// (it had exited: no <c>_COMM</c>/<c>_EXE</c>). Kernel entries (<c>_TRANSPORT=kernel</c>) are the
/// kernel's. Otherwise the entry is parsed as the program <c>_COMM</c> names (<c>logger</c>,
/// <c>bash</c>…), which no sshd, sudo or su parser reads, and an entry with none of these fields is
/// not attributed to any program.</para>
/// </remarks>
public sealed class JournalParser : ILogParser
{
    private const int MaxEntryLength = 64 * 1024;
    private readonly AuthLogParser _auth = new();

    public string Format => JournalFormat.FormatName;

    public SecurityEvent? Parse(RawLine line, ParseContext context)
    {
        if (line.Kind != RawLineKind.Line) return null;
        var text = line.Text;
        if (text.Length < 2 || text.Length > MaxEntryLength || text[0] != '{') return null;

        string? message, identifier, pid, host, realtime, comm, exe, uid, transport;
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 4 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            message = Field(root, "MESSAGE");
            identifier = Field(root, "SYSLOG_IDENTIFIER");
            comm = Field(root, "_COMM");
            exe = Field(root, "_EXE");
            uid = Field(root, "_UID");
            transport = Field(root, "_TRANSPORT");
            pid = Field(root, "SYSLOG_PID") ?? Field(root, "_PID");
            host = Field(root, "_HOSTNAME");
            realtime = Field(root, "__REALTIME_TIMESTAMP");
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return null; // not a journal entry after all; the pipeline counts lines without events
        }
        identifier = TrustedProgram(identifier, comm, exe, uid, transport);
        if (message is null || identifier is null || realtime is null) return null;
        if (!long.TryParse(realtime, NumberStyles.None, CultureInfo.InvariantCulture, out var micros)) return null;
        if (message.AsSpan().IndexOfAny('\n', '\r') >= 0) return null; // one syslog line per entry; multi-line messages are not auth events
        if (identifier.AsSpan().IndexOfAny(" []:") >= 0) return null;

        var time = DateTimeOffset.FromUnixTimeMilliseconds(micros / 1000).AddTicks(micros % 1000 * 10);
        var syslog = new StringBuilder(message.Length + 64)
            .Append(time.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture)).Append(' ')
            // A host that is not one word of a host name could be read as part of the tag ("[sshd]:") by the header parser.
            .Append(string.IsNullOrEmpty(host) || !NetAddress.LooksLikeHostName(host) ? context.DefaultHost ?? "localhost" : host).Append(' ')
            .Append(identifier);
        if (pid is not null && int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var p)) syslog.Append('[').Append(p).Append(']');
        syslog.Append(": ").Append(message);
        return _auth.Parse(line with { Text = syslog.ToString(), Type = AuthLogFormat.FormatName }, context);
    }

    /// <summary>The program the entry is from, as far as journald's own fields vouch for it (see remarks); null when nothing does.</summary>
    internal static string? TrustedProgram(string? identifier, string? comm, string? exe, string? uid, string? transport)
    {
        if (transport is "kernel" or "audit" or "driver") return identifier ?? transport;
        var exeName = exe is null ? null : Path.GetFileName(exe);
        if (identifier is not null)
        {
            // The kernel keeps 15 characters of a process name (TASK_COMM_LEN).
            if (comm is not null && (comm == identifier || (comm.Length == 15 && identifier.StartsWith(comm, StringComparison.Ordinal)))) return identifier;
            if (exeName is not null && exeName == identifier) return identifier;
            if (comm is null && exeName is null && uid == "0") return identifier;
        }
        return comm ?? exeName;
    }

    /// <summary>A journal field as text: journald writes binary-unsafe values as arrays of bytes.</summary>
    private static string? Field(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Array => Utf8(v),
            _ => null,
        };
    }

    private static string? Utf8(JsonElement bytes)
    {
        var buffer = new byte[bytes.GetArrayLength()];
        var i = 0;
        foreach (var b in bytes.EnumerateArray())
        {
            if (b.ValueKind != JsonValueKind.Number || !b.TryGetByte(out var value)) return null;
            buffer[i++] = value;
        }
        return new UTF8Encoding(false, false).GetString(buffer);
    }
}

/// <summary>
/// <c>type: journald</c>: journal entries as <c>journalctl -o json</c> writes them, which only the journald transport
/// reads, so it is this format's transport when the collector names none (<see cref="BlueTeam.Sources.Transports.JournaldTransport"/>).
/// </summary>
public sealed class JournalFormat : ILogFormat
{
    public const string FormatName = BlueTeam.Sources.Transports.JournaldTransport.LineFormat;

    public string Name => FormatName;

    public ILogParser CreateParser() => new JournalParser();

    public IEnumerable<ConfigProblem> Validate(CollectorOptions options)
    {
        if (options.Paths.Count > 0) yield return new("paths", "a journald collector reads the journal, not files: use journal_directory for a journal in another place");
    }
}
