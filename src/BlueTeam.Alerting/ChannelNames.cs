namespace BlueTeam.Alerting;

/// <summary>The channel names that routes, config and delivery rows use.</summary>
public static class ChannelNames
{
    public const string Console = "console";
    public const string Syslog = "syslog";
    public const string Email = "email";
    public const string Webhook = "webhook";
    public const string File = "file";

    /// <summary>Every channel blueteam can build; a route naming anything else is a config error.</summary>
    public static IReadOnlyList<string> Known { get; } = [Email, Syslog, Console, Webhook, File];
}
