using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace BlueTeam.Alerting.Channels;

/// <summary>
/// Puts one finished syslog record on the wire as <c>alerting.syslog</c> describes: the local Unix
/// datagram socket, UDP, or TCP/TLS with RFC 6587 octet counting (so a record can never be split
/// or merged), the collector's certificate checked against the system store or a private CA.
/// Shared by the remote syslog channel and the audit chain-head announcer; it throws the
/// network's exceptions and lets each caller classify them.
/// </summary>
public static class SyslogSender
{
    /// <summary>The collector's port: the configured one, else 6514 for TLS (RFC 5425) and 514 otherwise.</summary>
    public static int PortOf(SyslogChannelOptions options) =>
        options.Port != 0 ? options.Port : options.Transport == SyslogTransport.Tls ? 6514 : 514;

    /// <summary>The private CA of <c>ca_file</c>, or null to use the system's trust store.</summary>
    public static X509Certificate2Collection? LoadTrust(string? caFile)
    {
        if (caFile is null) return null;
        var trust = new X509Certificate2Collection();
        trust.ImportFromPemFile(caFile);
        return trust;
    }

    public static async Task SendAsync(SyslogChannelOptions options, byte[] record, X509Certificate2Collection? trust, CancellationToken cancellationToken)
    {
        var port = PortOf(options);
        switch (options.Transport)
        {
            case SyslogTransport.Local:
                using (var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified))
                    await socket.SendToAsync(record, SocketFlags.None, new UnixDomainSocketEndPoint(options.Socket), cancellationToken).ConfigureAwait(false);
                break;
            case SyslogTransport.Udp:
                using (var udp = new UdpClient())
                {
                    udp.Connect(options.Server!, port);
                    await udp.SendAsync(record, cancellationToken).ConfigureAwait(false);
                }
                break;
            default:
                using (var tcp = new TcpClient())
                {
                    await tcp.ConnectAsync(options.Server!, port, cancellationToken).ConfigureAwait(false);
                    Stream stream = tcp.GetStream();
                    SslStream? tls = null;
                    if (options.Transport == SyslogTransport.Tls)
                    {
                        tls = new SslStream(stream, leaveInnerStreamOpen: false, (_, certificate, _, errors) => VerifyServer(trust, certificate, errors));
                        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                        {
                            TargetHost = options.ServerName ?? options.Server!,
                            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        }, cancellationToken).ConfigureAwait(false);
                        stream = tls;
                    }
                    await using (tls)
                    {
                        // RFC 6587 octet counting: "LEN SP record".
                        var frame = System.Text.Encoding.ASCII.GetBytes(record.Length.ToString(CultureInfo.InvariantCulture) + " ");
                        await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                        await stream.WriteAsync(record, cancellationToken).ConfigureAwait(false);
                        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                break;
        }
    }

    /// <summary>
    /// The system's verdict, or with a private CA: the name must still match; only the chain is
    /// rebuilt against that CA alone.
    /// </summary>
    public static bool VerifyServer(X509Certificate2Collection? trust, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (trust is null) return errors == SslPolicyErrors.None;
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
