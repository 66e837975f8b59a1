namespace BlueTeam.Alerting;

/// <summary>The names of the built-in channels, as routes, config and delivery rows use them.</summary>
public static class ChannelNames
{
    public const string Console = "console";
    public const string Syslog = "syslog";
    public const string Email = "email";
    public const string Webhook = "webhook";
    public const string File = "file";

    /// <summary>Every channel blueteam can build (the <see cref="Channels.ChannelRegistry"/>); a route naming anything else is a config error.</summary>
    public static IReadOnlyList<string> Known => Channels.ChannelRegistry.All.Select(t => t.Name).ToList();
}
