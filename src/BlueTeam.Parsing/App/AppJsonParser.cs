using System.Text.Json;

namespace BlueTeam.Parsing.App;

/// <summary>
/// eqmon's application log: one JSON object per line, with the event name, user, client address,
/// outcome and, for exports, a record count and CUI flag. Field names come from
/// <see cref="ParseContext.Fields"/> (the collector's <c>fields</c>: ECS name → app field, dotted
/// paths allowed), else <see cref="DefaultFields"/>.
/// </summary>
/// <remarks>
/// Event names are classified by words, since the app's names are not fixed: login/logon/sign-in/auth
/// → app_login; permission denied/forbidden/unauthorized → app_permission_denied; export with a CUI
/// marker (the name says cui, the cui field is true, or classification is CUI) → app_cui_export;
/// anything else → app_event.
/// </remarks>
public sealed class AppJsonParser : IReportsRejections
{
    public const string RecordCountLabel = "record_count";
    public const string CuiLabel = "cui";
    private const int MaxLineLength = 65536;

    /// <summary>The ECS names a collector's <c>fields</c> may map, with the app field read when it does not.</summary>
    public static IReadOnlyDictionary<string, string> DefaultFields { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["@timestamp"] = "timestamp",
        ["event.action"] = "event",
        ["event.outcome"] = "outcome",
        ["event.reason"] = "reason",
        ["user.name"] = "user",
        ["source.ip"] = "ip",
        ["labels.record_count"] = "record_count",
        ["labels.cui"] = "cui",
        ["labels.classification"] = "classification",
        ["url.original"] = "path",
        ["message"] = "message",
    };

    public string Format => AppJsonFormat.FormatName;

    /// <summary>The keys of <paramref name="fields"/> this parser does not know (for config validation).</summary>
    public static IEnumerable<string> UnknownFields(IReadOnlyDictionary<string, string> fields) =>
        fields.Keys.Where(k => !DefaultFields.ContainsKey(k));

    // Why the last line was refused, until the parsing stage takes it (one parsing thread per registry).
    private string? _rejection;

    /// <inheritdoc />
    public string? TakeRejection()
    {
        var reason = _rejection;
        _rejection = null;
        return reason;
    }

