namespace BlueTeam.Parsing.Audit;

/// <summary>
/// Texts an audit event derives from its record types (the action, the record-type list). A log has
/// a handful of distinct ones, so each is built once per thread and shared by every event.
/// </summary>
internal static class AuditLabelText
{
    // Long lists (events of hundreds of PATH records) are rare and would only crowd the cache.
    private const int MaxCachedLength = 256;

    [ThreadStatic] private static BoundedStringCache? t_recordTypes;
    [ThreadStatic] private static BoundedStringCache? t_actions;

    /// <summary>The types of <paramref name="records"/> joined by ',' ("SYSCALL,EXECVE,CWD,PATH,PROCTITLE").</summary>
    public static string RecordTypes(List<AuditRecord> records)
    {
        var length = records.Count - 1;
        foreach (var r in records)
        {
            length += r.Type.Length;
            if (length > MaxCachedLength) return string.Join(',', records.Select(x => x.Type));
        }
        Span<char> buffer = stackalloc char[MaxCachedLength];
        var at = 0;
        foreach (var r in records)
        {
            if (at > 0) buffer[at++] = ',';
            r.Type.AsSpan().CopyTo(buffer[at..]);
            at += r.Type.Length;
        }
        return (t_recordTypes ??= new BoundedStringCache(64, MaxCachedLength)).Get(buffer[..at]);
    }

    /// <summary>
    /// "audit_" and the type lower-cased, anything but letters, digits and '_' made '_'
    /// ("UNKNOWN[1334]" → "audit_unknown_1334_").
    /// </summary>
    public static string Action(string type)
    {
        var length = EventActions.AuditPrefix.Length + type.Length;
        if (length > MaxCachedLength) return EventActions.AuditPrefix + Sanitize(type);
        Span<char> buffer = stackalloc char[length];
        EventActions.AuditPrefix.AsSpan().CopyTo(buffer);
        Sanitize(type, buffer[EventActions.AuditPrefix.Length..]);
        return (t_actions ??= new BoundedStringCache(64, MaxCachedLength)).Get(buffer);
    }

    private static string Sanitize(string type)
    {
        var buffer = new char[type.Length];
        Sanitize(type, buffer);
        return new string(buffer);
    }

    private static void Sanitize(ReadOnlySpan<char> type, Span<char> into)
    {
        for (var i = 0; i < type.Length; i++)
        {
            var c = type[i];
            into[i] = char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_';
        }
    }
}
