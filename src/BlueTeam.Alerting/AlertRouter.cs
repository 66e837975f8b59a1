using BlueTeam.Core.Config;
using BlueTeam.Core.Events;

namespace BlueTeam.Alerting;

/// <summary>
/// Decides which channels an incident goes to, from its severity.
/// </summary>
/// <remarks>
/// The default is the design brief's table; <see cref="AlertingOptions.Routing"/> replaces the
/// entries it names (an empty list means "nowhere") and leaves the others at their default.
/// Routes are checked when the router is built, so a misspelt channel fails at start, not at the
/// first critical incident. A route may name a known channel that is switched off (email is off
/// by default); such a channel is simply left out of the result.
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

    private readonly Dictionary<Severity, IReadOnlyList<string>> _routes = [];

    /// <param name="options">The alerting section of the config (only <c>Routing</c> is read).</param>
    /// <param name="availableChannels">Names of the channels that are enabled and built (the keys of <c>ChannelFactory.Create</c>).</param>
    /// <exception cref="ConfigException">A route names a channel blueteam does not have; key <c>alerting.routing.&lt;severity&gt;</c>.</exception>
    public AlertRouter(AlertingOptions options, IEnumerable<string> availableChannels)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(availableChannels);
        var available = new HashSet<string>(availableChannels, StringComparer.Ordinal);
        var errors = new List<ConfigError>();

        foreach (var severity in Enum.GetValues<Severity>())
        {
            IReadOnlyList<string> wanted = options.Routing is not null && options.Routing.TryGetValue(severity, out var configured)
                ? configured
                : DefaultRoutes[severity];

            var route = new List<string>();
            foreach (var raw in wanted)
            {
                var name = ChannelNames.Known.FirstOrDefault(k => string.Equals(k, raw?.Trim(), StringComparison.OrdinalIgnoreCase));
                if (name is null)
                {
                    errors.Add(new ConfigError($"alerting.routing.{severity.ToName()}", "alerting.routing",
                        $"unknown channel '{raw}' (known channels: {string.Join(", ", ChannelNames.Known)})"));
                    continue;
                }
                if (available.Contains(name) && !route.Contains(name)) route.Add(name);
            }
            _routes[severity] = route;
        }

        if (errors.Count > 0) throw new ConfigException("alerting.routing", errors);
    }

    /// <summary>The enabled channels an incident of this severity goes to, possibly none.</summary>
    public IReadOnlyList<string> Route(Severity severity) =>
        _routes.TryGetValue(severity, out var route) ? route : [];
}
