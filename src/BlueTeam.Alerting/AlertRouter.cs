namespace BlueTeam.Alerting;

/// <summary>Where an incident goes, and why: the routes that matched and the channels they named.</summary>
/// <param name="Channels">The enabled channels the incident goes to, in route order, without duplicates.</param>
/// <param name="MatchedRoutes">Names of the routes that matched (for <c>blueteam routes test</c>).</param>
/// <param name="Dropped">Channels a matching route named that were left out, with the reason (disabled, below min_severity).</param>
public sealed record RouteDecision(IReadOnlyList<string> Channels, IReadOnlyList<string> MatchedRoutes, IReadOnlyList<(string Channel, string Reason)> Dropped);

/// <summary>
/// Decides which channels an incident goes to, from its severity, rule and labels.
/// </summary>
/// <remarks>
/// <para>Routes are checked in order; the first that matches wins, unless it says <c>continue</c>,
/// in which case later matching routes add their channels too (Alertmanager's semantics). With no
/// <see cref="AlertingOptions.Routes"/>, the routes are the design brief's severity table, with
/// <see cref="AlertingOptions.Routing"/> replacing the entries it names.</para>
/// <para>After routing, each channel's own <c>min_severity</c> applies: it is a floor a route cannot
/// lower, so "never page e-mail for low" holds whatever a later route edit says.</para>
/// <para>Routes are checked when the router is built, so a misspelt channel fails at start, not at
/// the first critical incident. A route may name a known channel that is switched off (email is off
/// by default); such a channel is simply left out of the result.</para>
/// </remarks>
public sealed class AlertRouter
{
    /// <summary>The design brief's routing table.</summary>
    public static IReadOnlyDictionary<Severity, IReadOnlyList<string>> DefaultRoutes { get; } = new Dictionary<Severity, IReadOnlyList<string>>
    {
        [Severity.Critical] = [ChannelNames.Email, ChannelNames.Syslog, ChannelNames.Console],
        [Severity.High] = [ChannelNames.Email, ChannelNames.Syslog],
        [Severity.Medium] = [ChannelNames.Syslog],
        [Severity.Low] = [ChannelNames.Syslog],
        [Severity.Info] = [],
    };

    private sealed record CompiledRoute(string Name, Func<SecurityIncident, string, bool> Matches, IReadOnlyList<string> Channels, bool Continue);

    private readonly List<CompiledRoute> _routes = [];
    private readonly HashSet<string> _available;
    private readonly Dictionary<string, Severity> _floors = new(StringComparer.Ordinal);

    /// <param name="options">The alerting section of the config (routing, routes and each channel's min_severity are read).</param>
    /// <param name="availableChannels">Names of the channels that are enabled and built (the keys of <c>ChannelFactory.Create</c>).</param>
    /// <exception cref="ConfigException">A route names a channel blueteam does not have (key <c>alerting.routing.&lt;severity&gt;</c> or <c>alerting.routes[i].channels[j]</c>).</exception>
    public AlertRouter(AlertingOptions options, IEnumerable<string> availableChannels)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(availableChannels);
        _available = new HashSet<string>(availableChannels, StringComparer.Ordinal);
        foreach (var type in Channels.ChannelRegistry.All)
            _floors[type.Name] = type.MinSeverity(options);
        var errors = new List<ConfigError>();

        if (options.Routes is { } routes)
        {
            for (var i = 0; i < routes.Count; i++)
            {
                var r = routes[i];
                var key = $"alerting.routes[{i}]";
                foreach (var p in r.Validate()) errors.Add(new ConfigError($"{key}.{p.Key}", "alerting.routes", p.Message));
                var channels = Resolve(r.Channels, j => $"{key}.channels[{j}]", errors);
                _routes.Add(new CompiledRoute(r.Name ?? $"routes[{i}]", Compile(r.Match), channels, r.Continue));
            }
        }
        else
        {
            // The severity table as exact-severity routes, so both shapes share one code path.
            foreach (var severity in Enum.GetValues<Severity>().Reverse())
            {
                IReadOnlyList<string> wanted = options.Routing is not null && options.Routing.TryGetValue(severity, out var configured)
                    ? configured
                    : DefaultRoutes[severity];
                var channels = Resolve(wanted, _ => $"alerting.routing.{severity.ToName()}", errors);
                _routes.Add(new CompiledRoute($"severity {severity.ToName()}", (i, _) => i.Severity == severity, channels, false));
            }
        }

