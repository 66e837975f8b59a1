using System.Diagnostics.Metrics;
using BlueTeam.Core.Diagnostics;
using BlueTeam.Correlation;
using BlueTeam.Engine.Daemon;

namespace BlueTeam.Cli.Monitoring;

/// <summary>
/// The daemon's instruments on the one <see cref="BlueTeamMeter"/>, read from its counters when
/// someone collects (a Prometheus scrape, a heartbeat, a dashboard frame): the hot path only bumps
/// its own Interlocked counters. Names are OpenTelemetry-style (dotted, units apart); the Prometheus
/// exporter turns <c>blueteam.lines</c> with unit <c>{line}</c> into <c>blueteam_lines_total</c>.
/// </summary>
internal static class DaemonMetrics
{
    public static void Register(BlueTeamMeter meter, DaemonStats stats, LineQueue queue, DaemonRuntime runtime, TimeProvider time)
    {
        // Contained errors and cut lines, per source: what `status` shows in each source's state.
        meter.ObserveCounter("blueteam.lines.failed", "{line}", "Lines a parser failed on (kind parse_error) or events a rule threw on (kind rule_error), by source.",
            () => runtime.Current.Pipeline.Errors.BySource.SelectMany(s => new[]
            {
                new Measurement<long>(s.Value.ParseErrors, Tag("source", s.Key), Tag("kind", "parse_error")),
                new Measurement<long>(s.Value.RuleErrors, Tag("source", s.Key), Tag("kind", "rule_error")),
            }));
        meter.ObserveCounter("blueteam.lines.truncated", "{line}", "Lines longer than the source's max_line_bytes, cut there, by source.",
            () => runtime.Current.Pipeline.Errors.BySource.Select(s => new Measurement<long>(s.Value.Truncated, Tag("source", s.Key))));
        meter.ObserveCounter("blueteam.correlation.evicted", "{key}", "Keys a rule dropped because its table was full (not because their window closed), by rule.",
            () => runtime.Current.Rules.OfType<IStatefulRule>().Select(r => new Measurement<long>(r.EvictedKeys, Tag("rule", ((IRule)r).Descriptor.Name))));
        meter.ObserveCounter("blueteam.lines", "{line}", "Log lines read, by source.",
            () => stats.Sources.Select(s => new Measurement<long>(s.Value.Lines, Tag("source", s.Key))));
        meter.ObserveCounter("blueteam.events", "{event}", "Security events parsed.", () => [new Measurement<long>(stats.Events)]);
        meter.ObserveCounter("blueteam.incidents", "{incident}", "New incidents, by rule and severity.",
            () => stats.ByRule.Select(r => new Measurement<long>(r.Value, Tag("rule", r.Key.Rule), Tag("severity", r.Key.Severity.ToName()))));
        meter.ObserveCounter("blueteam.deliveries", "{delivery}", "Delivery attempts, by channel and resulting status.",
            () => stats.Channels.SelectMany(c => new[]
            {
                new Measurement<long>(c.Value.Delivered, Tag("channel", c.Key), Tag("status", "delivered")),
                new Measurement<long>(c.Value.Failed, Tag("channel", c.Key), Tag("status", "failed")),
                new Measurement<long>(c.Value.Retried, Tag("channel", c.Key), Tag("status", "retry")),
            }));
        meter.ObserveCounter("blueteam.store.errors", "{error}", "Store operations that failed (retried).", () => [new Measurement<long>(stats.StoreErrors)]);
        meter.ObserveCounter("blueteam.incidents.spooled", "{incident}", "Incidents written to the local spool while the store was down.", () => [new Measurement<long>(stats.Spooled)]);
        meter.ObserveGauge("blueteam.queue.depth", "{line}", "Lines read but not yet processed.", () => [new Measurement<double>(queue.Depth)]);
        meter.ObserveGauge("blueteam.source.last_line_age", "s", "Seconds since the source's last line.", () =>
        {
            var now = time.GetUtcNow();
            return stats.Sources.Where(s => s.Value.LastLineAt is not null)
                .Select(s => new Measurement<double>((now - s.Value.LastLineAt!.Value).TotalSeconds, Tag("source", s.Key)));
        });
        meter.ObserveGauge("blueteam.source.up", "1", "1 when the source can be read, 0 when it reports an error.",
            () => stats.Sources.Select(s => new Measurement<double>(s.Value.State == "ok" ? 1 : 0, Tag("source", s.Key))));
        meter.ObserveGauge("blueteam.uptime", "s", "Seconds since the daemon started.", () => [new Measurement<double>((time.GetUtcNow() - stats.StartedAt).TotalSeconds)]);
    }

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);
}
