using BlueTeam.Core.Config;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace BlueTeam.Alerting.Channels;

/// <summary>Builds the enabled channels from the config; the one place a new channel is registered.</summary>
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

        var errors = new List<ConfigError>();
        var channels = new Dictionary<string, IAlertChannel>(StringComparer.Ordinal);

        if (options.Console.Enabled)
            channels.Add(ChannelNames.Console, new ConsoleChannel(console));

        if (options.Syslog.Enabled)
        {
            var problems = Problems(options.Syslog, "alerting.syslog");
            if (problems.Count == 0)
            {
                // A missing socket is not a config error: syslog may start after blueteam, and the
                // outbox keeps the records until it does. Say so once, now.
                if (options.Syslog.Transport == SyslogTransport.Local)
                {
                    if (!File.Exists(options.Syslog.Socket))
                        Log.SyslogSocketMissing(loggers.CreateLogger<SyslogChannel>(), options.Syslog.Socket);
                    channels.Add(ChannelNames.Syslog, new SyslogChannel(options.Syslog, time));
                }
                else
                {
                    try { channels.Add(ChannelNames.Syslog, new RemoteSyslogChannel(options.Syslog, time)); }
                    catch (ConfigException e) { errors.AddRange(e.Errors); }
                }
            }
            errors.AddRange(problems);
        }

        if (options.Webhook.Enabled)
        {
            try { channels.Add(ChannelNames.Webhook, new WebhookChannel(options.Webhook, time)); }
            catch (ConfigException e) { errors.AddRange(e.Errors); }
        }

        if (options.File.Enabled)
        {
            var problems = Problems(options.File, "alerting.file");
            errors.AddRange(problems);
            if (problems.Count == 0) channels.Add(ChannelNames.File, new FileChannel(options.File));
        }

        if (options.Email.Enabled)
        {
            var problems = Problems(options.Email, "alerting.email");
            errors.AddRange(problems);
            if (problems.Count == 0)
            {
                try
                {
                    channels.Add(ChannelNames.Email, new EmailChannel(options.Email, time, loggers.CreateLogger<EmailChannel>()));
                }
                catch (ConfigException e)
                {
                    errors.AddRange(e.Errors);
                }
            }
        }

        if (errors.Count > 0) throw new ConfigException("alerting", errors);
        return channels;
    }

    private static List<ConfigError> Problems(IValidatable options, string prefix) =>
        options.Validate().Select(p => new ConfigError($"{prefix}.{p.Key}", prefix, p.Message)).ToList();
}
