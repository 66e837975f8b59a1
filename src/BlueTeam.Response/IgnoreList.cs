using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace BlueTeam.Response;

/// <summary>
/// Addresses never banned: the configured ones, plus loopback and every address of this host
/// (always, whatever the config says), so a ban can never cut the host off from itself.
/// </summary>
public sealed class IgnoreList
{
    private readonly List<IPNetwork> _networks;

    public IgnoreList(IEnumerable<string> configured, IEnumerable<IPAddress> ownAddresses)
    {
        _networks = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("::ffff:127.0.0.0/104")];
        foreach (var text in configured)
        {
            if (IPAddress.TryParse(text, out var address) && !text.Contains('/', StringComparison.Ordinal))
                _networks.Add(BanTarget.ForAddress(address, 128).Network);
            else _networks.Add(IPNetwork.Parse(text)); // validated by ResponseOptions
        }
        foreach (var address in ownAddresses) _networks.Add(BanTarget.ForAddress(address, 128).Network);
    }

    public IReadOnlyList<IPNetwork> Networks => _networks;

    /// <summary>The ignored network the target overlaps (a /64 ban that would cover an ignored address counts), or null.</summary>
    public IPNetwork? Covering(BanTarget target)
    {
        foreach (var n in _networks) if (target.Overlaps(n)) return n;
        return null;
    }

    /// <summary>Every unicast address of this host's interfaces.</summary>
    public static IReadOnlyList<IPAddress> HostAddresses()
    {
        var result = new List<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
                foreach (var a in nic.GetIPProperties().UnicastAddresses)
                    if (a.Address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                        result.Add(new IPAddress(a.Address.GetAddressBytes())); // drops the IPv6 scope id
        }
        catch (NetworkInformationException)
        {
            // Without the interface list only the configured and loopback addresses are protected; the caller logs it.
            return result;
        }
        return result;
    }
}
