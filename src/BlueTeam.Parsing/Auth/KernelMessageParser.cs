namespace BlueTeam.Parsing.Auth;

/// <summary>
/// The kernel's reports that its audit subsystem is dropping records (<c>audit: backlog limit exceeded</c>,
/// <c>audit: audit_backlog=N &gt; audit_backlog_limit=M</c>, <c>audit: audit_lost=N …</c>,
/// <c>audit: kauditd hold queue overflow</c>), from kern.log / syslog lines: the audit trail has a gap (NIST 3.3.4).
/// </summary>
public sealed class KernelMessageParser : IAuthMessageParser
{
    public const string AuditLostLabel = "audit_lost";

    public bool Handles(ReadOnlySpan<char> program) => program.SequenceEqual("kernel");

    public SecurityEvent? Parse(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var m = record.Message;
        if (m.Length > 1024) return null;
        // printk's "[12345.678901] " uptime prefix, when the kernel log keeps it.
        if (m.Length > 0 && m[0] == '[')
        {
            var close = m.IndexOf("] ", StringComparison.Ordinal);
            if (close < 0) return null;
            m = m[(close + 2)..];
        }
        if (!m.StartsWith("audit: ", StringComparison.Ordinal)) return null;
        var body = m[7..];

        if (body.StartsWith("backlog limit exceeded", StringComparison.Ordinal) || body.StartsWith("audit_backlog=", StringComparison.Ordinal))
            return Build(record, line, context, EventActions.AuditBacklogLimitExceeded, "backlog limit exceeded", null);
        if (body.StartsWith("kauditd hold queue overflow", StringComparison.Ordinal))
            return Build(record, line, context, EventActions.AuditEventsLost, "kauditd hold queue overflow", null);
        var lost = AuthEvent.Value(body, "audit_lost");
        if (!lost.IsEmpty)
            return Build(record, line, context, EventActions.AuditEventsLost, "audit records lost", AuthEvent.Label(AuditLostLabel, lost.ToString()));
        return null;
    }

    private static SecurityEvent Build(in SyslogRecord record, RawLine line, ParseContext context, string action, string reason, KeyValuePair<string, string>? label) =>
        AuthEvent.Create(record, line, context, action, EcsValues.Failure, EcsLists.Host, EcsLists.Error,
            reason: reason, labels: label is { } l ? [l] : null);
}
