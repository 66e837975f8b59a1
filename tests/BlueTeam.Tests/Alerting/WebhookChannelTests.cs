using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>The webhook channel against a real HTTP server on 127.0.0.1.</summary>
public sealed class WebhookChannelTests : IDisposable
{
    private const string Secret = "s3cret-signing-key";
    private readonly WebhookTestServer _server = new();
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start.AddMinutes(2));

    public void Dispose() => _server.Dispose();

    private WebhookChannel Channel(WebhookFormat format = WebhookFormat.Ecs, int timeoutSec = 5) => new(new WebhookChannelOptions
    {
        Enabled = true,
        Url = _server.Url(),
        Format = format,
        Secret = Secret,
        Headers = new() { ["X-Api-Key"] = "k-123" },
        TimeoutSec = timeoutSec,
    }, _time);

    private static AlertRecord Alert() => AlertIncidents.Record(AlertIncidents.Incident(Severity.High, title: "Brute\r\nX-Injected: yes <!channel>"), id: 77);

    [Fact]
    public async Task SendAsync_Ecs2xx_DeliveredWithValidSignatureAndHeaders()
    {
        var result = await Channel().SendAsync(Alert(), CancellationToken.None);

        Assert.Equal(DeliveryResult.Delivered(), result);
        Assert.True(_server.Requests.TryDequeue(out var request));
        Assert.Equal("POST", request.Method);
        Assert.Equal("k-123", request.Headers["X-Api-Key"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        // The server checks the signature the way a receiver would: HMAC over the raw body bytes.
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), request.Body));
        Assert.Equal(expected, request.Headers[WebhookChannel.SignatureHeader]);
        using var json = JsonDocument.Parse(request.Body);
        Assert.Equal("ssh_brute_force", json.RootElement.GetProperty("rule").GetProperty("name").GetString());
        Assert.Equal("high", json.RootElement.GetProperty("severity").GetString());
        Assert.Equal("77", json.RootElement.GetProperty("event").GetProperty("id").GetString());
        Assert.Equal(77, json.RootElement.GetProperty("alert_id").GetInt64());
        Assert.Equal("77", request.Headers[WebhookChannel.AlertIdHeader]);
        Assert.DoesNotContain((byte)'\n', request.Body);
    }

    [Fact]
    public async Task SendAsync_SlackFormat_TextEscapedAndNoMention()
    {
        await Channel(WebhookFormat.Slack).SendAsync(Alert(), CancellationToken.None);

        Assert.True(_server.Requests.TryDequeue(out var request));
        using var json = JsonDocument.Parse(request.Body);
        var text = json.RootElement.GetProperty("text").GetString()!;
        Assert.StartsWith("[HIGH] Brute\\x0d\\x0aX-Injected: yes &lt;!channel&gt;", text, StringComparison.Ordinal);
        Assert.Equal(3, json.RootElement.GetProperty("blocks").GetArrayLength());
    }

    [Fact]
    public async Task SendAsync_TeamsFormat_AdaptiveCardAttachment()
    {
        await Channel(WebhookFormat.Teams).SendAsync(Alert(), CancellationToken.None);

        Assert.True(_server.Requests.TryDequeue(out var request));
        using var json = JsonDocument.Parse(request.Body);
        var attachment = json.RootElement.GetProperty("attachments")[0];
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        Assert.Equal("AdaptiveCard", attachment.GetProperty("content").GetProperty("type").GetString());
    }

    [Fact]
    public async Task SendAsync_429WithRetryAfter_TransientCarryingTheWait()
    {
        _server.Answer = _ => (429, new Dictionary<string, string> { ["Retry-After"] = "90" }, TimeSpan.Zero);

        var result = await Channel().SendAsync(Alert(), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(90), result.RetryAfter);
        Assert.Contains("HTTP 429", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-path", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500, DeliveryOutcome.Transient)]
    [InlineData(503, DeliveryOutcome.Transient)]
    [InlineData(400, DeliveryOutcome.Permanent)]
    [InlineData(401, DeliveryOutcome.Permanent)]
    [InlineData(404, DeliveryOutcome.Permanent)]
    [InlineData(302, DeliveryOutcome.Permanent)]
    public async Task SendAsync_Status_Classified(int status, DeliveryOutcome expected)
    {
        _server.Answer = _ => (status, status == 302 ? new Dictionary<string, string> { ["Location"] = "http://127.0.0.1:1/elsewhere" } : null, TimeSpan.Zero);

        var result = await Channel().SendAsync(Alert(), CancellationToken.None);

        Assert.Equal(expected, result.Outcome);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task SendAsync_ServerSlowerThanTimeout_Transient()
    {
        _server.Answer = _ => (200, null, TimeSpan.FromSeconds(3));

        var result = await Channel(timeoutSec: 1).SendAsync(Alert(), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
        Assert.Contains("no answer within 1 s", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_NothingListening_Transient()
    {
        var channel = new WebhookChannel(new WebhookChannelOptions { Enabled = true, Url = $"http://127.0.0.1:{SmtpServerFixture.FreeLoopbackPort()}/x" }, _time);

        var result = await channel.SendAsync(Alert(), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
    }

    [Fact]
    public void Ctor_BadUrl_ThrowsNamingKey()
    {
        var e = Assert.Throws<ConfigException>(() => new WebhookChannel(new WebhookChannelOptions { Enabled = true, Url = "ftp://x" }, _time));

        Assert.Equal("alerting.webhook.url", Assert.Single(e.Errors).Key);
    }
}
