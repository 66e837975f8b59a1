using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BlueTeam.Core.Text;

namespace BlueTeam.Alerting.Channels;

/// <summary>POSTs each alert as JSON to an HTTP endpoint: ECS, or Slack / Teams message shapes.</summary>
/// <remarks>
/// <para>Classification (as Alertmanager's webhook notifier does it): 2xx delivered; 429, 5xx,
/// timeouts and transport errors transient, honouring Retry-After; any other status permanent,
/// because the endpoint refuses this request as configured (bad URL, bad key, payload rejected).
/// Redirects are not followed: a signed alert must not be replayed to a host nobody configured.</para>
/// <para>With a secret, the exact body bytes are signed:
/// <c>X-BlueTeam-Signature: sha256=&lt;lower-case hex HMAC-SHA256(secret, body)&gt;</c>.</para>
/// <para>The URL is never written into errors or logs beyond scheme, host and port: for Slack and
/// Teams the path is the credential.</para>
/// </remarks>
public sealed class WebhookChannel : IAlertChannel, IDisposable
{
    public const string SignatureHeader = "X-BlueTeam-Signature";
    public const string AlertIdHeader = "X-BlueTeam-Alert-Id";

    private readonly WebhookChannelOptions _options;
    private readonly Uri _url;
    private readonly string _where;
    private readonly byte[]? _secret;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;

