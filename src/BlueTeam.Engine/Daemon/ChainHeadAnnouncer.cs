using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Text;
using BlueTeam.Storage.Sealing;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// Anchors the tamper-evident alert history outside the host (NIST SP 800-171 3.3.8): with
/// <c>alerting.syslog.send_chain_head: true</c>, the heartbeat hands this host's audit chain head
/// (sequence number and hash, <see cref="IAuditChain.GetChainHeadAsync"/>) to the configured
/// syslog destination whenever it changed, and at least every <see cref="Repeat"/> when it did
/// not. Someone with root on the host can rewrite the store and recompute the whole chain, but
/// cannot change what the collector already recorded: <c>blueteam verify</c>'s head must match the
/// last record the collector holds.
/// </summary>
/// <remarks>
/// One record per announcement, on the syslog settings of the alert channel (local socket as
/// RFC 3164, or RFC 5424 over UDP, TCP with octet counting, or TLS), severity info. The message is
/// <c>BLUETEAM_CHAIN_HEAD host=… seq=… hash=…</c> (seq=0 hash=- while the host has no chain yet, so
/// a history wiped to nothing is visible too); remote records also carry it as structured data
/// <c>[blueteam@32473 host="…" seq="…" hash="…"]</c>, msgid <c>chainhead</c>. A store or network
/// error never escapes: it is logged once per distinct message and retried at the next beat.
/// </remarks>
internal sealed class ChainHeadAnnouncer
{
    private const string SdId = "blueteam@32473";
    private const int InfoSeverity = 6;

    private ChainHead? _lastSent;
    private bool _sentOnce;
    private DateTimeOffset _lastSentAt;
    private readonly StateChangeLog _errors = new();

    /// <summary>How long an unchanged head goes without being announced again.</summary>
    public static TimeSpan Repeat { get; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Called at every heartbeat: announces the head of <paramref name="config"/>'s host when the
    /// option is on and the head changed (or <see cref="Repeat"/> passed, or <paramref name="force"/>: the
    /// sealer announces at every epoch). Returns whether it sent.
    /// </summary>
    public async Task<bool> AnnounceAsync(BlueTeamConfig config, IAuditChain chain, DateTimeOffset now, ILogger logger, CancellationToken cancellationToken, bool force = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(logger);
        var options = config.Alerting.Syslog;
        if (!options.SendChainHead) return false;
        try
        {
            var head = await chain.GetChainHeadAsync(config.Host, cancellationToken).ConfigureAwait(false);
            if (!force && _sentOnce && head == _lastSent && now - _lastSentAt < Repeat) return false;
            await SendAsync(options, Format(options, config.Host, head, now), cancellationToken).ConfigureAwait(false);
            _lastSent = head;
            _lastSentAt = now;
            _sentOnce = true;
            if (_errors.Succeeded()) logger.LogInformation("Audit chain head sent to syslog again");
            return true;
        }
        catch (Exception e) when (e is StoreException or SocketException or IOException or AuthenticationException or System.Security.Cryptography.CryptographicException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var message = e is OperationCanceledException ? $"no answer within {options.TimeoutSec} s" : e.Message;
            if (_errors.Failed(message)) logger.LogWarning("Audit chain head not sent to syslog: {Message}", message);
            return false;
        }
    }

    /// <summary>The message text (no syslog header): one line, printable, fields without spaces.</summary>
    internal static string Text(string host, ChainHead? head) =>
        string.Create(CultureInfo.InvariantCulture,
            $"BLUETEAM_CHAIN_HEAD host={Field(host)} seq={head?.Seq ?? 0} hash={(head is null ? "-" : Field(head.Hash))}");

    private const string Marker = "BLUETEAM_CHAIN_HEAD ";

    /// <summary>
    /// Reads an announced head back from a saved syslog line (either format: the message ends the line), for
    /// <c>verify --anchors</c>. The host is as written on the line (<see cref="LineHost"/> of the real one).
    /// </summary>
    internal static bool TryParse(string line, int lineNumber, out AnnouncedHead? head)
    {
        head = null;
        var at = line.LastIndexOf(Marker, StringComparison.Ordinal);
        if (at < 0) return false;
        var fields = line[(at + Marker.Length)..].TrimEnd('\r', '\n').Split(' ');
        if (fields.Length != 3 || !fields[0].StartsWith("host=", StringComparison.Ordinal) || !fields[1].StartsWith("seq=", StringComparison.Ordinal)
            || !fields[2].StartsWith("hash=", StringComparison.Ordinal)
            || !long.TryParse(fields[1].AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            return false;
        var hash = fields[2][5..];
        head = new AnnouncedHead(fields[0][5..], seq, hash == "-" ? null : hash, lineNumber);
        return true;
    }

    /// <summary>A host name as <see cref="Text"/> writes it on the line.</summary>
    internal static string LineHost(string host) => Field(host);

    /// <summary>The whole record as sent (no framing).</summary>
    internal static string Format(SyslogChannelOptions options, string host, ChainHead? head, DateTimeOffset now)
    {
        var facility = SyslogFacilities.TryParse(options.Facility, out var f) ? f : 22;
        var pri = (facility * 8 + InfoSeverity).ToString(CultureInfo.InvariantCulture);
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        if (options.Transport == SyslogTransport.Local)
        {
            var local = now.ToLocalTime();
            return string.Create(CultureInfo.InvariantCulture, $"<{pri}>{local:MMM} {local.Day,2} {local:HH:mm:ss} {options.Ident}[{pid}]: {Text(host, head)}");
        }
        var stamp = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        var sd = string.Create(CultureInfo.InvariantCulture,
            $"[{SdId} host=\"{SdValue(host)}\" seq=\"{head?.Seq ?? 0}\" hash=\"{(head is null ? "-" : SdValue(head.Hash))}\"]");
        return $"<{pri}>1 {stamp} {HeaderField(host)} {HeaderField(options.Ident)} {pid} chainhead {sd} {Text(host, head)}";
    }

    private static async Task SendAsync(SyslogChannelOptions options, string record, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.TimeoutSec));
        await SyslogSender.SendAsync(options, Encoding.UTF8.GetBytes(record), SyslogSender.LoadTrust(options.CaFile), deadline.Token).ConfigureAwait(false);
    }

    private static string Field(string text) => SafeText.Inert(text, 255).Replace(" ", "\\x20", StringComparison.Ordinal);

    private static string SdValue(string text) =>
        SafeText.Inert(text, 255).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("]", "\\]", StringComparison.Ordinal);

    /// <summary>RFC 5424 header fields: printable US-ASCII without spaces, or "-".</summary>
    private static string HeaderField(string text)
    {
        var sb = new StringBuilder(Math.Min(text.Length, 255));
        foreach (var c in text)
        {
            if (sb.Length == 255) break;
            if (c is > ' ' and < (char)127) sb.Append(c);
        }
        return sb.Length == 0 ? "-" : sb.ToString();
    }
}
