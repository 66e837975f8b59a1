using BlueTeam.Cli.Output;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam report`: the auditor's summary of a period (NIST SP 800-171 3.3.1, 3.3.8): what was
/// detected, by control, severity, rule, source and user; whether people were told and
/// acknowledged it; and whether the alert history is intact. Exit 1 when the chain is broken.
/// </summary>
internal static class ReportCommand
{
    private const int TopN = 10;

    private static readonly Option<string> Since = new("--since") { Description = "Start of the period: a duration back from now (30d) or an ISO 8601 time", DefaultValueFactory = _ => "30d" };
    private static readonly Option<string?> Host = new("--host") { Description = "Only this host (default: every host in the store)" };
    private static readonly Option<string> Format = new("--format", "-f") { Description = "markdown or html", DefaultValueFactory = _ => "markdown" };
    private static readonly Option<string?> OutputFile = new("--output", "-o") { Description = "Write the report to this file (created owner-only) instead of standard output" };

    public static Command Build()
    {
        Format.AcceptOnlyFromAmong("markdown", "html");
        var report = new Command("report", "Summary report for auditors (Markdown or HTML); exit 1 if the alert history chain is broken") { Since, Host, Format, OutputFile };
        report.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => ReportAsync(app, parse, token)));
        return report;
    }

    private static async Task<int> ReportAsync(AppServices app, ParseResult parse, CancellationToken ct)
    {
        var now = app.Time.GetUtcNow();
        var sinceText = parse.GetValue(Since)!;
        if (!DurationText.TryParseSince(sinceText, now, out var since))
            return await Usage.ErrorAsync($"--since '{Inert.Plain(sinceText, 40)}' is neither a duration (24h, 30d) nor an ISO 8601 time").ConfigureAwait(false);
        var host = parse.GetValue(Host);

        var store = await app.OpenExistingStoreAsync(ct).ConfigureAwait(false);
        var alerts = await store.ListAlertsAsync(new AlertQuery { Limit = int.MaxValue, Since = since, Host = host }, ct).ConfigureAwait(false);
        var ids = alerts.Select(a => a.Id).ToList();
        var triage = (await store.ListTriageAsync(ids, ct).ConfigureAwait(false)).ToDictionary(t => t.AlertId);
        var deliveries = await store.ListDeliveriesAsync(ids, ct).ConfigureAwait(false);
        var chains = await store.VerifyChainAsync(host, ct).ConfigureAwait(false);

        var w = ReportWriter.For(parse.GetValue(Format)!);
        Write(w, alerts, triage, deliveries, chains, since, now, host);
        var text = w.Finish();

        if (parse.GetValue(OutputFile) is { } path)
        {
            try
            {
                // The report names users, addresses and hosts of a CUI system: readable by its owner only.
                var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
                await using var file = new StreamWriter(path, System.Text.Encoding.UTF8, options);
                await file.WriteAsync(text.AsMemory(), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return await Usage.ErrorAsync($"cannot write the report to {Inert.Plain(path)}: {Inert.Plain(e.Message)}").ConfigureAwait(false);
            }
            await Console.Error.WriteLineAsync($"blueteam: report written to {Inert.Plain(path)}").ConfigureAwait(false);
        }
        else
        {
            await using var stdout = Console.OpenStandardOutput();
            await stdout.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
        }

        if (chains.Any(c => !c.IsIntact))
        {
            await Console.Error.WriteLineAsync("blueteam: the alert history chain is BROKEN (see the report's audit-chain section, or run blueteam verify)").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }
        return ExitCodes.Ok;
    }

    private static void Write(ReportWriter w, IReadOnlyList<AlertRecord> alerts, Dictionary<long, AlertTriage> triage, IReadOnlyList<DeliveryRecord> deliveries,
        IReadOnlyList<ChainVerification> chains, DateTimeOffset since, DateTimeOffset now, string? host)
    {
        static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
        static string Pct(long part, long whole) => whole == 0 ? "-" : (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        AlertTriage? T(AlertRecord a) => triage.GetValueOrDefault(a.Id);

        var hosts = alerts.Select(a => a.Host).Concat(chains.Select(c => c.Host)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var acked = alerts.Count(a => T(a)?.IsAcked == true);
        var actionable = alerts.Where(a => a.Incident.Severity >= Severity.Medium).ToList();

        w.Title("blueteam security monitoring report");
        w.Facts(
        [
            ("Period", $"{DurationText.Timestamp(since)} to {DurationText.Timestamp(now)}"),
            ("Generated", DurationText.Timestamp(now)),
            ("Hosts", hosts.Count == 0 ? (host ?? "none") : string.Join(", ", hosts)),
            ("Incidents", N(alerts.Count)),
            ("Events behind them", N(alerts.Sum(a => (long)a.Incident.EventCount))),
            ("Incidents involving CUI", N(alerts.Count(a => a.Incident.CuiInvolved))),
            ("Acknowledged", $"{N(acked)} of {N(alerts.Count)} ({Pct(acked, alerts.Count)})"),
            ("Audit chain", chains.Count == 0 ? "no chain (no alerts stored)" : chains.All(c => c.IsIntact) ? "intact" : "BROKEN"),
        ]);

        w.Heading("Audit-chain verification (NIST 3.3.8)");
        w.Paragraph("The whole stored history of each host is re-hashed, not only the period of this report.");
        w.Table(["host", "entries checked", "head", "result"], chains.Select(c => (IReadOnlyList<string>)
        [
            c.Host,
            N(c.EntriesChecked),
            c.Head is { } head ? $"#{N(head.Seq)} {head.Hash}" : "-",
            c.FirstBreak is { } b ? $"BROKEN: {b.Kind} at {(b.Seq is { } s ? "entry " + N(s) : "no entry")}{(b.AlertId is { } id ? ", alert " + N(id) : "")}: {b.Detail}" : "intact",
        ]));

        w.Heading("Incidents by NIST SP 800-171 control");
        w.Table(["control", "incidents", "events", "acknowledged"], alerts
            .SelectMany(a => a.Incident.NistControls.Distinct(StringComparer.Ordinal).Select(c => (Control: c, Alert: a)))
            .GroupBy(x => x.Control, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (IReadOnlyList<string>)[g.Key, N(g.Count()), N(g.Sum(x => (long)x.Alert.Incident.EventCount)), N(g.Count(x => T(x.Alert)?.IsAcked == true))]));

        w.Heading("Incidents by severity");
        w.Table(["severity", "incidents", "acknowledged", "silenced", "coverage"], Enum.GetValues<Severity>().Reverse().Select(sev =>
        {
            var of = alerts.Where(a => a.Incident.Severity == sev).ToList();
            var ackedOf = of.Count(a => T(a)?.IsAcked == true);
            return (IReadOnlyList<string>)[sev.ToName(), N(of.Count), N(ackedOf), N(of.Count(a => T(a)?.IsSilenced == true)), Pct(ackedOf, of.Count)];
        }));

        w.Heading("Incidents by rule");
        w.Table(["rule", "rule id", "incidents", "events", "highest severity"], alerts
            .GroupBy(a => (a.Incident.Rule.Name, a.Incident.Rule.Id))
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key.Name, StringComparer.Ordinal)
            .Select(g => (IReadOnlyList<string>)[g.Key.Name, g.Key.Id, N(g.Count()), N(g.Sum(a => (long)a.Incident.EventCount)), g.Max(a => a.Incident.Severity).ToName()]));

        w.Heading($"Top {TopN} sources (source.ip)");
        w.Table(["source.ip", "incidents", "events", "rules"], Top(alerts, a => a.Incident.Source?.Ip));

        w.Heading($"Top {TopN} users (user.name)");
        w.Table(["user.name", "incidents", "events", "rules"], Top(alerts, a => a.Incident.User?.Name));

        w.Heading("Notification delivery per channel");
        w.Table(["channel", "delivered", "failed", "pending", "success rate"], deliveries
            .GroupBy(d => d.Channel, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var delivered = g.Count(d => d.Status == DeliveryStatus.Delivered);
                var failed = g.Count(d => d.Status == DeliveryStatus.Failed);
                return (IReadOnlyList<string>)[g.Key, N(delivered), N(failed), N(g.Count(d => d.Status == DeliveryStatus.Pending)), Pct(delivered, delivered + failed)];
            }));
        var failedDeliveries = deliveries.Where(d => d.Status == DeliveryStatus.Failed).ToList();
        if (failedDeliveries.Count > 0)
        {
            w.Paragraph("Failed deliveries (the incident was stored; the notification did not arrive):");
            w.Table(["alert", "channel", "attempts", "last error"], failedDeliveries.Take(50).Select(d => (IReadOnlyList<string>)[N(d.AlertId), d.Channel, N(d.Attempts), d.LastError ?? "-"]));
        }

        w.Heading("Acknowledgement coverage");
        var actionableAcked = actionable.Count(a => T(a)?.IsAcked == true);
        var escalated = alerts.Count(a => T(a) is { AckedSeverity: { } at } && a.Incident.Severity > at);
        w.Facts(
        [
            ("All incidents acknowledged", $"{N(acked)} of {N(alerts.Count)} ({Pct(acked, alerts.Count)})"),
            ("Medium and above acknowledged", $"{N(actionableAcked)} of {N(actionable.Count)} ({Pct(actionableAcked, actionable.Count)})"),
            ("Severity rose after the acknowledgement", N(escalated)),
            ("Silenced", N(alerts.Count(a => T(a)?.IsSilenced == true))),
        ]);
        var open = alerts.Where(a => a.Incident.Severity >= Severity.High && T(a)?.IsAcked != true).ToList();
        w.Paragraph($"High and critical incidents not acknowledged: {N(open.Count)}" + (open.Count > 50 ? " (newest 50 listed)" : ""));
        w.Table(["id", "last seen", "severity", "host", "rule", "title"], open.Take(50).Select(a => (IReadOnlyList<string>)
            [N(a.Id), DurationText.Timestamp(a.Incident.LastSeen), a.Incident.Severity.ToName(), a.Host, a.Incident.Rule.Name, a.Incident.Title]));
    }

    private static IEnumerable<IReadOnlyList<string>> Top(IReadOnlyList<AlertRecord> alerts, Func<AlertRecord, string?> key) => alerts
        .Where(a => key(a) is not null)
        .GroupBy(a => key(a)!, StringComparer.Ordinal)
        .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Sum(a => (long)a.Incident.EventCount)).ThenBy(g => g.Key, StringComparer.Ordinal)
        .Take(TopN)
        .Select(g => (IReadOnlyList<string>)
        [
            g.Key,
            g.Count().ToString(CultureInfo.InvariantCulture),
            g.Sum(a => (long)a.Incident.EventCount).ToString(CultureInfo.InvariantCulture),
            string.Join(", ", g.Select(a => a.Incident.Rule.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)),
        ]);
}
