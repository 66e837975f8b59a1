namespace BlueTeam.Response;

/// <summary>
/// Where bans take effect. One implementation per firewall (nftables today); a failure throws
/// <see cref="FirewallException"/>, the response stage decides what to do about it.
/// </summary>
public interface IFirewall
{
    /// <summary>Creates blueteam's own table, sets and chain if missing; idempotent, touches nothing else.</summary>
    Task EnsureAsync(CancellationToken cancellationToken);

    /// <summary>Adds the targets, each expiring by itself after its timeout (in the kernel, even if blueteam is down).</summary>
    Task AddAsync(IReadOnlyList<TimedBan> bans, CancellationToken cancellationToken);

    /// <summary>Removes the targets; one no longer present (already expired) is not an error.</summary>
    Task RemoveAsync(IReadOnlyList<BanTarget> targets, CancellationToken cancellationToken);
}

public readonly record struct TimedBan(BanTarget Target, TimeSpan Timeout);

/// <summary>The firewall refused or could not be run (no nft, no permission, a rejected batch).</summary>
public sealed class FirewallException(string message, Exception? inner = null) : Exception(message, inner);