    /// <exception cref="ConfigException">An invalid URL or an unreadable secret file.</exception>
    public WebhookChannel(WebhookChannelOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var errors = new List<ConfigError>();
        foreach (var p in options.Validate()) errors.Add(new ConfigError($"alerting.webhook.{p.Key}", "alerting.webhook", p.Message));
        var secret = options.Secret ?? ReadSecretFile(options.SecretFile, errors);
        if (errors.Count > 0) throw new ConfigException("alerting.webhook", errors);
        _options = options;
        _url = new Uri(options.Url!);
        _where = $"webhook {_url.Scheme}://{_url.Authority}";
        _secret = secret is null ? null : Encoding.UTF8.GetBytes(secret);
        _time = time;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            // Our own deadline (below) gives a classified result; HttpClient's would throw a bare TaskCanceledException.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public string Name => ChannelNames.Webhook;

    public async Task<DeliveryResult> SendAsync(AlertRecord alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var body = Encoding.UTF8.GetBytes(BuildBody(alert, _options.Format));
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("User-Agent", "blueteam");
        // The receiver deduplicates on it (a send that completed just before a crash is sent again after it),
        // whatever the body's format.
        request.Headers.TryAddWithoutValidation(AlertIdHeader, alert.Id.ToString(CultureInfo.InvariantCulture));
        if (_options.Headers is not null)
            foreach (var (name, value) in _options.Headers)
                request.Headers.TryAddWithoutValidation(name, value);
        if (_secret is not null)
            request.Headers.TryAddWithoutValidation(SignatureHeader, Sign(_secret, body));

        return await HttpDelivery.SendAsync(_http, request, TimeSpan.FromSeconds(_options.TimeoutSec), _where, _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The signature header value for a body.</summary>
    public static string Sign(byte[] secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, body));


    internal static string BuildBody(AlertRecord alert, WebhookFormat format) => format switch
    {
        WebhookFormat.Slack => AlertJson.Serialize(Slack(alert)),
        WebhookFormat.Teams => AlertJson.Serialize(Teams(alert)),
        _ => AlertJson.Serialize(WithAlertId(alert)),
    };

    /// <summary>The ECS document with the stored alert's id at the top, as docs/ALERTING.md promises receivers.</summary>
    private static JsonObject WithAlertId(AlertRecord alert)
    {
        var node = AlertJson.ToNode(alert);
        node["alert_id"] = alert.Id;
        return node;
    }

    private static List<(string Name, string Value)> Facts(AlertRecord alert)
    {
        var i = alert.Incident;
        return
        [
            ("Severity", i.Severity.ToName()),
            ("Rule", SafeText.Inert(i.Rule.Name, 128)),
            ("Source IP", SafeText.Inert(i.Source?.Ip ?? "-", 64)),
            ("User", SafeText.Inert(i.User?.Name ?? "-", 128)),
            ("Host", SafeText.Inert(i.Host?.Hostname ?? alert.Host, 128)),
            ("NIST", string.Join(", ", i.NistControls.Select(c => SafeText.Inert(c, 32)))),
            ("Events", i.EventCount.ToString(CultureInfo.InvariantCulture)),
            ("Alert", alert.Id.ToString(CultureInfo.InvariantCulture)),
            .. alert.Change is { } change ? [("Update", change.Describe(i))] : Array.Empty<(string, string)>(),
        ];
    }

    // Slack mrkdwn treats &, < and > as control characters (links, mentions such as <!channel>);
    // escaping them is what Slack documents, and keeps attacker text from pinging everyone.
    private static string SlackEscape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static JsonObject Slack(AlertRecord alert)
    {
        var i = alert.Incident;
        var title = $"[{i.Severity.ToName().ToUpperInvariant()}] {SafeText.Inert(i.Title, 512)}";
        var fields = new JsonArray();
        foreach (var (name, value) in Facts(alert))
            fields.Add(new JsonObject { ["type"] = "mrkdwn", ["text"] = $"*{name}:* {SlackEscape(value)}" });
        return new JsonObject
        {
            ["text"] = SlackEscape(title),
            ["blocks"] = new JsonArray
            {
                new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Cut(title, 150) } },
                new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = SlackEscape(SafeText.Inert(i.Description, 2900)) } },
                new JsonObject { ["type"] = "section", ["fields"] = fields },
            },
        };
    }

    private static JsonObject Teams(AlertRecord alert)
    {
        var i = alert.Incident;
        var facts = new JsonArray();
        foreach (var (name, value) in Facts(alert)) facts.Add(new JsonObject { ["title"] = name, ["value"] = value });
        var card = new JsonObject
        {
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = new JsonArray
            {
                new JsonObject
                {
                    ["type"] = "TextBlock", ["size"] = "Large", ["weight"] = "Bolder", ["wrap"] = true,
                    ["color"] = i.Severity >= Severity.High ? "Attention" : i.Severity == Severity.Medium ? "Warning" : "Default",
                    ["text"] = $"[{i.Severity.ToName().ToUpperInvariant()}] {SafeText.Inert(i.Title, 512)}",
                },
                new JsonObject { ["type"] = "TextBlock", ["wrap"] = true, ["text"] = SafeText.Inert(i.Description, 2900) },
                new JsonObject { ["type"] = "FactSet", ["facts"] = facts },
            },
        };
        // The Teams "Workflows" incoming webhook shape: a message with one Adaptive Card attachment.
        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray { new JsonObject { ["contentType"] = "application/vnd.microsoft.card.adaptive", ["content"] = card } },
        };
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static string? ReadSecretFile(string? path, List<ConfigError> errors)
    {
        if (path is null) return null;
        try
        {
            using var reader = new StreamReader(path);
            var first = reader.ReadLine();
            if (!string.IsNullOrEmpty(first)) return first;
            errors.Add(new ConfigError("alerting.webhook.secret_file", "alerting.webhook", $"{path} is empty; its first line must be the secret"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            errors.Add(new ConfigError("alerting.webhook.secret_file", "alerting.webhook", $"cannot read {path}: {e.Message}"));
        }
        return null;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The webhook channel in the <see cref="ChannelRegistry"/>; its constructor checks what validation cannot (secret file).</summary>
internal sealed class WebhookChannelType() : CoreChannelType<WebhookChannelOptions>(ChannelNames.Webhook, a => a.Webhook)
{
    protected override IAlertChannel Create(WebhookChannelOptions options, ChannelContext context) => new WebhookChannel(options, context.Time);
}
