using BlueTeam.Engine.Daemon;
using BlueTeam.Storage.Sealing;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam keys init`: creates the sealing state of this host (owner-only, 0400, outside the
/// database's folder) and prints the verification key once, for the auditor to keep off the host.
/// The key change is recorded as a sealing_key_changed incident, so it is in the chain itself.
/// Run it as the daemon's user: the daemon rewrites the state at every epoch.
/// </summary>
internal static class KeysCommand
{
    private static readonly Option<string?> StateOption = new("--state") { Description = "Where to write the sealing state (default: storage.sealing.state_path)" };
    private static readonly Option<bool> Force = new("--force") { Description = "Replace an existing sealing state (a new key; recorded in the chain)" };

    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static Command Build()
    {
        var init = new Command("init", "Create the sealing state and print the verification key once (keep it off this host)") { StateOption, Force };
        init.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => InitAsync(app, parse, token)));
        return new Command("keys", "Forward-secure sealing of the alert history") { init };
    }

    private static async Task<int> InitAsync(AppServices app, ParseResult parse, CancellationToken ct)
    {
        var config = app.Config;
        var path = Path.GetFullPath(parse.GetValue(StateOption) ?? config.Storage.Sealing.ResolveStatePath());
        if (config.Database.Driver == DatabaseDriver.Sqlite && SealingOptions.IsInsideFolderOf(path, config.Database.ResolveSqlitePath()))
        {
            await Console.Error.WriteLineAsync($"blueteam: refusing to keep the sealing state in the database's folder ({SafeText.Inert(path)}): whoever can replace the database there could replace the state with it").ConfigureAwait(false);
            return ExitCodes.ConfigError;
        }
        string? previousKeyId = null;
        if (File.Exists(path))
        {
            previousKeyId = ReadKeyId(path);
            if (!parse.GetValue(Force))
            {
                await Console.Error.WriteLineAsync($"blueteam: a sealing state exists at {SafeText.Inert(path)} (key {SafeText.Inert(previousKeyId)}); --force replaces it with a new key, and the change is recorded in the chain").ConfigureAwait(false);
                return ExitCodes.NotOk;
            }
        }

        var now = app.Time.GetUtcNow();
        var (state, key) = SealingState.Create(config.Host, TimeSpan.FromMinutes(config.Storage.Sealing.EpochMinutes), now);
        // The change goes into the chain before the new state exists: a key that replaced another without a record cannot happen.
        var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        await store.SaveAlertAsync(StoreIntegrityIncidents.KeyChanged(config.Host, key.KeyId, previousKeyId, path, now), config.Host, [], ct).ConfigureAwait(false);

        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder)) Directory.CreateDirectory(folder, OwnerOnlyDirectory);
        state.Save(path);

        // The explanation on stderr, the key alone on stdout: `blueteam keys init > key.txt` keeps just the key.
        await Console.Error.WriteLineAsync($"Sealing state written to {SafeText.Inert(path)} (key {key.KeyId}, epochs of {config.Storage.Sealing.EpochMinutes} min).").ConfigureAwait(false);
        await Console.Error.WriteLineAsync("Verification key (shown once; keep it off this host, e.g. with the auditor; blueteam verify --key takes it):").ConfigureAwait(false);
        Console.Out.WriteLine(key.Encode());
        return ExitCodes.Ok;
    }

    private static string ReadKeyId(string path)
    {
        try
        {
            return SealingState.Load(path).KeyId;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return "unreadable: " + e.Message;
        }
    }
}
