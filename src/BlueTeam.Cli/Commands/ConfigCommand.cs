namespace BlueTeam.Cli.Commands;

/// <summary>`blueteam config check|show`: the daemon's own start-up validation, and the effective values (secrets masked).</summary>
internal static class ConfigCommand
{
    public static Command Build()
    {
        var check = new Command("check", "Validate the config exactly as the daemon does at start (exit 2 if invalid)");
        check.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, _) =>
        {
            app.ValidateAll();
            foreach (var warning in RouteWarnings.For(app.Config.Alerting, app.BuildChannels().Keys))
                Console.Error.WriteLine("blueteam: warning: " + SafeText.Inert(warning));
            Console.Out.WriteLine($"configuration OK: {SafeText.Inert(app.Config.Origin)}");
            return Task.FromResult(ExitCodes.Ok);
        }));
        var show = new Command("show", "Print every effective setting, secrets masked");
        show.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, _) =>
        {
            Console.Out.WriteLine($"# {SafeText.Inert(app.Config.Origin)}");
            foreach (var (key, value) in ConfigLoader.Flatten(app.Config))
                Console.Out.WriteLine($"{key} = {SafeText.Inert(value)}");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return new Command("config", "Check or show the configuration") { check, show };
    }
}
