namespace BlueTeam.Cli.Commands;

/// <summary>The command tree: noun verb, as amtool and cscli do it.</summary>
internal static class CliRoot
{
    public static readonly Option<string?> ConfigOption = new("--config", "-c")
    {
        Description = "Config file (default: $BLUETEAM_CONFIG, then /etc/blueteam/blueteam.yaml, then built-in defaults)",
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("blueteam: host security monitor for Linux servers holding CUI (NIST SP 800-171)");
        root.Options.Add(ConfigOption);
        root.Subcommands.Add(MonitorCommand.Build());
        root.Subcommands.Add(ScanCommand.Build());
        root.Subcommands.Add(ExplainCommand.Build());
        root.Subcommands.Add(TestAlertCommand.Build());
        root.Subcommands.Add(AlertsCommand.Build());
        root.Subcommands.Add(ConfigCommand.Build());
        root.Subcommands.Add(DbCommand.Build());
        root.Subcommands.Add(VerifyCommand.Build());
        root.Subcommands.Add(KeysCommand.Build());
        root.Subcommands.Add(RulesCommand.Build());
        root.Subcommands.Add(RoutesCommand.Build());
        root.Subcommands.Add(StatusCommand.Build());
        root.Subcommands.Add(IncidentsCommand.Build());
        root.Subcommands.Add(SilenceCommand.Build());
        root.Subcommands.Add(BansCommand.Build());
        root.Subcommands.Add(FleetCommand.Build()); // [fleetsec #19]
        root.Subcommands.Add(ReportCommand.Build());
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(CompletionCommand.Build(Build));
        return root;
    }
}
