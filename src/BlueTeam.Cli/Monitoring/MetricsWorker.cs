using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace BlueTeam.Cli.Monitoring;

/// <summary>
/// The optional Prometheus endpoint (monitoring.metrics), on loopback. The values are read from
/// the daemon's counters when scraped, so the hot path pays nothing for metrics.
/// </summary>
internal sealed class MetricsWorker : BackgroundService
{
    private readonly MetricsOptions _options;
    private readonly DaemonStats _stats;
    private readonly LineQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<MetricsWorker> _logger;
    private readonly Response.ResponseCounters? _response; // [response #16]

    public MetricsWorker(MetricsOptions options, DaemonStats stats, LineQueue queue, TimeProvider time, ILogger<MetricsWorker> logger, Response.ResponseCounters? response = null)
    {
        _response = response; // [response #16]
        _options = options;
        _stats = stats;
        _queue = queue;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!MetricsOptions.TryParseListen(_options.Listen, out var address, out var port))
            throw new InvalidOperationException($"monitoring.metrics.listen was validated at start, yet is not ADDRESS:PORT: {_options.Listen}");
        var registry = Metrics.NewCustomRegistry(); // no process-wide static registry
        var factory = Metrics.WithCustomRegistry(registry);
        var lines = factory.CreateCounter("blueteam_lines_total", "Log lines read, by source.", "source");
        var events = factory.CreateCounter("blueteam_events_total", "Security events parsed.");
        var incidents = factory.CreateCounter("blueteam_incidents_total", "New incidents, by rule and severity.", "rule", "severity");
        var deliveries = factory.CreateCounter("blueteam_deliveries_total", "Delivery attempts, by channel and resulting status.", "channel", "status");
        var storeErrors = factory.CreateCounter("blueteam_store_errors_total", "Store operations that failed (retried).");
        var spooled = factory.CreateCounter("blueteam_incidents_spooled_total", "Incidents written to the local spool while the store was down.");
        var queueDepth = factory.CreateGauge("blueteam_queue_depth", "Lines read but not yet processed.");
        var lag = factory.CreateGauge("blueteam_source_last_line_age_seconds", "Seconds since the source's last line.", "source");
        var up = factory.CreateGauge("blueteam_source_up", "1 when the source can be read, 0 when it reports an error.", "source");
        var uptime = factory.CreateGauge("blueteam_uptime_seconds", "Seconds since the daemon started.");
        var bans = ResponseMetrics.Create(factory); // [response #16]

        registry.AddBeforeCollectCallback(() =>
        {
            var now = _time.GetUtcNow();
            foreach (var (name, s) in _stats.Sources)
            {
                lines.WithLabels(name).IncTo(s.Lines);
                up.WithLabels(name).Set(s.State == "ok" ? 1 : 0);
                if (s.LastLineAt is { } t) lag.WithLabels(name).Set((now - t).TotalSeconds);
            }
            events.IncTo(_stats.Events);
            foreach (var ((rule, severity), n) in _stats.ByRule) incidents.WithLabels(rule, severity.ToName()).IncTo(n);
            foreach (var (channel, c) in _stats.Channels)
            {
                deliveries.WithLabels(channel, "delivered").IncTo(c.Delivered);
                deliveries.WithLabels(channel, "failed").IncTo(c.Failed);
                deliveries.WithLabels(channel, "retry").IncTo(c.Retried);
            }
            storeErrors.IncTo(_stats.StoreErrors);
            spooled.IncTo(_stats.Spooled);
            queueDepth.Set(_queue.Depth);
            uptime.Set((now - _stats.StartedAt).TotalSeconds);
            if (_response is not null) ResponseMetrics.Update(bans, _response); // [response #16]
        });

        using var server = new MetricServer(address.ToString(), port, "metrics/", registry);
        server.Start();
        _logger.LogInformation("Metrics on http://{Listen}/metrics", _options.Listen);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutdown
        }
        await server.StopAsync().ConfigureAwait(false);
    }
}
