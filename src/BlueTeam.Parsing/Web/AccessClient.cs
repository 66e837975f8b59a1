namespace BlueTeam.Parsing.Web;

/// <summary>
/// The client among the words before ident: the first public address, else the first address, else a
/// host name; <see cref="Peer"/> is the last address (the one that connected).
/// </summary>
internal readonly record struct AccessClient(string? Ip, string? Domain, string? Peer)
{
    public static AccessClient Choose(ReadOnlySpan<char> clients)
    {
        // Addresses are remembered by where they are; only the chosen one and the peer become strings.
        AddressToken firstIp = default, firstPublic = default, lastIp = default;
        Range name = default;
        var hasName = false;
        foreach (var range in clients.SplitAny(", \""))
        {
            var token = clients[range];
            if (token.IsEmpty) continue;
            if (AddressToken.TryRead(token, range, out var address))
            {
                if (!firstIp.Found) firstIp = address;
                lastIp = address;
                if (!firstPublic.Found && !address.IsInternal()) firstPublic = address;
            }
            else if (NetAddress.LooksLikeHostName(token))
            {
                name = range;
                hasName = true;
            }
        }
        var chosen = firstPublic.Found ? firstPublic : firstIp;
        if (!chosen.Found) return new AccessClient(null, hasName ? clients[name].ToString() : null, null);
        var ip = chosen.Text(clients);
        var peer = lastIp.SameTokenAs(chosen) ? ip : lastIp.Text(clients);
        return new AccessClient(ip, null, peer);
    }

    /// <summary>
    /// One address in the client field: a canonical dotted quad is read in place (it is its own
    /// normalized text); anything else goes through <see cref="NetAddress.TryReadIp"/> as before.
    /// </summary>
    private readonly record struct AddressToken(bool Found, Range Where, string? Normalized, uint Octets)
    {
        public static bool TryRead(ReadOnlySpan<char> token, Range where, out AddressToken address)
        {
            if (CanonicalIPv4.TryRead(token, out var octets))
            {
                address = new AddressToken(true, where, null, octets);
                return true;
            }
            if (NetAddress.TryReadIp(token, out var ip))
            {
                address = new AddressToken(true, where, ip, 0);
                return true;
            }
            address = default;
            return false;
        }

        public string Text(ReadOnlySpan<char> clients) => Normalized ?? clients[Where].ToString();

        public bool IsInternal() => Normalized is not null ? NetAddress.IsInternal(Normalized) : CanonicalIPv4.IsInternal(Octets);

        public bool SameTokenAs(AddressToken other) => Where.Equals(other.Where);
    }
}

/// <summary>"a.b.c.d" with each part 0..255 written without leading zeros, as IPAddress.ToString writes it.</summary>
internal static class CanonicalIPv4
{
    public static bool TryRead(ReadOnlySpan<char> s, out uint octets)
    {
        octets = 0;
        if (s.Length is < 7 or > 15) return false;
        var parts = 0;
        var i = 0;
        while (true)
        {
            var start = i;
            var value = 0;
            while (i < s.Length && i - start < 3 && char.IsAsciiDigit(s[i])) value = value * 10 + (s[i++] - '0');
            var digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && s[start] == '0')) return false;
            octets = (octets << 8) | (uint)value;
            if (++parts == 4) return i == s.Length;
            if (i >= s.Length || s[i] != '.') return false;
            i++;
        }
    }

    /// <summary>As <see cref="NetAddress.IsInternal"/> decides for IPv4: loopback, private, link-local.</summary>
    public static bool IsInternal(uint octets)
    {
        var a = octets >> 24;
        var b = (octets >> 16) & 0xFF;
        return a == 10 || (a == 172 && b is >= 16 and <= 31) || (a == 192 && b == 168) || (a == 169 && b == 254) || a == 127;
    }
}
