namespace BlueTeam.Response;

/// <summary>
/// When each source address last logged in successfully (event time), learnt from the parsed
/// events the daemon sees, so that an address a user logs in from is never banned because the
/// same address also failed (a NAT, a typo-prone colleague). Bounded: past <see cref="MaxAddresses"/>
/// entries the ones older than the grace period are dropped, then the oldest.
/// </summary>
/// <remarks>
/// Memory only: after a restart it knows the logins of the lines read since, plus the lines the
/// daemon replays to rebuild its correlation windows. That is the pragmatic choice: the store keeps
/// incidents, not every successful login.
/// </remarks>
public sealed class LoginMemory
{
    public const int MaxAddresses = 100_000;
    private readonly Dictionary<IPAddress, DateTimeOffset> _lastLogin = [];
    private readonly Lock _lock = new();

    public void Observe(IReadOnlyList<SecurityEvent> events)
    {
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.Event.Outcome != EcsValues.Success || e.Source?.Ip is not { } ip) continue;
            if (e.Event.Action != "ssh_login") continue;
            if (!IPAddress.TryParse(ip, out var address)) continue;
            Record(address, e.Timestamp);
        }
    }

    public void Record(IPAddress address, DateTimeOffset at)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        lock (_lock)
        {
            if (_lastLogin.TryGetValue(address, out var known) && known >= at) return;
            if (_lastLogin.Count >= MaxAddresses && !_lastLogin.ContainsKey(address))
            {
                var oldest = _lastLogin.MinBy(kv => kv.Value).Key;
                _lastLogin.Remove(oldest);
            }
            _lastLogin[address] = at;
        }
    }

    /// <summary>The last successful login from an address inside <paramref name="target"/> at or after <paramref name="since"/>, if any.</summary>
    public (IPAddress Address, DateTimeOffset At)? LoggedInSince(BanTarget target, DateTimeOffset since)
    {
        lock (_lock)
        {
            foreach (var (address, at) in _lastLogin)
                if (at >= since && target.Network.Contains(address)) return (address, at);
        }
        return null;
    }
}
