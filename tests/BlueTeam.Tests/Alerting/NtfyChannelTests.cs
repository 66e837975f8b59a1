using System.Collections;
using System.Text.Json;
using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>The ntfy channel against a real HTTP server on 127.0.0.1, and its registration.</summary>
public sealed class NtfyChannelTests : IDisposable
{
    private readonly WebhookTestServer _server = new();
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start.AddMinutes(2));

    public NtfyChannelTests() => ChannelRegistry.RegisterOptions();

    public void Dispose() => _server.Dispose();

    private NtfyChannel Channel(string? token = "tk_abc123") => new(new NtfyChannelOptions
    {
        Enabled = true,
        Url = _server.Url(""),
        Topic = "soc-alerts",
        Token = token,
        TimeoutSec = 5,
    }, _time);

    private static AlertRecord Alert(Severity severity = Severity.Critical) =>
        AlertIncidents.Record(AlertIncidents.Incident(severity, title: "Brute\r\nX-Injected: yes **bold** <!channel>"), id: 77);

    [Fact]
    public async Task SendAsync_2xx_DeliveredAsOneJsonMessageWithBearerTokenAndInertText()
    {
        using var channel = Channel();

        var result = await channel.SendAsync(Alert(), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Delivered, result.Outcome);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("Bearer tk_abc123", request.Headers["Authorization"]);
        Assert.False(request.Headers.ContainsKey("X-Injected"));
        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        Assert.Equal("soc-alerts", root.GetProperty("topic").GetString());
        Assert.Equal(5, root.GetProperty("priority").GetInt32());
        var title = root.GetProperty("title").GetString()!;
        Assert.StartsWith("[CRITICAL] Brute", title, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', title);
        Assert.DoesNotContain('\n', title);
        Assert.Contains("rule ssh_brute_force", root.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(root.TryGetProperty("markdown", out _)); // plain text: "**bold**" is shown, not rendered
    }

    [Theory]
    [InlineData(Severity.Critical, 5)]
    [InlineData(Severity.High, 4)]
    [InlineData(Severity.Medium, 3)]
    [InlineData(Severity.Low, 2)]
    [InlineData(Severity.Info, 1)]
    public void Priority_FollowsSeverity(Severity severity, int expected) => Assert.Equal(expected, NtfyChannel.Priority(severity));

    [Theory]
    [InlineData(500, DeliveryOutcome.Transient)]
    [InlineData(429, DeliveryOutcome.Transient)]
    [InlineData(401, DeliveryOutcome.Permanent)]
    [InlineData(403, DeliveryOutcome.Permanent)]
    public async Task SendAsync_ErrorStatus_Classified(int status, DeliveryOutcome expected)
    {
        _server.Answer = _ => (status, null, TimeSpan.Zero);
        using var channel = Channel();

        var result = await channel.SendAsync(Alert(), CancellationToken.None);

        Assert.Equal(expected, result.Outcome);
        Assert.Contains($"HTTP {status}", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_ConnectionRefused_Transient()
    {
        var port = SmtpServerFixture.FreeLoopbackPort();
        using var channel = new NtfyChannel(new NtfyChannelOptions { Enabled = true, Url = $"http://127.0.0.1:{port}", Topic = "t" }, _time);

        var result = await channel.SendAsync(Alert(), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
    }

    [Fact]
    public void Config_NtfySection_BindsThroughTheRegistry_BuildsTheChannelAndMasksTheToken()
    {
        var config = ConfigLoader.Parse($$"""
            alerting:
              ntfy: {enabled: true, url: "{{_server.Url("")}}", topic: soc-alerts, token: tk_abc123, min_severity: high}
              routing: {critical: [ntfy, syslog]}
            """, "test.yaml", new Hashtable());

        var channels = ChannelFactory.Create(config.Alerting, new TestConsole(), null, _time);
        Assert.IsType<NtfyChannel>(channels["ntfy"]);
        Assert.Contains("ntfy", ChannelNames.Known);
        var shown = ConfigLoader.Flatten(config).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("********", shown["alerting.ntfy.token"]);
        Assert.Equal("soc-alerts", shown["alerting.ntfy.topic"]);
        Assert.Equal("high", shown["alerting.ntfy.min_severity"]);
        foreach (var channel in channels.Values) (channel as IDisposable)?.Dispose();
    }

    [Fact]
    public void Config_UnknownNtfyKey_ErrorNamesTheKeyAndLine()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            alerting:
              ntfy:
                enabled: true
                topik: soc
            """, "test.yaml", new Hashtable()));

        var error = Assert.Single(e.Errors);
        Assert.Equal("alerting.ntfy.topik", error.Key);
        Assert.Contains("test.yaml:4", error.Location, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_EnabledWithoutTopic_ConfigCheckNamesTheKey()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            alerting:
              ntfy: {enabled: true, url: "https://ntfy.example.org"}
            """, "test.yaml", new Hashtable()));

        Assert.Contains(e.Errors, err => err.Key == "alerting.ntfy.topic");
    }
}
