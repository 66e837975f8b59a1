namespace BlueTeam.Alerting;

/// <summary>
/// Routes that cannot do what they look like they do, said by <c>blueteam config check</c>: an enabled
/// channel that no route sends to (configured, and silently never used), and a route that names a
/// channel that is not enabled (its incidents never reach it).
/// </summary>
public static class RouteWarnings
{
    /// <param name="enabled">The channels the config enables (their names).</param>
    public static IReadOnlyList<string> For(AlertingOptions options, IEnumerable<string> enabled)
    {
        var on = new HashSet<string>(enabled, StringComparer.OrdinalIgnoreCase);
        var routed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var warnings = new List<string>();
        void Route(string where, IEnumerable<string> channels)
        {
            foreach (var channel in channels)
            {
                routed.Add(channel);
                if (!on.Contains(channel))
                    warnings.Add($"{where} sends to '{channel}', which is not enabled: those incidents reach no {channel} (enable alerting.{channel.ToLowerInvariant()}, or take it out of the route)");
            }
        }
        if (options.Routes is { } routes)
            for (var i = 0; i < routes.Count; i++) Route($"alerting.routes[{i}]{(routes[i].Name is { } n ? $" ({n})" : "")}", routes[i].Channels);
        else
            foreach (var severity in Enum.GetValues<Severity>().Reverse())
            {
                var configured = options.Routing is not null && options.Routing.TryGetValue(severity, out var c);
                var channels = configured ? options.Routing![severity] : AlertRouter.DefaultRoutes[severity];
                // The default table names channels a host may not use (email); only what the config wrote is worth a warning.
                if (configured) Route($"alerting.routing.{severity.ToName()}", channels);
                else foreach (var channel in channels) routed.Add(channel);
            }
        foreach (var channel in on.Order(StringComparer.Ordinal))
            if (!routed.Contains(channel))
                warnings.Add($"alerting.{channel} is enabled but no route sends to it: it is never used (add it to alerting.routes or alerting.routing, or disable it)");
        return warnings;
    }
}
