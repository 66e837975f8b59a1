using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BlueTeam.Core.Text;

namespace BlueTeam.Alerting.Channels;

/// <summary>
/// Sends alerts to a remote syslog collector (the SIEM's rsyslog, syslog-ng, …) as RFC 5424
/// records over UDP (RFC 5426), TCP with octet-counting framing (RFC 6587) or TLS (RFC 5425).
/// </summary>
/// <remarks>
/// <para>The message is text (the key=value line of the local channel), JSON (the ECS incident, one
/// line) or CEF. Every form is free of raw newlines and control characters: the text and CEF forms
/// pass fields through <see cref="SafeText.Inert"/>, JSON escapes them. Header fields are printable
/// ASCII as RFC 5424 requires, and structured-data values escape '"', '\' and ']'.</para>
/// <para>TLS always verifies the collector's certificate: against <c>ca_file</c> when given
/// (a private CA), otherwise the system store, and its name against <c>server_name</c>.</para>
/// <para>A connection is opened per alert, as for the local socket: alerts are rare and a collector
/// restart then needs no reconnect logic. Refused, reset, timed-out and unresolvable connections are
/// transient; a certificate that does not verify is permanent until someone fixes it.</para>
/// </remarks>
public sealed class RemoteSyslogChannel : IAlertChannel
{
    /// <summary>RFC 5612's documentation enterprise number, for our structured-data id.</summary>
    public const string SdId = "blueteam@32473";

    // Big enough for an incident without its evidence; UDP collectors commonly accept 8 KiB
    // (rsyslog's default maxMessageSize), beyond which they truncate mid-record.
    private const int MaxRecordBytes = 8000;

    private readonly SyslogChannelOptions _options;
    private readonly int _facility;
    private readonly int _port;
    private readonly X509Certificate2Collection? _trust;
    private readonly TimeProvider _time;
    private readonly int _pid = Environment.ProcessId;

    /// <exception cref="ConfigException">Invalid options, or a CA file that cannot be read.</exception>
    public RemoteSyslogChannel(SyslogChannelOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var errors = options.Validate().Select(p => new ConfigError($"alerting.syslog.{p.Key}", "alerting.syslog", p.Message)).ToList();
        if (options.Transport == SyslogTransport.Local)
            errors.Add(new ConfigError("alerting.syslog.transport", "alerting.syslog", "the remote channel needs transport udp, tcp or tls"));
        if (options.Transport == SyslogTransport.Tls && options.CaFile is not null)
        {
            try
            {
                _trust = [];
                _trust.ImportFromPemFile(options.CaFile);
                if (_trust.Count == 0) errors.Add(new ConfigError("alerting.syslog.ca_file", "alerting.syslog", $"{options.CaFile} holds no PEM certificate"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                errors.Add(new ConfigError("alerting.syslog.ca_file", "alerting.syslog", $"cannot read {options.CaFile}: {e.Message}"));
            }
        }
        if (errors.Count > 0) throw new ConfigException("alerting.syslog", errors);
        _options = options;
        _facility = SyslogFacilities.TryParse(options.Facility, out var facility) ? facility : 22;
        _port = SyslogSender.PortOf(options);
        _time = time;
    }

    public string Name => ChannelNames.Syslog;

    private string Where => $"syslog {_options.Transport.ToString().ToLowerInvariant()}://{_options.Server}:{_port.ToString(CultureInfo.InvariantCulture)}";

    public async Task<DeliveryResult> SendAsync(AlertRecord alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var record = Encoding.UTF8.GetBytes(Format(alert));
        if (record.Length > MaxRecordBytes)
            record = Encoding.UTF8.GetBytes(Format(alert with { Incident = alert.Incident with { Evidence = [] } }));
        if (record.Length > MaxRecordBytes)
            return DeliveryResult.Permanent($"{Where}: record of {record.Length} bytes exceeds {MaxRecordBytes} even without evidence");

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSec));
        try
        {
            await SyslogSender.SendAsync(_options, record, _trust, deadline.Token).ConfigureAwait(false);
            return DeliveryResult.Delivered();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return DeliveryResult.Transient($"{Where}: no connection within {_options.TimeoutSec} s");
        }
        catch (AuthenticationException e)
        {
            return DeliveryResult.Permanent($"{Where}: TLS failed, the collector's certificate was not accepted: {e.Message}");
        }
        catch (SocketException e)
        {
            return DeliveryResult.Transient($"{Where}: {e.SocketErrorCode}: {e.Message}");
        }
        catch (IOException e)
        {
            return DeliveryResult.Transient($"{Where}: connection failed: {e.Message}");
        }
    }

