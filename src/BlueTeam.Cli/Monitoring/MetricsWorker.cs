using BlueTeam.Core.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace BlueTeam.Cli.Monitoring;

/// <summary>
/// The optional Prometheus endpoint (monitoring.metrics), on loopback: the daemon's
/// <see cref="BlueTeamMeter"/>, read when scraped, so the hot path pays nothing for metrics.
/// </summary>
internal sealed class MetricsWorker : BackgroundService
{
    private readonly MetricsOptions _options;
    private readonly BlueTeamMeter _meter;
    private readonly ILogger<MetricsWorker> _logger;

    public MetricsWorker(MetricsOptions options, BlueTeamMeter meter, ILogger<MetricsWorker> logger)
    {
        _options = options;
        _meter = meter;
        _logger = logger;
    }

    /// <summary><c>blueteam.source.last_line_age</c> (s, gauge) → <c>blueteam_source_last_line_age_seconds</c>; counters end in <c>_total</c>.</summary>
    internal static string PrometheusName(MetricValue value)
    {
        var name = value.Name.Replace('.', '_');
        if (value.Unit == "s") name += "_seconds";
        return value.IsCounter ? name + "_total" : name;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!MetricsOptions.TryParseListen(_options.Listen, out var address, out var port))
            throw new InvalidOperationException($"monitoring.metrics.listen was validated at start, yet is not ADDRESS:PORT: {_options.Listen}");
        var registry = Metrics.NewCustomRegistry(); // no process-wide static registry
        var factory = Metrics.WithCustomRegistry(registry);
        var counters = new Dictionary<string, Counter>(StringComparer.Ordinal);
        var gauges = new Dictionary<string, Gauge>(StringComparer.Ordinal);
        // Every scrape reads the daemon's one meter; each instrument becomes the Prometheus metric of the same
        // name (dots as underscores, counters with _total, seconds with _seconds), its tags the labels.
        registry.AddBeforeCollectCallback(() =>
        {
            foreach (var value in _meter.Snapshot())
            {
                var labels = value.TagPairs.Select(t => t.Value).ToArray();
                var name = PrometheusName(value);
                if (value.IsCounter)
                {
                    if (!counters.TryGetValue(name, out var counter))
                        counters[name] = counter = factory.CreateCounter(name, value.Description ?? name, value.TagPairs.Select(t => t.Key).ToArray());
                    counter.WithLabels(labels).IncTo(value.Value);
                }
                else
                {
                    if (!gauges.TryGetValue(name, out var gauge))
                        gauges[name] = gauge = factory.CreateGauge(name, value.Description ?? name, value.TagPairs.Select(t => t.Key).ToArray());
                    gauge.WithLabels(labels).Set(value.Value);
                }
            }
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
