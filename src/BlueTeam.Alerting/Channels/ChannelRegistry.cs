namespace BlueTeam.Alerting.Channels;

/// <summary>Every channel blueteam can build: adding a channel is its file plus one line here.</summary>
public static class ChannelRegistry
{
    /// <summary>The channel types, in the order error messages list them.</summary>
    public static IReadOnlyList<IChannelType> All { get; } =
    [
        new EmailChannelType(),
        new SyslogChannelType(),
        new ConsoleChannelType(),
        new WebhookChannelType(),
        new FileChannelType(),
        new NtfyChannelType(),
    ];

    /// <summary>
    /// Tells the config binder about the channels whose options live with them, so their
    /// <c>alerting.&lt;name&gt;</c> sections bind strictly. Call before loading a config.
    /// </summary>
    public static void RegisterOptions()
    {
        foreach (var type in All)
            if (type.PluginDefaults is { } defaults) AlertingOptions.RegisterChannelType(type.Name, defaults);
    }
}
