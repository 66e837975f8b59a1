namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// What one host publishes for the fleet: the authentication failures it saw in one bucket of event time
/// from one source (an IPv4 address, or an IPv6 /64) against one user. Compact on purpose: no log text,
/// only fields the parsers took from the format's fixed structure (the user name is still the client's
/// word, so it travels as a parameter and is printed escaped).
/// </summary>
/// <param name="Id">The store's sequence number (0 before it is published).</param>
public sealed record FleetSignal(long Id, string Host, DateTimeOffset Bucket, string Source, string? User, int Failures);

/// <summary>One (bucket, source, user) of one host, the unit the aggregator counts in.</summary>
public readonly record struct FleetSignalKey(DateTimeOffset Bucket, string Source, string? User);
