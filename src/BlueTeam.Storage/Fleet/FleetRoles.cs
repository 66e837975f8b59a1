using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace BlueTeam.Storage.Fleet;

/// <summary>Who a fleet login role is: a host's daemon, or a person who acks, silences and lifts bans.</summary>
public enum FleetRoleKind
{
    Host,
    Operator,
}

/// <summary>
/// A host's (or an operator's) name as a fleet role carries it: the name the daemon's config gives
/// as <c>host:</c> and the rows it writes carry. It also becomes part of a PostgreSQL role name, so
/// it is held to a small alphabet before anything is sent to the server (and quoted even so).
/// </summary>
public sealed partial record FleetMemberName
{
    public const int MaxLength = 48;

    private FleetMemberName(string value) => Value = value;

    public string Value { get; }

    /// <summary>What a name must look like, for error messages.</summary>
    public const string Rule = "1 to 48 characters of a-z, 0-9, '.', '_' and '-'";

    public static bool TryParse(string? text, out FleetMemberName name)
    {
        name = null!;
        if (text is null || !Pattern().IsMatch(text)) return false;
        name = new FleetMemberName(text);
        return true;
    }

    /// <summary>The login role: a prefix keeps fleet roles apart from every other role of the server (postgres, the owner).</summary>
    public string RoleName(FleetRoleKind kind) => (kind == FleetRoleKind.Host ? "blueteam_host_" : "blueteam_op_") + Value;

    public override string ToString() => Value;

    [GeneratedRegex(@"\A[a-z0-9._-]{1,48}\z", RegexOptions.CultureInvariant)] // \z: $ would accept a final newline
    private static partial Regex Pattern();
}

/// <summary>What <c>fleet add-host</c> hands the administrator: where and as whom the host connects.</summary>
/// <param name="Password">Null when the role has none (peer or certificate authentication).</param>
public sealed record FleetCredentials(FleetRoleKind Kind, string Name, string RoleName, string? Password, bool Created, string ConnectionString);

/// <summary>One row of <c>fleet roles</c>.</summary>
public sealed record FleetRole(string RoleName, FleetRoleKind Kind, string Name, bool CanLogin, bool RoleExists, DateTimeOffset CreatedAt);

/// <summary>A role that is in the way: it exists but is not this fleet's, or the name is taken by the other kind.</summary>
public sealed class FleetRoleConflictException(string message) : Exception(message);

