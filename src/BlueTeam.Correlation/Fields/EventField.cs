using System.Collections;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json.Serialization;

namespace BlueTeam.Correlation.Fields;

/// <summary>
/// One ECS field of a <see cref="SecurityEvent"/> named the way ECS names it (<c>source.ip</c>,
/// <c>event.outcome</c>, <c>labels.collector</c>), resolved once when a rule is loaded.
/// </summary>
/// <remarks>
/// <para>The common fields have hand-written readers (they are read for every event). Any other
/// dotted name is resolved against the event type's JSON property names, so a field the parsers
/// add later (<c>url.original</c> on a new <c>EcsUrl</c>) is readable without touching this file.</para>
/// <para>A few ECS fields that the parsers are about to emit (<see cref="PlannedFields"/>) are
/// accepted even before the event type has them: until then they are read from
/// <c>labels["&lt;dotted name&gt;"]</c>, and once the event type has the property, from it first.
/// Any other name is refused at load, so a typo in a rule file is an error, not a rule that never fires.</para>
/// <para><c>source.address</c> is ECS's "IP or domain, whichever the source gave": source.ip, else source.domain
/// (sshd logs a host name instead of the address when UseDNS is on).</para>
/// <para><c>source.network</c> is derived: an IPv4 source as it is, an IPv6 source as its /64 (<c>2001:db8:1:2::/64</c>;
/// <c>source.network/48</c> for another length), else source.domain. A host holds a whole /64, so rules that count per
/// source group by it and an attacker does not escape them by using the next address of its prefix (<see cref="SourceNetwork"/>).</para>
/// <para><c>url.normalized</c> is derived: <c>url.original</c> decoded and normalized by <see cref="UrlNormalizer"/>
/// (two values when the URL carries whitespace controls: with them, and with them removed).</para>
/// </remarks>
public sealed class EventField
{
    /// <summary>ECS fields the coming parsers (accounts, auditd, web) will write.</summary>
    public static readonly IReadOnlySet<string> PlannedFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "url.original", "url.path", "url.query", "url.domain",
        "http.request.method", "http.response.status_code", "http.response.body.bytes",
        "user_agent.original",
        "group.name", "group.id",
        "file.path",
        "destination.ip", "destination.port",
    };

    private readonly Func<SecurityEvent, object?> _read;

    private EventField(string name, Func<SecurityEvent, object?> read)
    {
        Name = name;
        _read = read;
    }

    public string Name { get; }

    /// <summary>The raw value: a string, a number, a list of strings, or null when the event has none.</summary>
    public object? ReadRaw(SecurityEvent e) => _read(e);

    /// <summary>The value as text (the first element of a list); null or empty when absent.</summary>
    public string? ReadText(SecurityEvent e) => ToText(_read(e));

    /// <summary>Every value as text (one for a scalar, each element of a list, none when absent).</summary>
    public IEnumerable<string> ReadAll(SecurityEvent e) => TextsOf(_read(e));

    /// <summary>Every value of a raw field value (<see cref="ReadRaw"/>) as text.</summary>
    internal static IEnumerable<string> TextsOf(object? raw)
    {
        switch (raw)
        {
            case null: yield break;
            case string s: yield return s; break;
            case IEnumerable list:
                foreach (var item in list) if (ToText(item) is { } t) yield return t;
                break;
            case var other: if (ToText(other) is { } text) yield return text; break;
        }
    }

    private static string? ToText(object? value) => value switch
    {
        null => null,
        string s => s,
        IEnumerable list => list.Cast<object?>().Select(ToText).FirstOrDefault(t => t is not null),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString(),
    };

    public override string ToString() => Name;

    /// <summary>Resolves <paramref name="name"/>, or explains why it is not a field.</summary>
    public static bool TryResolve(string name, out EventField field, out string error)
    {
        field = null!;
        error = "";
        if (string.IsNullOrWhiteSpace(name))
        {
            error = "a field name must not be empty";
            return false;
        }
        if (Known.TryGetValue(name, out var read))
        {
            field = new EventField(name, read);
            return true;
        }
        if (SourceNetwork.TryParseName(name, out var prefix, out var prefixError))
        {
            field = new EventField(name, e => SourceNetwork.Of(e.Source, prefix));
            return true;
        }
        if (prefixError is not null)
        {
            error = prefixError;
            return false;
        }
        if (name.StartsWith("labels.", StringComparison.Ordinal) && name.Length > "labels.".Length)
        {
            var label = name["labels.".Length..];
            field = new EventField(name, e => e.Labels is { } l && l.TryGetValue(label, out var v) ? v : null);
            return true;
        }
        var typed = ResolveByJsonName(name);
        if (PlannedFields.Contains(name))
        {
            // Typed property first (once the parsers add it), else the label of the same name.
            field = typed is null
                ? new EventField(name, e => Label(e, name))
                : new EventField(name, e => typed(e) ?? Label(e, name));
            return true;
        }
        if (typed is not null)
        {
            field = new EventField(name, typed);
            return true;
        }
        error = $"unknown field '{name}'; fields are ECS dotted names such as event.action, event.outcome, source.ip, source.address, source.network[/N], user.name, process.name, host.hostname, labels.<name>, url.normalized, {string.Join(", ", PlannedFields.Order(StringComparer.Ordinal))}";
        return false;
    }

    public static EventField Resolve(string name) =>
        TryResolve(name, out var f, out var error) ? f : throw new ArgumentException(error, nameof(name));

    private static string? Label(SecurityEvent e, string name) => e.Labels is { } l && l.TryGetValue(name, out var v) ? v : null;

    private static readonly Dictionary<string, Func<SecurityEvent, object?>> Known = new(StringComparer.Ordinal)
    {
        ["event.kind"] = e => e.Event.Kind,
        ["event.category"] = e => e.Event.Category,
        ["event.type"] = e => e.Event.Type,
        ["event.action"] = e => e.Event.Action,
        ["event.outcome"] = e => e.Event.Outcome,
        ["event.dataset"] = e => e.Event.Dataset,
        ["event.reason"] = e => e.Event.Reason,
        ["source.ip"] = e => e.Source?.Ip,
        ["source.domain"] = e => e.Source?.Domain,
        ["source.port"] = e => e.Source?.Port,
        ["source.address"] = e => e.Source is { } s ? (string.IsNullOrEmpty(s.Ip) ? s.Domain : s.Ip) : null,
        ["user.name"] = e => e.User?.Name,
        ["user.id"] = e => e.User?.Id,
        ["user.target.name"] = e => e.User?.Target?.Name,
        ["user.effective.name"] = e => e.User?.Effective?.Name,
        ["host.hostname"] = e => e.Host?.Hostname,
        ["process.name"] = e => e.Process?.Name,
        ["process.pid"] = e => e.Process?.Pid,
        ["log.file.path"] = e => e.Log?.File?.Path,
        ["log.offset"] = e => e.Log?.Offset,
        ["message"] = e => e.Message,
        ["url.normalized"] = e => UrlNormalizer.FieldValue(e.Url?.Original ?? Label(e, "url.original")),
    };

    /// <summary>Walks the event type by JSON property names; null when some segment is not a property.</summary>
    private static Func<SecurityEvent, object?>? ResolveByJsonName(string name)
    {
        var segments = name.Split('.');
        var chain = new List<PropertyInfo>();
        var type = typeof(SecurityEvent);
        // ECS nests with dots, but a JSON property may itself hold a dot-free multi-word name
        // (user_agent): match segment by segment, greedily joining segments when needed.
        for (var i = 0; i < segments.Length; i++)
        {
            PropertyInfo? match = null;
            for (var j = segments.Length; j > i && match is null; j--)
            {
                var candidate = string.Join('.', segments[i..j]);
                match = JsonProperties(type).GetValueOrDefault(candidate);
                if (match is not null) i = j - 1;
            }
            if (match is null) return null;
            chain.Add(match);
            type = Nullable.GetUnderlyingType(match.PropertyType) ?? match.PropertyType;
        }
        if (type != typeof(string) && !type.IsPrimitive && !typeof(IEnumerable).IsAssignableFrom(type)) return null;
        var props = chain.ToArray();
        if (props.Take(props.Length - 1).All(p => !p.PropertyType.IsValueType)) return Compile(props);
        return e =>
        {
            object? current = e;
            foreach (var p in props)
            {
                if (current is null) return null;
                current = p.GetValue(current);
            }
            return current;
        };
    }

    /// <summary>
    /// The property chain as a compiled delegate (e => e.A?.B?.C, boxed): a reflection walk cost a
    /// <see cref="PropertyInfo.GetValue(object)"/> per segment on every event for the rules that read such fields.
    /// </summary>
    private static Func<SecurityEvent, object?> Compile(PropertyInfo[] props)
    {
        var e = Expression.Parameter(typeof(SecurityEvent), "e");
        var done = Expression.Label(typeof(object), "done");
        var variables = new List<ParameterExpression>();
        var body = new List<Expression>();
        Expression current = e;
        for (var i = 0; i < props.Length; i++)
        {
            var v = Expression.Variable(props[i].PropertyType);
            variables.Add(v);
            body.Add(Expression.Assign(v, Expression.Property(current, props[i])));
            if (i < props.Length - 1)
                body.Add(Expression.IfThen(Expression.Equal(v, Expression.Constant(null, v.Type)), Expression.Return(done, Expression.Constant(null, typeof(object)))));
            current = v;
        }
        body.Add(Expression.Label(done, Expression.Convert(current, typeof(object))));
        return Expression.Lambda<Func<SecurityEvent, object?>>(Expression.Block(typeof(object), variables, body), e).Compile();
    }

    private static Dictionary<string, PropertyInfo> JsonProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name, Property: p))
            .Where(p => p.Name is not null)
            .ToDictionary(p => p.Name!, p => p.Property, StringComparer.Ordinal);
}
