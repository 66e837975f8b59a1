using System.Diagnostics;
using System.Globalization;
using System.Net;
using BlueTeam.Response;

namespace BlueTeam.Bench;

/// <summary>
/// `nft [COUNT] [RUNS]`: times applying COUNT bans (90% IPv4 addresses, 10% IPv6 /64s) through
/// <see cref="NftablesFirewall"/>, i.e. the real nft in batches of <see cref="NftablesFirewall.BatchSize"/>.
/// Refuses to run unless the network namespace's ruleset is empty, so it is only ever run in a
/// throwaway namespace: <c>unshare -n -- dotnet BlueTeam.Bench.dll nft 100000</c>.
/// </summary>
internal static class NftHarness
{
    public static int Run(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        if (Nft("list", "ruleset").Trim().Length != 0)
        {
            Console.Error.WriteLine("refusing: this network namespace has a ruleset; run under `unshare -n --` so the host's firewall is never touched");
            return 2;
        }
        var bans = Targets(count).Select(t => new TimedBan(t, TimeSpan.FromHours(1))).ToList();
        var firewall = new NftablesFirewall();
        for (var run = 1; run <= runs; run++)
        {
            var watch = Stopwatch.StartNew();
            firewall.EnsureAsync(CancellationToken.None).GetAwaiter().GetResult();
            firewall.AddAsync(bans, CancellationToken.None).GetAwaiter().GetResult();
            watch.Stop();
            var inKernel = CountElements("banned4") + CountElements("banned6");
            Console.WriteLine($"run {run}: {count:N0} bans applied in {watch.Elapsed.TotalSeconds:F2} s ({count / watch.Elapsed.TotalSeconds:N0}/s, {Math.Ceiling(count / (double)NftablesFirewall.BatchSize)} nft transactions); {inKernel:N0} elements in the sets");
            if (inKernel != count) { Console.Error.WriteLine("element count differs from the bans applied"); return 1; }
            Nft("delete", "table", "inet", NftablesFirewall.Table);
        }
        return 0;
    }

    private static IEnumerable<BanTarget> Targets(int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (i % 10 == 9)
            {
                var bytes = new byte[16];
                bytes[0] = 0x20; bytes[1] = 0x01; bytes[2] = 0x0d; bytes[3] = 0xb8;
                BitConverter.TryWriteBytes(bytes.AsSpan(4, 4), i);
                yield return BanTarget.ForAddress(new IPAddress(bytes), 64);
            }
            else yield return BanTarget.ForAddress(new IPAddress(BitConverter.GetBytes(0x0A000000 + i).Reverse().ToArray()), 128);
        }
    }

    private static int CountElements(string set)
    {
        var text = Nft("-j", "list", "set", "inet", NftablesFirewall.Table, set);
        return text.Split("\"elem\": {", StringSplitOptions.None).Length - 1;
    }

    private static string Nft(params string[] args)
    {
        var psi = new ProcessStartInfo("nft") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
