using BlueTeam.Correlation.Fleet;
using BlueTeam.Storage.Fleet;
using Microsoft.Extensions.DependencyInjection;

namespace BlueTeam.Engine.Daemon;

/// <summary>The daemon's fleet correlation parts (fleet.enabled): the signal aggregator the pipeline feeds, its publisher, the election.</summary>
internal static class FleetServices
{
    /// <summary>
    /// Registers nothing unless fleet.enabled (validated to need PostgreSQL). Call before the pipeline worker is
    /// registered: workers stop in reverse order, so the publisher outlives the pipeline's drain.
    /// </summary>
    public static void AddTo(IServiceCollection services, BlueTeamConfig config, DaemonStats stats, TimeProvider time)
    {
        if (!config.Fleet.Enabled) return;
        var connectionString = config.Database.ConnectionString
            ?? throw new InvalidOperationException("fleet.enabled needs database.connection_string (the config check refuses this)");
        var aggregator = new FleetSignalAggregator(config.Fleet.Bucket);
        var fleetStats = new FleetStats();
        stats.Fleet = (fleetStats, aggregator);
        services.AddSingleton(aggregator);
        services.AddSingleton(fleetStats);
        services.AddSingleton(_ => new SignalsStore(connectionString, time));
        services.AddHostedService(sp => new FleetSignalPublisher(aggregator, sp.GetRequiredService<SignalsStore>(),
            config.Host, fleetStats, time, sp.GetRequiredService<ILogger<FleetSignalPublisher>>()));
        services.AddHostedService<FleetCorrelatorWorker>();
    }
}
