using System.Text.Json;
using BlueTeam.Cli.Output;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam status`: is the daemon alive and reading? Reads the heartbeat row(s) the daemon
/// writes every poll interval and the outbox backlog. Exit 0 when the heartbeat is fresh and no
/// source is failing, 1 (and the reason on stderr) when the daemon is down, stale, or a source fails.
/// </summary>
internal static class StatusCommand
{
    private static readonly Option<bool> All = new("--all") { Description = "Every host of the fleet that has ever beaten (exit 1 if any is stale or failing)" };
    private static readonly Option<int> MaxAge = new("--max-age") { Description = "Seconds a heartbeat may be old and still count as fresh (at least 3 poll intervals)", DefaultValueFactory = _ => 0 };
    private static readonly Option<string> Format = new("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };

    /// <summary>
    /// A source state starting with one of these words means the source cannot read (the daemon
    /// reports e.g. "missing: permission denied"); any other state ("reading", "waiting") is healthy.
    /// </summary>
    internal static readonly string[] FailingStatePrefixes = ["error", "failed", "failing", "missing", "denied", "unreadable", "stopped"];

    public static Command Build()
    {
        Format.AcceptOnlyFromAmong("table", "json");
        OptionChecks.AtLeast(MaxAge, 0, "0 (three poll intervals) or more seconds");
        var status = new Command("status", "Is the daemon alive? Heartbeat, counters, sources, outbox (exit 1 if down, stale or a source fails)") { All, MaxAge, Format };
        status.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => StatusAsync(app, parse, token)));
        return status;
    }

    private sealed record HostStatus(string Host, Heartbeat? Beat, TimeSpan? Age, bool Fresh, IReadOnlyList<string> FailingSources)
    {
        public bool Ok => Fresh && FailingSources.Count == 0;
    }

    private static async Task<int> StatusAsync(AppServices app, ParseResult parse, CancellationToken ct)
    {
        var maxAgeSec = parse.GetValue(MaxAge);
        if (maxAgeSec < 0) return await Usage.ErrorAsync("--max-age must not be negative").ConfigureAwait(false);
        var threshold = TimeSpan.FromSeconds(Math.Max(3 * app.Config.Monitoring.PollIntervalSec, maxAgeSec));
        var all = parse.GetValue(All);

        var store = await app.OpenExistingStoreAsync(ct).ConfigureAwait(false);
        var beats = await store.GetHeartbeatsAsync(ct).ConfigureAwait(false);
        var backlog = await store.GetOutboxBacklogAsync(ct).ConfigureAwait(false);
        var now = app.Time.GetUtcNow();

        var hosts = new List<HostStatus>();
        if (all)
        {
            hosts.AddRange(beats.Select(b => Evaluate(b.Host, b, now, threshold)));
        }
        else
        {
            var host = app.Config.Host;
            hosts.Add(Evaluate(host, beats.FirstOrDefault(b => string.Equals(b.Host, host, StringComparison.Ordinal)), now, threshold));
        }

        var problems = new List<string>();
        foreach (var h in hosts)
        {
            var host = Inert.Plain(h.Host, 100);
            if (h.Beat is null) problems.Add($"{host}: daemon down: no heartbeat stored for this host");
            else if (!h.Fresh) problems.Add($"{host}: daemon down or stuck: last heartbeat {DurationText.Format(h.Age!.Value)} ago (fresh means at most {DurationText.Format(threshold)})");
            foreach (var s in h.FailingSources) problems.Add($"{host}: source {Inert.Plain(s, 200)} is failing: {Inert.Plain(h.Beat!.Sources[s], 300)}");
        }
        if (all && hosts.Count == 0) problems.Add("no host has ever written a heartbeat to this store");

        if (parse.GetValue(Format) == "json")
            await JsonOutput.WriteAsync(w => WriteJson(w, hosts, backlog, problems, threshold), ct).ConfigureAwait(false);
        else
            Render(app.Out, hosts, backlog, threshold, all);

        foreach (var p in problems) await Console.Error.WriteLineAsync("blueteam: " + p).ConfigureAwait(false);
        return problems.Count == 0 ? ExitCodes.Ok : ExitCodes.NotOk;
    }

    private static HostStatus Evaluate(string host, Heartbeat? beat, DateTimeOffset now, TimeSpan threshold)
    {
        if (beat is null) return new HostStatus(host, null, null, false, []);
        var age = now - beat.LastBeat;
        var failing = beat.Sources.Where(kv => IsFailing(kv.Value)).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        return new HostStatus(host, beat, age, age <= threshold, failing);
    }

    internal static bool IsFailing(string state)
    {
        var s = state.TrimStart();
        return FailingStatePrefixes.Any(p => s.StartsWith(p, StringComparison.OrdinalIgnoreCase));
    }

    private static string StateWord(HostStatus h) =>
        h.Beat is null ? "down" : !h.Fresh ? "stale" : h.FailingSources.Count > 0 ? "degraded" : "ok";

    private static void Render(IAnsiConsole console, List<HostStatus> hosts, IReadOnlyList<ChannelBacklog> backlog, TimeSpan threshold, bool all)
    {
        var summary = new Table().AddColumns("host", "state", "version", "started", "uptime", "last beat", "sources", "outbox");
        foreach (var h in hosts)
        {
            var state = StateWord(h) switch
            {
                "ok" => "[green]ok[/]",
                "degraded" => "[yellow]degraded[/]",
                var other => $"[red]{other}[/]",
            };
            var b = h.Beat;
            summary.AddRow(
                Inert.Cell(h.Host),
                state,
                Inert.Cell(b?.Version),
                b is null ? "-" : DurationText.Timestamp(b.StartedAt),
                b is null ? "-" : DurationText.Format(b.Uptime),
                b is null ? "never" : $"{DurationText.Format(h.Age!.Value)} ago",
                b is null ? "-" : $"{b.Sources.Count - h.FailingSources.Count}/{b.Sources.Count} ok",
                b is null ? "-" : b.OutboxBacklog.ToString(CultureInfo.InvariantCulture));
        }
        console.Write(summary);
        console.MarkupLine($"fresh means a heartbeat at most {DurationText.Format(threshold)} old");

        // Counters and sources in detail for one host; a fleet listing stays one row per host.
        if (!all && hosts is [{ Beat: { } beat } one])
        {
            if (beat.Sources.Count > 0)
            {
                var sources = new Table().Title("sources").AddColumns("source", "state");
                foreach (var (name, state) in beat.Sources.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    sources.AddRow(Inert.Cell(name, 300), one.FailingSources.Contains(name) ? $"[red]{Inert.Cell(state, 300)}[/]" : Inert.Cell(state, 300));
                console.Write(sources);
            }
            if (beat.Counters.Count > 0)
            {
                var counters = new Table().Title("counters").AddColumn("counter").AddColumn(new TableColumn("value").RightAligned());
                foreach (var (name, value) in beat.Counters.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    counters.AddRow(Inert.Cell(name), value.ToString("N0", CultureInfo.InvariantCulture));
                console.Write(counters);
            }
        }

        if (backlog.Count == 0)
        {
            console.WriteLine("outbox: empty");
            return;
        }
        var outbox = new Table().Title("outbox backlog").AddColumn("channel").AddColumn(new TableColumn("pending").RightAligned()).AddColumn("oldest due");
        foreach (var c in backlog)
            outbox.AddRow(Inert.Cell(c.Channel), c.Pending.ToString(CultureInfo.InvariantCulture), c.OldestDueAt is { } at ? DurationText.Timestamp(at) : "-");
        console.Write(outbox);
    }

    private static void WriteJson(Utf8JsonWriter w, List<HostStatus> hosts, IReadOnlyList<ChannelBacklog> backlog, List<string> problems, TimeSpan threshold)
    {
        w.WriteStartObject();
        w.WriteBoolean("ok", problems.Count == 0);
        w.WriteNumber("fresh_threshold_sec", (long)threshold.TotalSeconds);
        w.WriteObjects("hosts", hosts, (w, h) =>
        {
            w.WriteString("host", h.Host);
            w.WriteString("state", StateWord(h));
            w.WriteBoolean("fresh", h.Fresh);
            if (h.Beat is { } b)
            {
                w.WriteString("version", b.Version);
                w.WriteString("started_at", b.StartedAt);
                w.WriteString("last_beat", b.LastBeat);
                w.WriteNumber("last_beat_age_sec", Math.Round(h.Age!.Value.TotalSeconds, 1));
                w.WriteNumber("uptime_sec", (long)b.Uptime.TotalSeconds);
                w.WriteNumber("outbox_backlog", b.OutboxBacklog);
                w.WriteStartObject("counters");
                foreach (var (name, value) in b.Counters.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteNumber(name, value);
                w.WriteEndObject();
                w.WriteStartArray("sources");
                foreach (var (name, state) in b.Sources.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    w.WriteStartObject();
                    w.WriteString("name", name);
                    w.WriteString("state", state);
                    w.WriteBoolean("failing", h.FailingSources.Contains(name));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
        });
        w.WriteObjects("outbox", backlog, (w, c) =>
        {
            w.WriteString("channel", c.Channel);
            w.WriteNumber("pending", c.Pending);
            w.WriteTimestamp("oldest_due_at", c.OldestDueAt);
        });
        w.WriteStartArray("problems");
        foreach (var p in problems) w.WriteStringValue(p);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