    public SecurityEvent? Parse(RawLine line, ParseContext context)
    {
        if (line.Kind != RawLineKind.Line) return null;
        var text = line.Text.AsSpan().Trim();
        if (text.Length < 2 || text.Length > MaxLineLength || text[0] != '{' || text[^1] != '}') return null;

        JsonDocument doc;
        try
        {
            // Duplicate keys are refused: with two "ip" keys the attacker who writes the second one would
            // choose who is blamed (JsonElement lookups return the last), so the line is ambiguous and dropped.
            doc = JsonDocument.Parse(line.Text, Options);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // Not JSON after all (a torn or corrupted line, nested too deep, a duplicated key, text JsonDocument
            // cannot transcode, or a key with a lone surrogate escape, which the duplicate check cannot compare):
            // not an app event, and said so, so that the parsing stage counts the line as skipped.
            _rejection = "JSON line refused: " + e.Message;
            return null;
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            try
            {
                return EventOf(doc.RootElement, line, context);
            }
            catch (InvalidOperationException)
            {
                // JsonDocument accepts a lone surrogate escape ("\ud800") and only GetString throws on it: a
                // value no UTF-16 string can hold is hostile or corrupt, so the whole line is dropped rather
                // than read with that field missing (a missing source.ip must not be the attacker's choice).
                _rejection = "JSON line refused: a value holds a lone surrogate escape";
                return null;
            }
        }
    }

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    private static SecurityEvent? EventOf(JsonElement root, RawLine line, ParseContext context)
    {
        string? Str(string ecs) => Read(root, FieldName(context, ecs));

        var name = Str("event.action");
        if (string.IsNullOrWhiteSpace(name)) return null;
        var lower = name.ToLowerInvariant();
        var outcome = OutcomeOf(Str("event.outcome"), lower);
        var cui = IsTrue(Str("labels.cui")) || string.Equals(Str("labels.classification"), "cui", StringComparison.OrdinalIgnoreCase);

        string action;
        // Refusals first: "unauthorized" must not read as an authentication event.
        if (ContainsAny(lower, "permission_denied", "permission denied", "permission-denied", "access_denied", "forbidden", "unauthorized", "not_authorized"))
        {
            action = EventActions.AppPermissionDenied;
            outcome = EcsValues.Failure;
        }
        else if (ContainsAny(lower, "login", "logon", "signin", "sign_in", "sign-in", "authenticat") || lower.StartsWith("auth.", StringComparison.Ordinal) || lower.StartsWith("auth_", StringComparison.Ordinal))
            action = EventActions.AppLogin;
        else if (lower.Contains("export", StringComparison.Ordinal) && (cui || lower.Contains("cui", StringComparison.Ordinal)))
        {
            action = EventActions.AppCuiExport;
            cui = true;
            outcome ??= EcsValues.Success;
        }
        else action = EventActions.AppEvent;

        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { [EventFields.CollectorLabel] = line.Collector ?? "" };
        if (Str("labels.record_count") is { } count && long.TryParse(count, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            labels[RecordCountLabel] = n.ToString(CultureInfo.InvariantCulture);
        if (cui) labels[CuiLabel] = "true";

        var user = Str("user.name");
        var ipText = Str("source.ip");
        EcsSource? source = null;
        if (ipText is not null && NetAddress.TryReadPeer(ipText, out var ip, out var domain)) source = new EcsSource { Ip = ip, Domain = domain };
        var url = Str("url.original");

        return new SecurityEvent
        {
            Timestamp = TimestampOf(root, FieldName(context, "@timestamp"), context),
            Event = new EcsEvent
            {
                Category = action == EventActions.AppLogin ? [EcsValues.Authentication] : action == EventActions.AppCuiExport ? [EcsValues.File] : [EcsValues.Web],
                Type = action == EventActions.AppPermissionDenied ? [EcsValues.Denied] : [EcsValues.Info],
                Action = action,
                Outcome = outcome,
                Reason = action == EventActions.AppEvent ? name : Str("event.reason"),
            },
            Source = source,
            User = string.IsNullOrEmpty(user) ? null : new EcsUser { Name = user },
            Host = EventFields.Host(default, context),
            Url = url is null ? null : new EcsUrl { Original = url },
            Log = EventFields.Log(line, context),
            Message = Str("message") ?? line.Text,
            Labels = labels,
        };
    }

    private static string FieldName(ParseContext context, string ecs) =>
        context.Fields is { } f && f.TryGetValue(ecs, out var app) && !string.IsNullOrEmpty(app) ? app : DefaultFields[ecs];

    /// <summary>A dotted path's value as text (strings as is, numbers and booleans as written); null when absent.</summary>
    private static string? Read(JsonElement root, string path)
    {
        var e = root;
        foreach (var part in path.Split('.'))
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e)) return null;
        }
        return e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
            _ => null,
        };
    }

    private static DateTimeOffset TimestampOf(JsonElement root, string path, ParseContext context)
    {
        var text = Read(root, path);
        if (text is null) return context.Now;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var epoch) && epoch is > 0 and < 1e14)
            // Seconds or milliseconds since the epoch: anything past 1e11 (year 5138 in seconds) is milliseconds.
            return epoch > 1e11 ? DateTimeOffset.FromUnixTimeMilliseconds((long)epoch) : DateTimeOffset.FromUnixTimeMilliseconds((long)(epoch * 1000));
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var dt))
        {
            var hasZone = text.EndsWith('Z') || text.EndsWith('z') || HasOffset(text);
            if (hasZone && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dto)) return dto;
            var local = DateTime.SpecifyKind(dt, DateTimeKind.Unspecified);
            return new DateTimeOffset(local, context.TimeZone.GetUtcOffset(local));
        }
        return context.Now;
    }

    private static bool HasOffset(string s)
    {
        var t = s.LastIndexOf('T');
        if (t < 0) return false;
        var tail = s.AsSpan(t);
        return tail.Contains('+') || tail.Contains('-');
    }

    private static string? OutcomeOf(string? value, string lowerName)
    {
        switch (value?.ToLowerInvariant())
        {
            case "success" or "succeeded" or "ok" or "true" or "allowed" or "granted": return EcsValues.Success;
            case "failure" or "failed" or "fail" or "false" or "denied" or "error" or "rejected": return EcsValues.Failure;
        }
        if (ContainsAny(lowerName, "fail", "denied", "invalid", "reject", "error")) return EcsValues.Failure;
        if (ContainsAny(lowerName, "success", "succeeded", "_ok")) return EcsValues.Success;
        return null;
    }

    private static bool IsTrue(string? v) => v is not null && (v.Equals("true", StringComparison.OrdinalIgnoreCase) || v == "1" || v.Equals("yes", StringComparison.OrdinalIgnoreCase));

    private static bool ContainsAny(string s, params ReadOnlySpan<string> words)
    {
        foreach (var w in words)
            if (s.Contains(w, StringComparison.Ordinal)) return true;
        return false;
    }
}

/// <summary>
/// <c>type: json</c>: an application's JSON log, one object per line; the collector's <c>fields</c> say which
/// of the application's fields holds each ECS field (<see cref="AppJsonParser.DefaultFields"/> name the ECS
/// fields it may map, and the application fields read when it does not).
/// </summary>
public sealed class AppJsonFormat : ILogFormat
{
    public const string FormatName = "json";

    public string Name => FormatName;

    public ILogParser CreateParser() => new AppJsonParser();

    public IEnumerable<ConfigProblem> Validate(CollectorOptions options) =>
        AppJsonParser.UnknownFields(options.Fields).Select(key => new ConfigProblem($"fields.{key}",
            $"not an ECS field the json format maps (known: {string.Join(", ", AppJsonParser.DefaultFields.Keys.Order(StringComparer.Ordinal))})"));

    public bool LooksLike(ReadOnlySpan<char> line) => line.TrimStart().StartsWith('{');
}