        if (errors.Count > 0) throw new ConfigException("alerting.routing", errors);
    }

    /// <summary>True when the channel is enabled (built by the factory).</summary>
    public bool IsEnabled(string channel) => _available.Contains(channel);

    /// <summary>The enabled channels an incident of this severity goes to, possibly none (rule and labels not considered).</summary>
    public IReadOnlyList<string> Route(Severity severity) =>
        Route(new SecurityIncident
        {
            Rule = new IncidentRule { Id = "", Name = "" },
            Title = "",
            Severity = severity,
            DetectedBy = "",
            FirstSeen = default,
            LastSeen = default,
            Fingerprint = "",
        }, "").Channels;

    /// <summary>Where this incident goes.</summary>
    /// <param name="incident">The incident.</param>
    /// <param name="host">The host the alert carries, used when the incident names none.</param>
    public RouteDecision Route(SecurityIncident incident, string host)
    {
        ArgumentNullException.ThrowIfNull(incident);
        var channels = new List<string>();
        var matched = new List<string>();
        var dropped = new List<(string, string)>();
        foreach (var route in _routes)
        {
            if (!route.Matches(incident, host)) continue;
            matched.Add(route.Name);
            foreach (var channel in route.Channels)
            {
                if (channels.Contains(channel) || dropped.Any(d => d.Item1 == channel)) continue;
                if (!_available.Contains(channel)) dropped.Add((channel, "channel not enabled"));
                else if (_floors.TryGetValue(channel, out var floor) && incident.Severity < floor)
                    dropped.Add((channel, $"below the channel's min_severity {floor.ToName()}"));
                else channels.Add(channel);
            }
            if (!route.Continue) break;
        }
        return new RouteDecision(channels, matched, dropped);
    }

    private static List<string> Resolve(IEnumerable<string> wanted, Func<int, string> key, List<ConfigError> errors)
    {
        var result = new List<string>();
        var j = 0;
        foreach (var raw in wanted)
        {
            var name = ChannelNames.Known.FirstOrDefault(k => string.Equals(k, raw?.Trim(), StringComparison.OrdinalIgnoreCase));
            if (name is null)
                errors.Add(new ConfigError(key(j), "alerting.routing", $"unknown channel '{raw}' (known channels: {string.Join(", ", ChannelNames.Known)})"));
            else if (!result.Contains(name)) result.Add(name);
            j++;
        }
        return result;
    }

    private static Func<SecurityIncident, string, bool> Compile(RouteMatchOptions match)
    {
        var min = match.MinSeverity;
        var severities = match.Severities is { Count: > 0 } s ? s.ToHashSet() : null;
        var rules = match.Rules is { Count: > 0 } r ? new HashSet<string>(r.Select(x => x.Trim()), StringComparer.Ordinal) : null;
        var labels = match.Labels?.Select(kv => (kv.Key, Pattern: kv.Value)).ToList() ?? [];
        return (incident, host) =>
        {
            if (min is not null && incident.Severity < min) return false;
            if (severities is not null && !severities.Contains(incident.Severity)) return false;
            if (rules is not null && !rules.Contains(incident.Rule.Name)) return false;
            foreach (var (label, pattern) in labels)
                if (!LabelValues(incident, host, label).Any(v => Glob(pattern, v))) return false;
            return true;
        };
    }

    internal static IEnumerable<string> LabelValues(SecurityIncident incident, string host, string label) => label switch
    {
        RouteLabels.Host => [incident.Host?.Hostname ?? host],
        RouteLabels.SourceIp => incident.Source?.Ip is { } ip ? [ip] : [],
        RouteLabels.UserName => incident.User?.Name is { } user ? [user] : [],
        RouteLabels.NistControl => incident.NistControls,
        _ => [],
    };

    // Exact, or a prefix when the pattern ends in '*': enough for "10.0.*" or "eqmon-*" without
    // the surprises of a full glob or regex in an audit-relevant decision.
    internal static bool Glob(string pattern, string value) =>
        pattern.EndsWith('*') ? value.StartsWith(pattern[..^1], StringComparison.Ordinal) : string.Equals(pattern, value, StringComparison.Ordinal);
}
