using BlueTeam.Engine.Daemon;
using Spectre.Console.Rendering;

namespace BlueTeam.Cli.Monitoring;

/// <summary>
/// What the live dashboard shows, built from the daemon's counters: per-source lines and lag,
/// incidents by severity, deliveries per channel, the last incidents and the last log lines.
/// Every piece of text from logs or incidents is a plain <see cref="Text"/> (never markup) and
/// made inert first, so a hostile username cannot draw on the analyst's screen.
/// </summary>
/// <remarks>
/// Laid out for the terminal's current size on every frame, so it fits 80×24 and follows a resize:
/// every line is cut to the width (never wrapped), and the rows of sources, incidents and log lines
/// share what height is left after the fixed lines, so nothing scrolls the header away.
/// </remarks>
internal static class DashboardView
{
    private const int MinWidth = 40;
    private const int MinHeight = 12;
    // header, severity line, deliveries line, footer, and the three sections' titles and column headers.
    private const int FixedLines = 4 + 1 + 2 + 2 + 1;

    public static IRenderable Render(DaemonStats stats, DaemonRuntime runtime, LineQueue queue, string store, LogRing log, DateTimeOffset now, int width, int height)
    {
        width = Math.Max(MinWidth, width);
        height = Math.Max(MinHeight, height);
        var config = runtime.Current.Config;
        var rows = new List<IRenderable>();

        var uptime = now - stats.StartedAt;
        rows.Add(Line(width, ("blueteam", new Style(Color.Blue, decoration: Decoration.Bold)),
            ($" · {SafeText.Inert(config.Host, 40)} · up {uptime:d\\.hh\\:mm\\:ss} · queue {queue.Depth}/{LineQueue.Capacity}"
             + $" · lines {stats.Lines:N0} · events {stats.Events:N0}" + (stats.Reloads > 0 ? $" · reloads {stats.Reloads}" : "")
             + $" · {SafeText.Inert(store, 60)}", Style.Plain)));

        var severities = new List<(string, Style)> { ("incidents this session:", Style.Plain) };
        foreach (var sev in new[] { Severity.Critical, Severity.High, Severity.Medium, Severity.Low, Severity.Info })
            severities.Add(($" {sev.ToName()} {stats.IncidentsOf(sev).ToString(CultureInfo.InvariantCulture)}", SeverityStyle(sev)));
        rows.Add(Line(width, [.. severities]));

        var deliveries = new List<(string, Style)> { ("deliveries:", Style.Plain) };
        foreach (var name in runtime.Current.Channels.Keys.Order(StringComparer.Ordinal))
        {
            stats.Channels.TryGetValue(name, out var c);
            var failed = c?.Failed ?? 0;
            deliveries.Add(($" {name} {(c?.Delivered ?? 0).ToString(CultureInfo.InvariantCulture)} sent", Style.Plain));
            if (failed > 0) deliveries.Add(($" {failed.ToString(CultureInfo.InvariantCulture)} failed", new Style(Color.Red)));
            if (c?.Retried > 0) deliveries.Add(($" {c.Retried.ToString(CultureInfo.InvariantCulture)} retried", new Style(Color.Yellow)));
            if (stats.Pending.TryGetValue(name, out var pending) && pending > 0)
                deliveries.Add(($" {pending.ToString(CultureInfo.InvariantCulture)} pending", new Style(Color.Yellow)));
            deliveries.Add((" ·", Style.Plain));
        }
        if (deliveries.Count > 1) deliveries.RemoveAt(deliveries.Count - 1);
        else deliveries.Add((" no channel", Style.Plain));
        rows.Add(Line(width, [.. deliveries]));

        var sources = stats.Sources.OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        var recent = stats.RecentIncidents();
        var logLines = log.Last(50);
        var (sourceRows, incidentRows, logRows) = Share(height - FixedLines, sources.Count, Math.Max(1, recent.Count), logLines.Count);

        rows.Add(Title(width, "Sources", sources.Count, sourceRows));
        rows.Add(Line(width, (Columns(width, ("source", 24), ("lines", 10), ("last line", 10), ("state", 0)), new Style(Color.Grey))));
        foreach (var (name, s) in sources.Take(sourceRows))
        {
            var lag = s.LastLineAt is { } t ? Age(now - t) : "-";
            var ok = s.State == "ok";
            rows.Add(Line(width, (Columns(width, (SafeText.Inert(name, 40), 24), (s.Lines.ToString("N0", CultureInfo.InvariantCulture), 10), (lag, 10)), Style.Plain),
                (ok ? "ok" : SafeText.Inert(s.State, 200), ok ? new Style(Color.Green) : new Style(Color.Red))));
        }

        rows.Add(Title(width, "Last incidents", recent.Count, incidentRows));
        var showTitle = width >= 100;
        rows.Add(Line(width, (Columns(width, ("last seen", 15), ("severity", 9), ("rule", 24), ("key", showTitle ? 24 : 0)) + (showTitle ? "title" : ""), new Style(Color.Grey))));
        if (recent.Count == 0) rows.Add(Line(width, ("none yet", new Style(Color.Grey))));
        foreach (var r in recent.Take(incidentRows))
        {
            var local = r.LastSeen.ToLocalTime();
            var when = local.ToString(local.Date == now.ToLocalTime().Date ? "HH:mm:ss" : "MM-dd HH:mm", CultureInfo.InvariantCulture);
            rows.Add(Line(width, (Columns(width, (when, 15)), Style.Plain), (Columns(width, (r.Severity.ToName(), 9)), SeverityStyle(r.Severity)),
                (Columns(width, (SafeText.Inert(r.Rule, 40), 24), (SafeText.Inert(r.Key, 45), showTitle ? 24 : 0)) + (showTitle ? SafeText.Inert(r.Title, 200) : ""), Style.Plain)));
        }

        rows.Add(Title(width, "Log", logLines.Count, logRows));
        foreach (var l in logLines.Skip(logLines.Count - logRows)) rows.Add(Line(width, (SafeText.Inert(l, 400), new Style(Color.Grey))));

        rows.Add(Line(width, ("Ctrl+C stops (drains and commits) · SIGHUP reloads the config", new Style(Color.Grey))));
        return new Rows(rows);
    }

