using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace BlueTeam.Alerting.Channels;

/// <summary>Builds the enabled channels of the <see cref="ChannelRegistry"/> from the config.</summary>
public static class ChannelFactory
{
    /// <summary>
    /// The enabled channels, keyed by <see cref="IAlertChannel.Name"/>. Everything that can be
    /// checked without sending is checked here, so a broken channel stops the daemon at start.
    /// </summary>
    /// <param name="options">The alerting section of the config.</param>
    /// <param name="console">Where the console channel prints (the daemon's <c>AnsiConsole.Console</c>).</param>
    /// <param name="loggers">Optional.</param>
    /// <param name="time">Clock for syslog and mail timestamps; the system clock when null.</param>
    /// <exception cref="ConfigException">Every problem found, each with its full key (<c>alerting.email.smtp_password_file</c>, …).</exception>
    public static IReadOnlyDictionary<string, IAlertChannel> Create(AlertingOptions options, IAnsiConsole console, ILoggerFactory? loggers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        loggers ??= NullLoggerFactory.Instance;
        time ??= TimeProvider.System;

        var context = new ChannelContext(console, loggers, time);
        var errors = new List<ConfigError>();
        var channels = new Dictionary<string, IAlertChannel>(StringComparer.Ordinal);
        foreach (var type in ChannelRegistry.All)
        {
            if (!type.IsEnabled(options)) continue;
            try { channels.Add(type.Name, type.Create(options, context)); }
            catch (ConfigException e) { errors.AddRange(e.Errors); }
        }

        if (errors.Count > 0) throw new ConfigException("alerting", errors);
        return channels;
    }
}
