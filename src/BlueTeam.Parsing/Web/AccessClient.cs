namespace BlueTeam.Parsing.Web;

/// <summary>
/// The client in the client field: the last public address (a proxy chain grows to the right, and
/// what stands left of the address the nearest proxy saw is an X-Forwarded-For header the client
/// wrote), else the first address (an all-internal chain, as Elastic's pipelines), else a host name;
/// <see cref="Peer"/> is the last address (the one that connected).
/// </summary>
internal readonly record struct AccessClient(string? Ip, string? Domain, string? Peer)
{
    public static AccessClient Choose(ReadOnlySpan<char> clients)
    {
        // Addresses are remembered by where they are; only the chosen one and the peer become strings.
        AddressToken firstIp = default, lastPublic = default, lastIp = default;
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
                if (!address.IsInternal()) lastPublic = address;
            }
            else if (NetAddress.LooksLikeHostName(token))
            {
                name = range;
                hasName = true;
            }
        }
        var chosen = lastPublic.Found ? lastPublic : firstIp;
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
