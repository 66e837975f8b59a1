using System.Globalization;
using BlueTeam.Core.Events;
using BlueTeam.Core.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace BlueTeam.Cli.Monitoring;

/// <summary>
/// What the live dashboard shows, built from the daemon's counters: per-source events and lag,
/// incidents by severity, deliveries per channel, the last incidents and the last log lines.
/// Every piece of text from logs or incidents is a plain <see cref="Text"/> (never markup) and
/// made inert first, so a hostile username cannot draw on the analyst's screen.
/// </summary>
internal static class DashboardView
{
    public static IRenderable Render(DaemonStats stats, DaemonRuntime runtime, LineQueue queue, string store, LogRing log, DateTimeOffset now)
    {
        var config = runtime.Current.Config;
        var uptime = now - stats.StartedAt;
        var header = new Markup(
            $"[bold blue]blueteam[/] · {Esc(config.Host)} · up {uptime:d\\.hh\\:mm\\:ss} · {Esc(store)} · queue {queue.Depth}/{LineQueue.Capacity}"
            + $" · lines {stats.Lines:N0} · events {stats.Events:N0}" + (stats.Reloads > 0 ? $" · reloads {stats.Reloads}" : ""));

        var sources = new Table().Border(TableBorder.Rounded).Title("Sources").AddColumns("source", "lines", "last line", "state");
        foreach (var (name, s) in stats.Sources.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var lag = s.LastLineAt is { } t ? Age(now - t) : "-";
            var state = s.State == "ok" ? new Text("ok", new Style(Color.Green)) : new Text(SafeText.Inert(s.State, 60), new Style(Color.Red));
            sources.AddRow(new Text(SafeText.Inert(name, 40)), new Text(s.Lines.ToString("N0", CultureInfo.InvariantCulture)), new Text(lag), state);
        }

        var severities = new Table().Border(TableBorder.Rounded).Title("Incidents (new this session)");
        var counts = new List<IRenderable>();
        foreach (var sev in new[] { Severity.Critical, Severity.High, Severity.Medium, Severity.Low, Severity.Info })
        {
            severities.AddColumn(new TableColumn(new Text(sev.ToName(), SeverityStyle(sev))).Centered());
            counts.Add(new Text(stats.IncidentsOf(sev).ToString(CultureInfo.InvariantCulture)));
        }
        severities.AddRow(counts);

        var deliveries = new Table().Border(TableBorder.Rounded).Title("Deliveries").AddColumns("channel", "delivered", "failed", "retried");
        foreach (var name in runtime.Current.Channels.Keys.Order(StringComparer.Ordinal))
        {
            stats.Channels.TryGetValue(name, out var c);
            deliveries.AddRow(new Text(name), new Text((c?.Delivered ?? 0).ToString(CultureInfo.InvariantCulture)),
                new Text((c?.Failed ?? 0).ToString(CultureInfo.InvariantCulture), c?.Failed > 0 ? new Style(Color.Red) : Style.Plain),
                new Text((c?.Retried ?? 0).ToString(CultureInfo.InvariantCulture)));
        }

        var recent = new Table().Border(TableBorder.Rounded).Title("Last incidents").AddColumns("last seen", "severity", "rule", "key", "title");
        foreach (var r in stats.RecentIncidents())
            recent.AddRow(new Text(r.LastSeen.ToString("MM-dd HH:mm:ss", CultureInfo.InvariantCulture)), new Text(r.Severity.ToName(), SeverityStyle(r.Severity)),
                new Text(SafeText.Inert(r.Rule, 40)), new Text(SafeText.Inert(r.Key, 45)), new Text(SafeText.Inert(r.Title, 70)));
        if (stats.RecentIncidents().Count == 0) recent.AddRow(new Text("-"), new Text(""), new Text(""), new Text(""), new Text("none yet"));

        var logLines = log.Last(6).Select(l => (IRenderable)new Text(SafeText.Inert(l, 160), new Style(Color.Grey))).ToList();
        if (logLines.Count == 0) logLines.Add(new Text("(no log lines)", new Style(Color.Grey)));
        var logPanel = new Panel(new Rows(logLines)).Header("Log").Border(BoxBorder.Rounded).Expand();

        return new Rows(header, new Columns(sources, severities, deliveries).Collapse(), recent, logPanel, new Markup("[grey]Ctrl+C stops (drains and commits) · SIGHUP reloads the config[/]"));
    }

    private static string Esc(string s) => Markup.Escape(SafeText.Inert(s, 80));

    private static string Age(TimeSpan t) => t.TotalSeconds < 60 ? $"{t.TotalSeconds:F0}s ago" : t.TotalMinutes < 60 ? $"{t.TotalMinutes:F0}m ago" : $"{t.TotalHours:F0}h ago";

    private static Style SeverityStyle(Severity s) => s switch
    {
        Severity.Critical => new Style(Color.Red, decoration: Decoration.Bold),
        Severity.High => new Style(Color.Red),
        Severity.Medium => new Style(Color.Yellow),
        Severity.Low => new Style(Color.Blue),
        _ => Style.Plain,
    };
}
