using BenchmarkDotNet.Running;

namespace BlueTeam.Bench;

/// <summary>
/// `stages FILE...` times each pipeline stage with a stopwatch (for profiling, not for the record);
/// `store` times batch saves on SQLite and PostgreSQL; `daemon-store` the daemon's raise path over them; `seal` the
/// store with sealing;
/// anything else goes to BenchmarkDotNet (`--filter '*Syslog*' --job short`).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "stages") return StageHarness.Run(args[1..]);
        if (args.Length > 0 && args[0] == "verify") return MatcherCheck.Run(args[1..]);
        if (args.Length > 0 && args[0] == "rules") return RuleHarness.Run(args[1..]);
        if (args.Length > 0 && args[0] == "store") return StoreHarness.Run(args[1..]);
        if (args.Length > 0 && args[0] == "daemon-store") return DaemonStoreHarness.Run(args[1..]);
        if (args.Length > 0 && args[0] == "nft") return NftHarness.Run(args[1..]);
        if (args.Length > 0 && args[0] == "seal") return SealHarness.Run(args[1..]);
        if (args.Length > 0 && args[0] == "fleet") return FleetHarness.Run(args[1..]); // bench/fleet.sh
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
