using System.Net;

namespace BlueTeam.Parsing;

/// <summary>Reads peers as logs write them: an address, normalized so that one peer is one key, or a host name.</summary>
internal static class NetAddress
{
    /// <summary>
    /// An address (normalized, IPv4-mapped IPv6 as IPv4) in <paramref name="ip"/>, or, when the log
    /// names a host instead (sshd UseDNS, PAM rhost), the name in <paramref name="domain"/>.
    /// False when the text is neither.
    /// </summary>
    public static bool TryReadPeer(ReadOnlySpan<char> peer, out string? ip, out string? domain)
    {
        ip = domain = null;
        if (peer.Length > 2 && peer[0] == '[' && peer[^1] == ']') peer = peer[1..^1];
        if (TryReadIp(peer, out ip)) return true;
        if (!LooksLikeHostName(peer)) return false;
        domain = peer.ToString();
        return true;
    }

    public static bool TryReadIp(ReadOnlySpan<char> text, out string? ip)
    {
        ip = null;
        // A dotted quad already in canonical form is its own normalized text: skip IPAddress (two allocations and a format).
        if (CanonicalIPv4.TryRead(text, out _))
        {
            ip = text.ToString();
            return true;
        }
        // IPAddress.TryParse accepts "1" or "1.2" as IPv4; logs write dotted quads or IPv6.
        if (text.IsEmpty || text.Length > 64 || (text.IndexOf(':') < 0 && (text.Count('.') != 3 || HasLeadingZero(text)))) return false;
        if (!IPAddress.TryParse(text, out var address)) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        ip = address.ToString();
        return true;
    }

    /// <summary>
    /// "192.030.0.6": IPAddress reads a leading zero as octal (192.24.0.6), other tools as decimal; no
    /// daemon writes an address that way, so such text is not taken as an address at all.
    /// </summary>
    private static bool HasLeadingZero(ReadOnlySpan<char> dotted)
    {
        for (var i = 0; i < dotted.Length - 1; i++)
            if (dotted[i] == '0' && (i == 0 || dotted[i - 1] == '.') && char.IsAsciiDigit(dotted[i + 1])) return true;
        return false;
    }

    /// <summary>Private, loopback, link-local or unique-local: an address a proxy chain adds, not the client's.</summary>
    public static bool IsInternal(string ip)
    {
        if (!IPAddress.TryParse(ip, out var a)) return false;
        if (IPAddress.IsLoopback(a) || a.IsIPv6LinkLocal || a.IsIPv6SiteLocal || a.IsIPv6UniqueLocal) return true;
        if (a.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return false;
        Span<byte> b = stackalloc byte[4];
        a.TryWriteBytes(b, out _);
        return b[0] == 10 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) || b[0] == 127;
    }

    public static bool LooksLikeHostName(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || s.Length > 253) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')) return false;
        return true;
    }

    public static int? ParsePort(ReadOnlySpan<char> s) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535 ? port : null;
}
