using BlueTeam.Cli.Output;
using BlueTeam.Storage.Fleet;
using Npgsql;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam fleet add-host|add-operator|remove-host|remove-operator|roles`: the least-privilege
/// PostgreSQL roles of a fleet (docs/SECURITY.md "Fleet roles"), run by an administrator whose
/// config connects as the schema's owner with CREATEROLE.
/// </summary>
/// <remarks>
/// A generated password is written to standard output only, with the settings to paste: nothing
/// logs it, and the server receives its SCRAM verifier, not the password.
/// </remarks>
internal static class FleetCommand
{
    public static Command Build()
    {
        return new Command("fleet", "PostgreSQL roles of a fleet: one per host, one per operator (least privilege)")
        {
            AddCommand("add-host", FleetRoleKind.Host,
                "Create the role of host NAME (inserts its own rows, changes no history) and print its connection settings"),
            AddCommand("add-operator", FleetRoleKind.Operator,
                "Create the role of operator NAME (acks, silences, lifts bans) and print its connection settings"),
            RemoveCommand("remove-host", FleetRoleKind.Host),
            RemoveCommand("remove-operator", FleetRoleKind.Operator),
            RolesCommand(),
        };
    }

    private static Command AddCommand(string verb, FleetRoleKind kind, string description)
    {
        var name = new Argument<string>("name") { Description = $"The {FleetRoleAdmin.KindName(kind)}'s name, as its config's host: says ({FleetMemberName.Rule})" };
        var noPassword = new Option<bool>("--no-password") { Description = "No password: the role authenticates by peer or certificate (pg_hba.conf)" };
        var format = FormatOption("text");
        var command = new Command(verb, description) { name, noPassword, format };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) =>
            AddAsync(app, kind, parse.GetValue(name)!, !parse.GetValue(noPassword), parse.GetValue(format)!, token)));
        return command;
    }

    private static Command RemoveCommand(string verb, FleetRoleKind kind)
    {
        var name = new Argument<string>("name") { Description = $"The {FleetRoleAdmin.KindName(kind)}'s name" };
        var command = new Command(verb, $"Drop the role of {FleetRoleAdmin.KindName(kind)} NAME; what it wrote stays") { name };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => RemoveAsync(app, kind, parse.GetValue(name)!, token)));
        return command;
    }

    private static Command RolesCommand()
    {
        var format = FormatOption("table");
        var command = new Command("roles", "List the fleet's host and operator roles") { format };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => ListAsync(app, parse.GetValue(format)!, token)));
        return command;
    }

    private static Option<string> FormatOption(string defaultFormat)
    {
        var format = new Option<string>("--format", "-f") { Description = $"{defaultFormat} or json", DefaultValueFactory = _ => defaultFormat };
        format.AcceptOnlyFromAmong(defaultFormat, "json");
        return format;
    }

    private static async Task<int> AddAsync(AppServices app, FleetRoleKind kind, string nameText, bool withPassword, string format, CancellationToken ct)
    {
        if (!FleetMemberName.TryParse(nameText, out var name))
            return await Usage.ErrorAsync($"'{Inert.Plain(nameText, 64)}' is not a fleet {FleetRoleAdmin.KindName(kind)} name: {FleetMemberName.Rule}").ConfigureAwait(false);
        return await AsAdminAsync(app, ct, admin => AddAsync(admin, kind, name, withPassword, format, ct)).ConfigureAwait(false);
    }

    private static async Task<int> AddAsync(FleetRoleAdmin admin, FleetRoleKind kind, FleetMemberName name, bool withPassword, string format, CancellationToken ct)
    {
        FleetCredentials credentials;
        try
        {
            credentials = await admin.AddAsync(kind, name, withPassword, ct).ConfigureAwait(false);
        }
        catch (FleetRoleConflictException e)
        {
            await Console.Error.WriteLineAsync($"blueteam: {Inert.Plain(e.Message, 400)}").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }
        catch (PostgresException e)
        {
            return await RefusedAsync($"could not create the role of {FleetRoleAdmin.KindName(kind)} {name}", e).ConfigureAwait(false);
        }

        if (format == "json")
        {
            await JsonOutput.WriteAsync(w =>
            {
                w.WriteStartObject();
                w.WriteString("kind", FleetRoleAdmin.KindName(kind));
                w.WriteString("name", credentials.Name);
                w.WriteString("role", credentials.RoleName);
                w.WriteBoolean("created", credentials.Created);
                if (credentials.Password is { } p) w.WriteString("password", p); else w.WriteNull("password");
                w.WriteString("connection_string", credentials.ConnectionString);
                w.WriteEndObject();
            }, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        var o = Console.Out;
        await o.WriteLineAsync($"{(credentials.Created ? "created" : "updated")} role {credentials.RoleName} for {FleetRoleAdmin.KindName(kind)} {credentials.Name}" +
            (credentials.Password is null ? " (no password: peer or certificate authentication)" : credentials.Created ? "" : " (new password: the old one no longer works)")).ConfigureAwait(false);
        await o.WriteLineAsync().ConfigureAwait(false);
        await o.WriteLineAsync("connection string:").ConfigureAwait(false);
        await o.WriteLineAsync("  " + SafeText.Inert(credentials.ConnectionString, 2000)).ConfigureAwait(false);
        await o.WriteLineAsync().ConfigureAwait(false);
        await o.WriteLineAsync($"in {credentials.Name}'s blueteam.yaml (0640 root:blueteam: it holds the password):").ConfigureAwait(false);
        // Quoted: a name such as "null", "yes" or "1.10" is a valid host name and would not read back as itself.
        await o.WriteLineAsync($"host: {YamlString(credentials.Name)}").ConfigureAwait(false);
        await o.WriteLineAsync("database:").ConfigureAwait(false);
        await o.WriteLineAsync("  driver: postgres").ConfigureAwait(false);
        await o.WriteLineAsync($"  connection_string: {YamlString(SafeText.Inert(credentials.ConnectionString, 2000))}").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static async Task<int> RemoveAsync(AppServices app, FleetRoleKind kind, string nameText, CancellationToken ct)
    {
        if (!FleetMemberName.TryParse(nameText, out var name))
            return await Usage.ErrorAsync($"'{Inert.Plain(nameText, 64)}' is not a fleet {FleetRoleAdmin.KindName(kind)} name: {FleetMemberName.Rule}").ConfigureAwait(false);
        return await AsAdminAsync(app, ct, admin => RemoveAsync(admin, kind, name, ct)).ConfigureAwait(false);
    }

    private static async Task<int> RemoveAsync(FleetRoleAdmin admin, FleetRoleKind kind, FleetMemberName name, CancellationToken ct)
    {
        try
        {
            var removed = await admin.RemoveAsync(kind, name, ct).ConfigureAwait(false);
            await Console.Out.WriteLineAsync(removed
                ? $"removed the role of {FleetRoleAdmin.KindName(kind)} {name}; its history stays"
                : $"no fleet {FleetRoleAdmin.KindName(kind)} {name}: nothing to remove").ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (FleetRoleConflictException e)
        {
            await Console.Error.WriteLineAsync($"blueteam: {Inert.Plain(e.Message, 400)}").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }
        catch (PostgresException e)
        {
            return await RefusedAsync($"could not remove the role of {FleetRoleAdmin.KindName(kind)} {name}", e).ConfigureAwait(false);
        }
    }

    private static Task<int> ListAsync(AppServices app, string format, CancellationToken ct) =>
        AsAdminAsync(app, ct, admin => ListAsync(app, admin, format, ct));

    private static async Task<int> ListAsync(AppServices app, FleetRoleAdmin admin, string format, CancellationToken ct)
    {
        IReadOnlyList<FleetRole> roles;
        try
        {
            roles = await admin.ListAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            return await RefusedAsync("could not list the fleet's roles", e).ConfigureAwait(false);
        }
        if (format == "json")
        {
            await JsonOutput.WriteObjectsAsync(roles, (w, r) =>
            {
                w.WriteString("kind", FleetRoleAdmin.KindName(r.Kind));
                w.WriteString("name", r.Name);
                w.WriteString("role", r.RoleName);
                w.WriteBoolean("login", r.CanLogin);
                w.WriteBoolean("role_exists", r.RoleExists);
                w.WriteString("created_at", r.CreatedAt);
            }, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        if (roles.Count == 0)
        {
            app.Out.WriteLine("no fleet roles (blueteam fleet add-host NAME creates one)");
            return ExitCodes.Ok;
        }
        var table = new Table().AddColumns("kind", "name", "role", "login", "created");
        foreach (var r in roles)
        {
            table.AddRow(FleetRoleAdmin.KindName(r.Kind), Inert.Cell(r.Name), Inert.Cell(r.RoleName),
                r.RoleExists ? (r.CanLogin ? "yes" : "no") : "role missing", DurationText.Timestamp(r.CreatedAt));
        }
        app.Out.Write(table);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Runs <paramref name="body"/> on the administrator's side: the schema migrated first (version
    /// 12 holds the map), then a connection of its own for the role statements.
    /// </summary>
    private static async Task<int> AsAdminAsync(AppServices app, CancellationToken ct, Func<FleetRoleAdmin, Task<int>> body)
    {
        if (app.Config.Database.Driver != DatabaseDriver.Postgres || app.Config.Database.ConnectionString is not { Length: > 0 } connection)
            return await Usage.ErrorAsync("fleet roles live in PostgreSQL, and database.driver is not postgres (a single host on SQLite needs none)").ConfigureAwait(false);
        await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        await using var dataSource = NpgsqlDataSource.Create(connection);
        return await body(new FleetRoleAdmin(dataSource, app.Time)).ConfigureAwait(false);
    }

    private static async Task<int> RefusedAsync(string what, PostgresException e)
    {
        await Console.Error.WriteLineAsync($"blueteam: {what}: {Inert.Plain(e.MessageText, 400)}" +
            (e.SqlState == PostgresErrorCodes.InsufficientPrivilege ? " (the config's database role needs CREATEROLE and must own the blueteam schema)" : "")).ConfigureAwait(false);
        return ExitCodes.StoreError;
    }

    // A YAML double-quoted scalar: the connection string may hold ';', ':', '#' or quotes.
    private static string YamlString(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
