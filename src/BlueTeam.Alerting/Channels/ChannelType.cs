using Spectre.Console;

namespace BlueTeam.Alerting.Channels;

/// <summary>What a channel type may need to build its channel.</summary>
/// <param name="Console">Where the console channel prints (the daemon's <c>AnsiConsole.Console</c>).</param>
public sealed record ChannelContext(IAnsiConsole Console, ILoggerFactory Loggers, TimeProvider Time);

/// <summary>
/// One kind of channel, in the manner of the OpenTelemetry Collector's component factories: a type
/// name, its options, validation and construction. Registered with one line in <see cref="ChannelRegistry"/>;
/// config binding, <c>config check</c>, <c>config show</c>, routing validation and the factory all read
/// the registry.
/// </summary>
public interface IChannelType
{
    /// <summary>The channel's name: its key under <c>alerting</c>, in routes and in delivery rows.</summary>
    string Name { get; }

    /// <summary>
    /// Default options when the options class lives with the channel (its <c>alerting.&lt;name&gt;</c>
    /// section is then bound through the registry); null for the channels whose options Core still
    /// declares (console, syslog, email, webhook, file).
    /// </summary>
    Func<object>? PluginDefaults { get; }

    bool IsEnabled(AlertingOptions alerting);

    /// <summary>The channel's floor: below it no route reaches the channel.</summary>
    Severity MinSeverity(AlertingOptions alerting);

    /// <summary>Builds the channel, checking everything that can be checked without sending.</summary>
    /// <exception cref="ConfigException">Every problem, each with its full key (<c>alerting.email.smtp_password_file</c>, …).</exception>
    IAlertChannel Create(AlertingOptions alerting, ChannelContext context);
}

/// <summary>What every channel's options have: on or off, and the least severity it is sent.</summary>
public abstract class ChannelOptions : IValidatable, IChannelSwitch
{
    public bool Enabled { get; set; }
    public Severity MinSeverity { get; set; } = Severity.Info;

    /// <summary>Problems of the options as given (keys relative to the channel's section); none when disabled.</summary>
    public virtual IEnumerable<ConfigProblem> Validate() => [];
}

/// <summary>
/// Base of a channel whose options class sits in the same file as the channel: one file plus one
/// line in <see cref="ChannelRegistry"/> adds a channel, with no change in Core.
/// </summary>
public abstract class ChannelType<TOptions> : IChannelType where TOptions : ChannelOptions, new()
{
    public abstract string Name { get; }

    public Func<object>? PluginDefaults => () => new TOptions();

    public bool IsEnabled(AlertingOptions alerting) => OptionsOf(alerting).Enabled;

    public Severity MinSeverity(AlertingOptions alerting) => OptionsOf(alerting).MinSeverity;

    public IAlertChannel Create(AlertingOptions alerting, ChannelContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = OptionsOf(alerting);
        ChannelChecks.ThrowIfInvalid(options, $"alerting.{Name}");
        return Create(options, context);
    }

    /// <summary>Builds the channel from options that passed <see cref="ChannelOptions.Validate"/>.</summary>
    protected abstract IAlertChannel Create(TOptions options, ChannelContext context);

    private TOptions OptionsOf(AlertingOptions alerting)
    {
        ArgumentNullException.ThrowIfNull(alerting);
        return alerting.PluginOptions(Name) as TOptions ?? new TOptions();
    }
}

/// <summary>
/// Base of the channels whose options Core declares (console, syslog, email, webhook, file): their options
/// are a property of <see cref="AlertingOptions"/>, bound with the rest of the config.
/// </summary>
internal abstract class CoreChannelType<TOptions>(string name, Func<AlertingOptions, TOptions> section) : IChannelType
    where TOptions : IChannelSwitch
{
    public string Name => name;
    public Func<object>? PluginDefaults => null;
    public bool IsEnabled(AlertingOptions alerting) => section(alerting).Enabled;
    public Severity MinSeverity(AlertingOptions alerting) => section(alerting).MinSeverity;
    public IAlertChannel Create(AlertingOptions alerting, ChannelContext context) => Create(section(alerting), context);

    protected abstract IAlertChannel Create(TOptions options, ChannelContext context);
}

/// <summary>Turns an options object's problems into config errors with full keys.</summary>
public static class ChannelChecks
{
    /// <exception cref="ConfigException">The options have problems.</exception>
    public static void ThrowIfInvalid(IValidatable options, string prefix)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().Select(p => new ConfigError($"{prefix}.{p.Key}", prefix, p.Message)).ToList();
        if (problems.Count > 0) throw new ConfigException(prefix, problems);
    }
}
