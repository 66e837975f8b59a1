using BlueTeam.Core.Config;
using BlueTeam.Correlation.Fleet;
using BlueTeam.Storage.Fleet;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Engine.Daemon;

/// <summary>The daemon's fleet correlation parts (fleet.enabled): the signal aggregator the pipeline feeds, its publisher, the election.</summary>
internal static class FleetServices
{
    /// <summary>
    /// Registers nothing unless fleet.enabled (validated to need PostgreSQL). Call before the pipeline worker is
    /// registered: workers stop in reverse order, so the publisher outlives the pipeline's drain.
    /// </summary>
    public static void AddTo(IServiceCollection services, BlueTeamConfig config, TimeProvider time)
    {
        if (!config.Fleet.Enabled) return;
        var connectionString = config.Database.ConnectionString
            ?? throw new InvalidOperationException("fleet.enabled needs database.connection_string (the config check refuses this)");
        services.AddSingleton(new FleetSignalAggregator(config.Fleet.Bucket));
        services.AddSingleton(_ => new SignalsStore(connectionString, time));
        services.AddHostedService(sp => new FleetSignalPublisher(sp.GetRequiredService<FleetSignalAggregator>(), sp.GetRequiredService<SignalsStore>(),
            config.Host, time, sp.GetRequiredService<ILogger<FleetSignalPublisher>>()));
        services.AddHostedService<FleetCorrelatorWorker>();
    }
}
