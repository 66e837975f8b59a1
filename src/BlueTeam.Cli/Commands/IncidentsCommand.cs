using BlueTeam.Cli.Output;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam incidents list|show`: every stored incident, whatever its route (info and silenced
/// ones included), with its triage state; `show` is the same view as `alerts show`.
/// </summary>
internal static class IncidentsCommand
{
    private static readonly Option<string?> Since = new("--since") { Description = "Only incidents last seen since then: a duration back from now (24h, 7d) or an ISO 8601 time" };
    private static readonly Option<string?> MinSeverity = new("--severity") { Description = "Only incidents of at least this severity (info, low, medium, high, critical)" };
    private static readonly Option<string?> Rule = new("--rule") { Description = "Only incidents of this rule (name or id)" };
    private static readonly Option<string?> Host = new("--host") { Description = "Only incidents of this host" };
    private static readonly Option<int> Limit = new("--limit", "-n") { Description = "At most this many, newest first", DefaultValueFactory = _ => 100 };
    private static readonly Option<string> Format = new("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };

    public static Command Build()
    {
        Format.AcceptOnlyFromAmong("table", "json");
        OptionChecks.AtLeast(Limit, 1, "at least 1");
        var list = new Command("list", "List stored incidents, newest first, with their triage state") { Since, MinSeverity, Rule, Host, Limit, Format };
        list.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => ListAsync(app, parse, token)));

        var show = IncidentView.ShowCommand("The incident's id (from incidents list)", "One incident in full: evidence, deliveries, triage and audit-chain entries");

        return new Command("incidents", "Every stored incident, info and silenced included") { list, show };
    }

    private static async Task<int> ListAsync(AppServices app, ParseResult parse, CancellationToken ct)
    {
        var query = new AlertQuery { Limit = parse.GetValue(Limit), RuleName = parse.GetValue(Rule), Host = parse.GetValue(Host) };
        if (query.Limit <= 0)
            return await Usage.ErrorAsync("--limit must be at least 1").ConfigureAwait(false);
        if (parse.GetValue(MinSeverity) is { } s)
        {
            if (!SeverityNames.TryParse(s, out var sev))
                return await Usage.ErrorAsync($"--severity must be one of {SeverityNames.AllNames}").ConfigureAwait(false);
            query = query with { MinSeverity = sev };
        }
        if (parse.GetValue(Since) is { } sinceText)
        {
            if (!DurationText.TryParseSince(sinceText, app.Time.GetUtcNow(), out var since))
                return await Usage.ErrorAsync($"--since '{Inert.Plain(sinceText, 40)}' is neither a duration (30m, 24h, 7d) nor an ISO 8601 time").ConfigureAwait(false);
            query = query with { Since = since };
        }

        var store = await app.OpenExistingStoreAsync(ct).ConfigureAwait(false);
        // One more than asked, to tell the reader when the list was cut.
        var alerts = await store.ListAlertsAsync(query with { Limit = query.Limit + 1 }, ct).ConfigureAwait(false);
        var truncated = alerts.Count > query.Limit;
        if (truncated) alerts = alerts.Take(query.Limit).ToList();
        var ids = alerts.Select(a => a.Id).ToList();
        var triage = (await store.ListTriageAsync(ids, ct).ConfigureAwait(false)).ToDictionary(t => t.AlertId);
        var deliveries = (await store.ListDeliveriesAsync(ids, ct).ConfigureAwait(false)).ToLookup(d => d.AlertId);

        if (parse.GetValue(Format) == "json")
        {
            await JsonOutput.WriteObjectsAsync(alerts, (w, a) =>
            {
                IncidentView.WriteFields(w, a, triage.GetValueOrDefault(a.Id));
                IncidentView.WriteDeliveries(w, deliveries[a.Id]);
            }, ct).ConfigureAwait(false);
        }
        else if (alerts.Count == 0)
        {
            app.Out.WriteLine("no incidents match");
        }
        else
        {
            var table = new Table().AddColumns("id", "last seen", "severity", "rule", "host", "source.ip", "user", "events", "triage", "title", "deliveries");
            foreach (var a in alerts)
            {
                var i = a.Incident;
                table.AddRow(
                    a.Id.ToString(CultureInfo.InvariantCulture),
                    DurationText.Timestamp(i.LastSeen),
                    IncidentView.SeverityMarkup(i.Severity),
                    Inert.Cell(i.Rule.Name),
                    Inert.Cell(a.Host),
                    Inert.Cell(i.Source?.Ip),
                    Inert.Cell(i.User?.Name),
                    i.EventCount.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(IncidentView.TriageState(triage.GetValueOrDefault(a.Id), i.Severity)),
                    Inert.Cell(i.Title, 120),
                    Inert.Cell(IncidentView.DeliverySummary(deliveries[a.Id])));
            }
            app.Out.Write(table);
        }
        if (truncated)
            await Console.Error.WriteLineAsync($"blueteam: showing the newest {query.Limit.ToString(CultureInfo.InvariantCulture)}; more match (raise --limit or narrow --since)").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
