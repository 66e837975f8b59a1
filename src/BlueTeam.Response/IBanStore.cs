namespace BlueTeam.Response;

/// <summary>
/// The record of ban decisions (the <c>bans</c> table). Defined here, implemented by the store:
/// storage references the response stage, never the other way round.
/// </summary>
public interface IBanStore
{
    /// <summary>Stores a decision and returns it with its id.</summary>
    Task<BanRecord> AddBanAsync(NewBan ban, CancellationToken cancellationToken);

    /// <summary>
    /// Bans ordered by id. <paramref name="activeOnly"/>: not lifted and not yet over at <paramref name="now"/>.
    /// <paramref name="host"/> null lists every host's bans (a shared fleet store).
    /// </summary>
    Task<IReadOnlyList<BanRecord>> ListBansAsync(bool activeOnly, string? host, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>How many bans (enforced, lifted or not) this target has had: the repeat count that escalates its ban time.</summary>
    Task<int> CountEnforcedBansAsync(string target, CancellationToken cancellationToken);

    /// <summary>Lifts every active ban of <paramref name="target"/> (sets lifted_at and lifted_by); returns the lifted records.</summary>
    Task<IReadOnlyList<BanRecord>> LiftBansAsync(string target, string liftedBy, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>A decision to record.</summary>
public sealed record NewBan
{
    public required string Host { get; init; }
    /// <summary>An address or a CIDR prefix, in canonical form (<see cref="BanTarget.ToString"/>).</summary>
    public required string Target { get; init; }
    /// <summary>The rule whose incident decided it; null for a ban a person added.</summary>
    public string? Rule { get; init; }
    public string? IncidentFingerprint { get; init; }
    /// <summary>What made the decision: the incident's title and evidence lines, or the person's reason.</summary>
    public required string Reason { get; init; }
    public string Evidence { get; init; } = "";
    /// <summary>The rule's name, or the person who added it.</summary>
    public required string By { get; init; }
    public required BanAction Action { get; init; }
    public required DateTimeOffset From { get; init; }
    public required DateTimeOffset Until { get; init; }
}

/// <summary>What the decision did.</summary>
public enum BanAction
{
    /// <summary>Put into nftables.</summary>
    Enforced,
    /// <summary>Dry-run: recorded, nftables untouched.</summary>
    DryRun,
    /// <summary>Not banned (a recent successful login from it): reported instead.</summary>
    Reported,
}

public sealed record BanRecord
{
    public required long Id { get; init; }
    public required string Host { get; init; }
    public required string Target { get; init; }
    public string? Rule { get; init; }
    public string? IncidentFingerprint { get; init; }
    public required string Reason { get; init; }
    public required string Evidence { get; init; }
    public required string By { get; init; }
    public required BanAction Action { get; init; }
    public required DateTimeOffset From { get; init; }
    public required DateTimeOffset Until { get; init; }
    public DateTimeOffset? LiftedAt { get; init; }
    public string? LiftedBy { get; init; }

    public bool IsActiveAt(DateTimeOffset now) => LiftedAt is null && now < Until;
}

public static class BanActionNames
{
    public static string Name(BanAction action) => action switch
    {
        BanAction.Enforced => "enforced",
        BanAction.DryRun => "dry_run",
        BanAction.Reported => "reported",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "unknown ban action"),
    };

    public static BanAction Parse(string text) => text switch
    {
        "enforced" => BanAction.Enforced,
        "dry_run" => BanAction.DryRun,
        "reported" => BanAction.Reported,
        _ => throw new FormatException($"'{text}' is not a ban action"),
    };
}