    /// <summary>
    /// Rows for each section out of <paramref name="budget"/>: every section gets at least one, sources
    /// (rarely many) up to a quarter, incidents up to half of what is left, the log the rest.
    /// </summary>
    internal static (int Sources, int Incidents, int Log) Share(int budget, int sources, int incidents, int log)
    {
        budget = Math.Max(3, budget);
        var s = Math.Clamp(sources, 1, Math.Max(1, budget / 4));
        var i = Math.Clamp(incidents, 1, Math.Max(1, (budget - s) / 2));
        var l = Math.Clamp(log, 0, Math.Max(0, budget - s - i));
        // A short log leaves its rows to the incidents.
        i = Math.Clamp(incidents, 1, Math.Max(1, budget - s - l));
        return (s, i, l);
    }

    private static Paragraph Title(int width, string name, int total, int shown)
    {
        var title = $"── {name}" + (total > shown ? $" ({shown} of {total})" : "") + " ";
        return Line(width, (title + new string('─', Math.Max(0, width - title.Length)), new Style(Color.Blue)));
    }

    /// <summary>Fixed-width columns (the last one, width 0, takes what is left), each cut with an ellipsis.</summary>
    private static string Columns(int width, params (string Text, int Width)[] columns)
    {
        var line = new System.Text.StringBuilder();
        foreach (var (text, w) in columns)
        {
            if (w == 0) { line.Append(text); continue; }
            line.Append(Fit(text, w - 1).PadRight(w));
        }
        return line.ToString();
    }

    /// <summary>One terminal line of styled pieces, cut to <paramref name="width"/> (never wrapped).</summary>
    private static Paragraph Line(int width, params (string Text, Style Style)[] pieces)
    {
        var left = width;
        var text = new Paragraph();
        foreach (var (piece, style) in pieces)
        {
            if (left <= 0) break;
            var cut = Fit(piece.ReplaceLineEndings(" "), left);
            text.Append(cut, style);
            left -= cut.Length;
        }
        return text.Overflow(Overflow.Crop);
    }

    private static string Fit(string text, int width) => text.Length <= width ? text : width <= 1 ? text[..width] : text[..(width - 1)] + "…";

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