    /// <summary>The RFC 5424 record (no framing, no trailing newline).</summary>
    internal string Format(AlertRecord alert)
    {
        var i = alert.Incident;
        var pri = _facility * 8 + SyslogChannel.SyslogSeverity(i.Severity);
        var stamp = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        var sb = new StringBuilder(512);
        sb.Append('<').Append(pri.ToString(CultureInfo.InvariantCulture)).Append(">1 ")
          .Append(stamp).Append(' ')
          .Append(HeaderField(alert.Host, 255)).Append(' ')
          .Append(HeaderField(_options.Ident, 48)).Append(' ')
          .Append(_pid.ToString(CultureInfo.InvariantCulture)).Append(' ')
          .Append("incident ")
          .Append('[').Append(SdId)
          .Append(" alert_id=\"").Append(alert.Id.ToString(CultureInfo.InvariantCulture)).Append('"')
          .Append(" severity=\"").Append(i.Severity.ToName()).Append('"')
          .Append(" rule=\"").Append(SdValue(i.Rule.Name)).Append('"')
          .Append(" fingerprint=\"").Append(SdValue(i.Fingerprint)).Append('"')
          .Append("] ")
          .Append(_options.Format switch
          {
              SyslogFormat.Json => AlertJson.Serialize(alert),
              SyslogFormat.Cef => Cef(alert),
              _ => SyslogChannel.FormatText(alert),
          });
        return sb.ToString();
    }

    /// <summary>CEF:0 with the header's '|' and '\' escaped, and extension values' '=' and '\' escaped.</summary>
    internal static string Cef(AlertRecord alert)
    {
        var i = alert.Incident;
        static string H(string? t) => SafeText.Inert(t, 512).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);
        static string E(string? t) => SafeText.Inert(t, 1024).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal);
        var cefSeverity = i.Severity switch { Severity.Critical => 10, Severity.High => 8, Severity.Medium => 5, Severity.Low => 3, _ => 1 };
        var sb = new StringBuilder(512);
        sb.Append("CEF:0|blueteam|blueteam|1|").Append(H(i.Rule.Id)).Append('|').Append(H(i.Title)).Append('|')
          .Append(cefSeverity.ToString(CultureInfo.InvariantCulture)).Append('|')
          .Append("rt=").Append(i.LastSeen.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture))
          .Append(" cnt=").Append(i.EventCount.ToString(CultureInfo.InvariantCulture))
          .Append(" externalId=").Append(alert.Id.ToString(CultureInfo.InvariantCulture))
          .Append(" dhost=").Append(E(i.Host?.Hostname ?? alert.Host));
        if (i.Source?.Ip is { } ip) sb.Append(" src=").Append(E(ip));
        if (i.User?.Name is { } user) sb.Append(" duser=").Append(E(user));
        sb.Append(" cs1Label=nist cs1=").Append(E(string.Join(",", i.NistControls)))
          .Append(" cs2Label=fingerprint cs2=").Append(E(i.Fingerprint))
          .Append(" msg=").Append(E(i.Description));
        return sb.ToString();
    }

    // RFC 5424 header fields: printable US-ASCII (33-126) only, "-" when empty.
    private static string HeaderField(string? text, int max)
    {
        if (string.IsNullOrEmpty(text)) return "-";
        var sb = new StringBuilder(Math.Min(text.Length, max));
        foreach (var c in text)
        {
            if (sb.Length == max) break;
            sb.Append(c is > ' ' and < (char)127 ? c : '_');
        }
        return sb.ToString();
    }

    private static string SdValue(string? text) =>
        SafeText.Inert(text, 256).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("]", "\\]", StringComparison.Ordinal);
}