/// <summary>
/// Creates, lists and removes the login roles of a fleet, run with the administrator's connection
/// (a role with CREATEROLE that owns the blueteam schema). Each role is a member of
/// <see cref="FleetRolesSchema.HostGroup"/> or <see cref="FleetRolesSchema.OperatorGroup"/>, which
/// hold every privilege (migration 12), and is mapped to its name in <c>blueteam.fleet_hosts</c>,
/// which the row-level security policies read. Roles get no privilege of their own, so dropping
/// one leaves nothing behind in any database.
/// </summary>
/// <remarks>
/// Role names and passwords cannot be statement parameters: the name is validated by
/// <see cref="FleetMemberName"/> and quoted as an identifier, and the password is never sent: the
/// server gets its SCRAM-SHA-256 verifier, so the plain text cannot reach a server log
/// (log_statement = ddl) either. The password is returned to the caller only.
/// </remarks>
public sealed class FleetRoleAdmin(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const int PasswordLength = 32;
    private const string PasswordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    /// <summary>
    /// Creates the role of <paramref name="name"/> (or brings an existing one of this fleet back to
    /// what it must be), maps it, and returns how to connect. Run again, it issues a new password
    /// (the old one stops working) or, with <paramref name="withPassword"/> false, removes it.
    /// </summary>
    /// <exception cref="FleetRoleConflictException">The role exists but is not this fleet's, or the name is the other kind's.</exception>
    public async Task<FleetCredentials> AddAsync(FleetRoleKind kind, FleetMemberName name, bool withPassword, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(name);
        var role = name.RoleName(kind);
        var group = kind == FleetRoleKind.Host ? FleetRolesSchema.HostGroup : FleetRolesSchema.OperatorGroup;
        var password = withPassword ? RandomNumberGenerator.GetString(PasswordAlphabet, PasswordLength) : null;
        var passwordClause = password is null ? "PASSWORD NULL" : "PASSWORD " + Literal(ScramVerifier.Create(password));

        await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);

        var mapped = await MappingAsync(connection, name, ct).ConfigureAwait(false);
        if (mapped is { } m && (m.Kind != kind || m.RoleName != role))
            throw new FleetRoleConflictException($"'{name}' is already the fleet {KindName(m.Kind)} of role {m.RoleName}");
        var exists = await ScalarAsync(connection, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = @role)", role, ct).ConfigureAwait(false) is true;
        if (exists && mapped is null)
            throw new FleetRoleConflictException($"role {role} already exists on this server and is not a blueteam fleet role of this database; remove it or pick another name");

        // Attributes are restated on an existing role: whatever was changed by hand, it ends as a
        // plain login role whose rights are its group's.
        var attributes = $"LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS {passwordClause}";
        await ExecuteAsync(connection, exists ? $"ALTER ROLE {Identifier(role)} {attributes}" : $"CREATE ROLE {Identifier(role)} {attributes}", ct).ConfigureAwait(false);
        if (await ScalarAsync(connection, "SELECT pg_has_role(@role, @group, 'MEMBER')", role, ct, group).ConfigureAwait(false) is not true)
            await ExecuteAsync(connection, $"GRANT {Identifier(group)} TO {Identifier(role)}", ct).ConfigureAwait(false);
        if (mapped is null)
        {
            await using var insert = new NpgsqlCommand("INSERT INTO blueteam.fleet_hosts (role_name, host, kind, created_at) VALUES (@role, @host, @kind, @now)", connection);
            insert.Parameters.AddWithValue("role", role);
            insert.Parameters.AddWithValue("host", name.Value);
            insert.Parameters.AddWithValue("kind", KindName(kind));
            insert.Parameters.AddWithValue("now", time.GetUtcNow());
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await transaction.CommitAsync(ct).ConfigureAwait(false);

        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        var forMember = new NpgsqlConnectionStringBuilder
        {
            Host = settings.Host,
            Port = settings.Port,
            Database = settings.Database,
            Username = role,
        };
        if (settings.SslMode != SslMode.Prefer) forMember.SslMode = settings.SslMode;
        if (password is not null) forMember.Password = password;
        return new FleetCredentials(kind, name.Value, role, password, Created: !exists, forMember.ConnectionString);
    }

    /// <summary>
    /// Unmaps <paramref name="name"/> and drops its role; false when there was none. What the host
    /// wrote stays: history is never removed with the writer.
    /// </summary>
    public async Task<bool> RemoveAsync(FleetRoleKind kind, FleetMemberName name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        var mapped = await MappingAsync(connection, name, ct).ConfigureAwait(false);
        if (mapped is null)
        {
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return false;
        }
        if (mapped.Value.Kind != kind)
            throw new FleetRoleConflictException($"'{name}' is a fleet {KindName(mapped.Value.Kind)}, not a {KindName(kind)}");
        await using (var delete = new NpgsqlCommand("DELETE FROM blueteam.fleet_hosts WHERE role_name = @role", connection))
        {
            delete.Parameters.AddWithValue("role", mapped.Value.RoleName);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await ExecuteAsync(connection, $"DROP ROLE IF EXISTS {Identifier(mapped.Value.RoleName)}", ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Every mapped role of this database, hosts first, by name.</summary>
    public async Task<IReadOnlyList<FleetRole>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT f.role_name, f.kind, f.host, COALESCE(r.rolcanlogin, false), r.rolname IS NOT NULL, f.created_at
            FROM blueteam.fleet_hosts f LEFT JOIN pg_roles r ON r.rolname = f.role_name
            ORDER BY f.kind = 'operator', f.host
            """, connection);
        var roles = new List<FleetRole>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            roles.Add(new FleetRole(reader.GetString(0), ParseKind(reader.GetString(1)), reader.GetString(2), reader.GetBoolean(3), reader.GetBoolean(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }
        return roles;
    }

    public static string KindName(FleetRoleKind kind) => kind == FleetRoleKind.Host ? "host" : "operator";

    private static FleetRoleKind ParseKind(string text) => text switch
    {
        "host" => FleetRoleKind.Host,
        "operator" => FleetRoleKind.Operator,
        _ => throw new FormatException($"'{text}' is not a fleet role kind (host, operator)"),
    };

    private static async Task<(string RoleName, FleetRoleKind Kind)?> MappingAsync(NpgsqlConnection connection, FleetMemberName name, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT role_name, kind FROM blueteam.fleet_hosts WHERE host = @host", connection);
        command.Parameters.AddWithValue("host", name.Value);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? (reader.GetString(0), ParseKind(reader.GetString(1))) : null;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, string role, CancellationToken ct, string? group = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("role", role);
        if (group is not null) command.Parameters.AddWithValue("group", group);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>A quoted identifier (PostgreSQL's quote_ident): safe whatever the text, though names are validated first.</summary>
    internal static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A standard-conforming string literal (quote_literal without backslash handling, which standard strings do not need).</summary>
    internal static string Literal(string text)
    {
        if (text.Contains('\0', StringComparison.Ordinal)) throw new ArgumentException("a literal cannot hold NUL", nameof(text));
        return "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
    }
}

/// <summary>
/// A SCRAM-SHA-256 password verifier as PostgreSQL stores it (RFC 5802, RFC 7677):
/// <c>SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey</c>. PostgreSQL takes it as the password
/// of CREATE/ALTER ROLE and keeps it as is, so the password itself never reaches the server.
/// </summary>
internal static class ScramVerifier
{
    /// <summary>PostgreSQL's own default (scram_iterations).</summary>
    public const int Iterations = 4096;

    public static string Create(string password) => Create(password, RandomNumberGenerator.GetBytes(16), Iterations);

    /// <remarks>
    /// The password is used as its UTF-8 bytes: SASLprep changes nothing for the ASCII letters and
    /// digits <see cref="FleetRoleAdmin"/> generates.
    /// </remarks>
    public static string Create(string password, byte[] salt, int iterations)
    {
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }
}
