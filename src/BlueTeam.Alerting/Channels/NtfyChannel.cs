using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using BlueTeam.Core.Text;

namespace BlueTeam.Alerting.Channels;

/// <summary>Options of the <see cref="NtfyChannel"/> (<c>alerting.ntfy</c>).</summary>
public sealed class NtfyChannelOptions : ChannelOptions
{
    /// <summary>The ntfy server's base URL, e.g. https://ntfy.example.org (no topic in it).</summary>
    public string? Url { get; set; }
    /// <summary>The topic phones and desktops subscribe to.</summary>
    public string? Topic { get; set; }
    /// <summary>Access token (sent as a bearer token); optional on an open server.</summary>
    [ConfigSecret] public string? Token { get; set; }
    public int TimeoutSec { get; set; } = 10;

    public override IEnumerable<ConfigProblem> Validate()
    {
        if (!Enabled) yield break;
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || url.Query.Length > 0 || url.UserInfo.Length > 0)
            yield return new("url", "must be the server's http(s) base URL, without query or credentials (the token goes in token)");
        // ntfy's own rule for topic names: 1-64 of [-_A-Za-z0-9].
        if (string.IsNullOrEmpty(Topic) || Topic.Length > 64 || !Topic.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            yield return new("topic", "must be 1 to 64 letters, digits, '-' or '_'");
        if (Token is not null && (Token.Length == 0 || Token.Any(c => c <= ' ' || c >= 0x7f)))
            yield return new("token", "must be printable ASCII without spaces");
        if (TimeoutSec is < 1 or > 300) yield return new("timeout_sec", "must be between 1 and 300 seconds");
    }
}

/// <summary>
/// Pushes an alert to phones through an ntfy server: one JSON message per alert (title, text,
/// priority from the severity, tags).
/// </summary>
/// <remarks>
/// <para>The message is published as JSON to the server's root (ntfy's "publish as JSON"), not in
/// HTTP headers, so attacker text (user names, URLs) can never add or split a header; the JSON
/// encoder escapes it, and <see cref="SafeText.Inert"/> makes control characters visible. The
/// message is sent as plain text (ntfy renders Markdown only when asked), so no markup in an
/// incident is interpreted.</para>
/// <para>Classification as the webhook's: 2xx delivered; 429 (with its Retry-After) and 5xx,
/// timeouts and transport errors transient; other 4xx (bad token, unknown topic) and TLS failures
/// permanent.</para>
/// </remarks>
public sealed class NtfyChannel : IAlertChannel, IDisposable
{
    public const string TypeName = "ntfy";

    private readonly NtfyChannelOptions _options;
    private readonly Uri _url;
    private readonly string _where;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;

    public NtfyChannel(NtfyChannelOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ChannelChecks.ThrowIfInvalid(options, "alerting.ntfy");
        _options = options;
        _url = new Uri(options.Url!);
        _where = $"ntfy {_url.Scheme}://{_url.Authority}";
        _time = time;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            // Our own deadline gives a classified result; HttpClient's would throw a bare TaskCanceledException.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public string Name => TypeName;

    public async Task<DeliveryResult> SendAsync(AlertRecord alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var body = Encoding.UTF8.GetBytes(BuildBody(alert, _options.Topic!));
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("User-Agent", "blueteam");
        if (_options.Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);

        return await HttpDelivery.SendAsync(_http, request, TimeSpan.FromSeconds(_options.TimeoutSec), _where, _time, cancellationToken).ConfigureAwait(false);
    }


    /// <summary>ntfy priorities: 5 (max, overrides do-not-disturb on most phones) for critical, down to 1 (min) for info.</summary>
    internal static int Priority(Severity severity) => severity switch
    {
        Severity.Critical => 5,
        Severity.High => 4,
        Severity.Medium => 3,
        Severity.Low => 2,
        _ => 1,
    };

    internal static string BuildBody(AlertRecord alert, string topic)
    {
        var i = alert.Incident;
        var message = new StringBuilder()
            .AppendLine(SafeText.Inert(i.Description, 2000))
            .Append(CultureInfo.InvariantCulture, $"rule {SafeText.Inert(i.Rule.Name, 128)} · host {SafeText.Inert(i.Host?.Hostname ?? alert.Host, 128)}")
            .Append(CultureInfo.InvariantCulture, $" · source {SafeText.Inert(i.Source?.Ip ?? "-", 64)} · user {SafeText.Inert(i.User?.Name ?? "-", 128)}")
            .Append(CultureInfo.InvariantCulture, $" · alert {alert.Id}")
            .ToString();
        return AlertJson.Serialize(new JsonObject
        {
            ["topic"] = topic,
            ["title"] = $"[{i.Severity.ToName().ToUpperInvariant()}] {SafeText.Inert(i.Title, 250)}",
            ["message"] = message,
            ["priority"] = Priority(i.Severity),
            ["tags"] = new JsonArray("rotating_light", "blueteam"),
        });
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The ntfy channel in the <see cref="ChannelRegistry"/>: its options live above, not in Core.</summary>
public sealed class NtfyChannelType : ChannelType<NtfyChannelOptions>
{
    public override string Name => NtfyChannel.TypeName;

    protected override IAlertChannel Create(NtfyChannelOptions options, ChannelContext context) => new NtfyChannel(options, context.Time);
}
