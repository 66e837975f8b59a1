using System.Security.Cryptography;
using System.Text;
using BlueTeam.Storage.Fleet;
using Npgsql;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage.Fleet;

/// <summary>What `fleet add-host`, `add-operator`, `remove-host` and `roles` do to the server's roles (a real PostgreSQL).</summary>
public sealed class RolesAdminTests : IAsyncLifetime
{
    private RolesDatabase? _db;

    private RolesDatabase Db => _db ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync() => _db = await RolesDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
    }

    private static FleetMemberName Name(string text) => FleetMemberName.TryParse(text, out var name) ? name : throw new ArgumentException(text);

    private Task<long> RoleCountAsync(string role) =>
        RolesDatabase.ScalarAsync(Db.OwnerConnectionString, $"SELECT count(*) FROM pg_roles WHERE rolname = '{role}'");

    [Fact]
    public async Task AddAsync_NewHost_LoginRoleInTheHostGroupMappedToItsName()
    {
        var name = RolesDatabase.UniqueName("web");

        var credentials = await Db.AddAsync(FleetRoleKind.Host, name);

        Assert.Equal("blueteam_host_" + name, credentials.RoleName);
        Assert.True(credentials.Created);
        Assert.Equal(32, credentials.Password?.Length);
        var settings = new NpgsqlConnectionStringBuilder(credentials.ConnectionString);
        Assert.Equal((credentials.RoleName, credentials.Password, Db.Database), (settings.Username, settings.Password, settings.Database));
        Assert.Equal(1, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString,
            $"SELECT count(*) FROM pg_roles WHERE rolname = '{credentials.RoleName}' AND rolcanlogin AND NOT rolsuper AND NOT rolcreaterole AND NOT rolbypassrls AND pg_has_role(rolname, 'blueteam_host', 'MEMBER') AND NOT pg_has_role(rolname, 'blueteam_operator', 'MEMBER')"));
        // The server keeps a SCRAM verifier of the password, never the password.
        Assert.Equal(1, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString,
            $"SELECT count(*) FROM pg_authid WHERE rolname = '{credentials.RoleName}' AND rolpassword LIKE 'SCRAM-SHA-256$4096:%' AND position('{credentials.Password}' in rolpassword) = 0"));
        var role = Assert.Single(await Db.Admin.ListAsync(CancellationToken.None));
        Assert.Equal((credentials.RoleName, FleetRoleKind.Host, name, true, true), (role.RoleName, role.Kind, role.Name, role.CanLogin, role.RoleExists));
    }

    [Fact]
    public async Task AddAsync_Again_SameRoleNewPasswordOneMapping()
    {
        var name = RolesDatabase.UniqueName("web");
        var first = await Db.AddAsync(FleetRoleKind.Host, name);

        var again = await Db.Admin.AddAsync(FleetRoleKind.Host, Name(name), withPassword: true, CancellationToken.None);
        var without = await Db.Admin.AddAsync(FleetRoleKind.Host, Name(name), withPassword: false, CancellationToken.None);

        Assert.False(again.Created);
        Assert.Equal(first.RoleName, again.RoleName);
        Assert.NotEqual(first.Password, again.Password);
        Assert.Null(without.Password);
        Assert.Null(new NpgsqlConnectionStringBuilder(without.ConnectionString).Password);
        Assert.Equal(1, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, $"SELECT count(*) FROM pg_authid WHERE rolname = '{first.RoleName}' AND rolpassword IS NULL"));
        Assert.Single(await Db.Admin.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AddAsync_NameTakenByTheOtherKind_Conflict()
    {
        var name = RolesDatabase.UniqueName("alice");
        await Db.AddAsync(FleetRoleKind.Operator, name);

        var e = await Assert.ThrowsAsync<FleetRoleConflictException>(() => Db.Admin.AddAsync(FleetRoleKind.Host, Name(name), true, CancellationToken.None));

        Assert.Contains("already the fleet operator", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, await RoleCountAsync("blueteam_host_" + name));
    }

    [Fact]
    public async Task AddAsync_RoleExistsButIsNotThisFleets_RefusedAndUntouched()
    {
        var name = RolesDatabase.UniqueName("web");
        var role = "blueteam_host_" + name;
        await using (var owner = new NpgsqlConnection(Db.OwnerConnectionString))
        {
            await owner.OpenAsync();
            await using var create = owner.CreateCommand();
            create.CommandText = $"CREATE ROLE \"{role}\" NOLOGIN CREATEDB";
            await create.ExecuteNonQueryAsync();
        }
        try
        {
            var e = await Assert.ThrowsAsync<FleetRoleConflictException>(() => Db.Admin.AddAsync(FleetRoleKind.Host, Name(name), true, CancellationToken.None));

            Assert.Contains("is not a blueteam fleet role of this database", e.Message, StringComparison.Ordinal);
            Assert.Equal(1, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, $"SELECT count(*) FROM pg_roles WHERE rolname = '{role}' AND NOT rolcanlogin AND rolcreatedb"));
            Assert.Empty(await Db.Admin.ListAsync(CancellationToken.None));
        }
        finally
        {
            await using var owner = new NpgsqlConnection(Db.OwnerConnectionString);
            await owner.OpenAsync();
            await using var drop = owner.CreateCommand();
            drop.CommandText = $"DROP ROLE \"{role}\"";
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task RemoveAsync_Host_RoleDroppedHistoryKept_ThenNothingToRemove()
    {
        var name = RolesDatabase.UniqueName("web");
        var credentials = await Db.Admin.AddAsync(FleetRoleKind.Host, Name(name), true, CancellationToken.None);
        await using (var store = RolesDatabase.StoreAs(credentials))
            await store.SaveAlertAsync(Incident("fp-" + name, host: name), name, ["syslog"], CancellationToken.None);
        NpgsqlConnection.ClearAllPools();

        Assert.True(await Db.Admin.RemoveAsync(FleetRoleKind.Host, Name(name), CancellationToken.None));
        Assert.False(await Db.Admin.RemoveAsync(FleetRoleKind.Host, Name(name), CancellationToken.None));

        Assert.Equal(0, await RoleCountAsync(credentials.RoleName));
        Assert.Empty(await Db.Admin.ListAsync(CancellationToken.None));
        await using var owner = Db.OwnerStore();
        var chain = Assert.Single(await owner.VerifyChainAsync(name, CancellationToken.None));
        Assert.True(chain.IsIntact);
        Assert.Equal(1, chain.EntriesChecked);
    }

    [Fact]
    public async Task RemoveAsync_OperatorNamedAsAHost_Conflict()
    {
        var name = RolesDatabase.UniqueName("alice");
        await Db.AddAsync(FleetRoleKind.Operator, name);

        await Assert.ThrowsAsync<FleetRoleConflictException>(() => Db.Admin.RemoveAsync(FleetRoleKind.Host, Name(name), CancellationToken.None));

        Assert.Equal(1, await RoleCountAsync("blueteam_op_" + name));
    }

    [Theory]
    [InlineData("web01")]
    [InlineData("eqmon-web01.example.org")]
    [InlineData("a_b")]
    [InlineData("0")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijkl")] // 48
    public void FleetMemberName_AllowedNames_Parse(string text)
    {
        Assert.True(FleetMemberName.TryParse(text, out var name));
        Assert.Equal(text, name.Value);
        Assert.True(name.RoleName(FleetRoleKind.Host).Length <= 63); // PostgreSQL's identifier limit
        Assert.True(name.RoleName(FleetRoleKind.Operator).Length <= 63);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Web01")]
    [InlineData("web 01")]
    [InlineData("web01\"; DROP ROLE postgres; --")]
    [InlineData("o'brien")]
    [InlineData("web01\n")]
    [InlineData("wéb01")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklm")] // 49
    public void FleetMemberName_OtherNames_Rejected(string text) => Assert.False(FleetMemberName.TryParse(text, out _));

    [Fact]
    public void Identifier_QuotesEmbeddedQuotes() => Assert.Equal("\"a\"\"b\"", FleetRoleAdmin.Identifier("a\"b"));

    [Fact]
    public void ScramVerifier_Rfc7677Example_ServerSignatureMatches()
    {
        // RFC 7677 section 3: user "user", password "pencil", the salt and nonces below; the server's
        // final message carries v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=.
        var verifier = ScramVerifier.Create("pencil", Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
        var parts = verifier.Split('$');
        Assert.Equal(["SCRAM-SHA-256", "4096:W22ZaJ0SNY7soEsUEjb6gQ=="], parts[..2]);
        var serverKey = Convert.FromBase64String(parts[2].Split(':')[1]);
        const string authMessage = "n=user,r=rOprNGfwEbeRWgbNEkqO,"
            + "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
            + "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

        var signature = HMACSHA256.HashData(serverKey, Encoding.UTF8.GetBytes(authMessage));

        Assert.Equal("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", Convert.ToBase64String(signature));
    }
}
