using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BlueTeam.Tests.Support;

/// <summary>
/// A throwaway CA and a server certificate it signed, made in memory for one test: TLS peers on
/// loopback (an in-process syslog collector, aiosmtpd with STARTTLS) that the channels verify
/// against the CA, never with verification turned off.
/// </summary>
internal sealed class AlertTestPki : IDisposable
{
    public required X509Certificate2 Ca { get; init; }
    public required X509Certificate2 Leaf { get; init; }
    /// <summary>The leaf's private key, PKCS#8 PEM (for servers that read key files).</summary>
    public required string LeafKeyPem { get; init; }

    /// <param name="dnsName">The name the server certificate carries (CN and SAN).</param>
    /// <param name="addresses">IP addresses it carries too (SAN), for clients that connect by address.</param>
    public static AlertTestPki Create(string dnsName, params IPAddress[] addresses)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=blueteam test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(1));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest($"CN={dnsName}", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        foreach (var address in addresses) san.AddIpAddress(address);
        leafRequest.CertificateExtensions.Add(san.Build());
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = leafRequest.Create(ca, now.AddMinutes(-5), now.AddHours(1), [1, 2, 3, 4]);
        using var withKey = signed.CopyWithPrivateKey(leafKey);
        // Round-trip through PKCS#12 so the key is usable by an in-process TLS server on every platform.
        var leaf = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return new AlertTestPki { Ca = ca, Leaf = leaf, LeafKeyPem = leafKey.ExportPkcs8PrivateKeyPem() };
    }

    /// <summary>Writes ca.pem, server.pem and server.key into <paramref name="directory"/>; returns their paths.</summary>
    public (string CaFile, string CertFile, string KeyFile) WritePem(string directory)
    {
        var paths = (Path.Combine(directory, "ca.pem"), Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"));
        File.WriteAllText(paths.Item1, Ca.ExportCertificatePem());
        File.WriteAllText(paths.Item2, Leaf.ExportCertificatePem());
        File.WriteAllText(paths.Item3, LeafKeyPem);
        File.SetUnixFileMode(paths.Item3, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return paths;
    }

    public void Dispose()
    {
        Ca.Dispose();
        Leaf.Dispose();
    }
}
