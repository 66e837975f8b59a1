using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;

namespace BlueTeam.Response;

/// <summary>
/// nftables through its JSON interface: <c>nft -j -f -</c> reads one JSON document from stdin and
/// applies it as one transaction. Addresses only ever reach nft as JSON string values written by
/// <see cref="Utf8JsonWriter"/> from parsed <see cref="BanTarget"/>s; no shell and no ruleset text
/// is ever built, so nothing from a log line can become a command.
/// </summary>
/// <remarks>
/// Everything lives in table <c>inet blueteam</c>: sets <c>banned4</c> (ipv4_addr) and
/// <c>banned6</c> (ipv6_addr, interval so a /64 is one element), both with the timeout flag, and
/// chain <c>input</c> (hook input, priority filter - 10) dropping sources in either set. The chain
/// is flushed and refilled by <see cref="EnsureAsync"/>, so running it again never doubles a rule.
/// </remarks>
public sealed class NftablesFirewall : IFirewall
{
    public const string Table = "blueteam";
    public const string Set4 = "banned4";
    public const string Set6 = "banned6";
    public const string Chain = "input";

    /// <summary>Elements per nft transaction: big enough that 100,000 bans are a few calls, small enough to keep one JSON document modest.</summary>
    public const int BatchSize = 20_000;

    private readonly string _nft;

    /// <param name="nftPath">The nft binary; by default the distribution's /usr/sbin/nft (or /sbin/nft), not whatever PATH finds first.</param>
    public NftablesFirewall(string? nftPath = null) =>
        _nft = nftPath ?? DistributionPaths.FirstOrDefault(File.Exists) ?? "nft";

    private static readonly string[] DistributionPaths = ["/usr/sbin/nft", "/sbin/nft"];

    public Task EnsureAsync(CancellationToken cancellationToken) => RunAsync(w =>
    {
        Add(w, "table", t => { Family(t); t.WriteString("name", Table); });
        Add(w, "set", s => { SetHeader(s, Set4); s.WriteString("type", "ipv4_addr"); Flags(s, "timeout"); });
        Add(w, "set", s => { SetHeader(s, Set6); s.WriteString("type", "ipv6_addr"); Flags(s, "interval", "timeout"); });
        Add(w, "chain", c =>
        {
            ChainHeader(c);
            c.WriteString("type", "filter");
            c.WriteString("hook", "input");
            c.WriteNumber("prio", -10);
            c.WriteString("policy", "accept");
        });
        Command(w, "flush", "chain", ChainHeader);
        DropRule(w, "ip", Set4);
        DropRule(w, "ip6", Set6);
    }, cancellationToken);

    public async Task AddAsync(IReadOnlyList<TimedBan> bans, CancellationToken cancellationToken)
    {
        for (var start = 0; start < bans.Count; start += BatchSize)
        {
            var end = Math.Min(bans.Count, start + BatchSize);
            await RunAsync(w =>
            {
                WriteElements(w, "add", bans, start, end, isV6: false);
                WriteElements(w, "add", bans, start, end, isV6: true);
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RemoveAsync(IReadOnlyList<BanTarget> targets, CancellationToken cancellationToken)
    {
        if (targets.Count == 0) return;
        var timed = targets.Select(t => new TimedBan(t, TimeSpan.Zero)).ToList();
        try
        {
            await RunAsync(w =>
            {
                WriteElements(w, "delete", timed, 0, timed.Count, isV6: false);
                WriteElements(w, "delete", timed, 0, timed.Count, isV6: true);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (FirewallException) when (targets.Count > 1)
        {
            // One element already gone (expired in the kernel) fails the whole transaction:
            // delete one by one, where only that one fails.
            foreach (var target in targets) await RemoveOneAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (FirewallException e) when (e.Message.Contains("No such file or directory", StringComparison.Ordinal))
        {
            // Already expired: the goal (not banned) holds.
        }
    }

    private async Task RemoveOneAsync(BanTarget target, CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(w => WriteElements(w, "delete", [new TimedBan(target, TimeSpan.Zero)], 0, 1, target.IsIPv6), cancellationToken).ConfigureAwait(false);
        }
        catch (FirewallException e) when (e.Message.Contains("No such file or directory", StringComparison.Ordinal))
        {
            // Already expired in the kernel.
        }
    }

    private static void WriteElements(Utf8JsonWriter w, string verb, IReadOnlyList<TimedBan> bans, int start, int end, bool isV6)
    {
        var any = false;
        for (var i = start; i < end && !any; i++) any = bans[i].Target.IsIPv6 == isV6;
        if (!any) return;
        Command(w, verb, "element", e =>
        {
            SetHeader(e, isV6 ? Set6 : Set4);
            e.WriteStartArray("elem");
            for (var i = start; i < end; i++)
            {
                var ban = bans[i];
                if (ban.Target.IsIPv6 != isV6) continue;
                if (verb == "add")
                {
                    e.WriteStartObject();
                    e.WriteStartObject("elem");
                    e.WritePropertyName("val");
                    Value(e, ban.Target);
                    e.WriteNumber("timeout", Math.Max(1L, (long)Math.Ceiling(ban.Timeout.TotalSeconds)));
                    e.WriteEndObject();
                    e.WriteEndObject();
                }
                else Value(e, ban.Target);
            }
            e.WriteEndArray();
        });
    }

    private static void Value(Utf8JsonWriter w, BanTarget target)
    {
        if (target.IsSingleAddress) { w.WriteStringValue(target.Network.BaseAddress.ToString()); return; }
        w.WriteStartObject();
        w.WriteStartObject("prefix");
        w.WriteString("addr", target.Network.BaseAddress.ToString());
        w.WriteNumber("len", target.Network.PrefixLength);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void DropRule(Utf8JsonWriter w, string protocol, string set) => Command(w, "add", "rule", r =>
    {
        Family(r);
        r.WriteString("table", Table);
        r.WriteString("chain", Chain);
        r.WriteStartArray("expr");
        r.WriteStartObject();
        r.WriteStartObject("match");
        r.WriteString("op", "==");
        r.WriteStartObject("left");
        r.WriteStartObject("payload");
        r.WriteString("protocol", protocol);
        r.WriteString("field", "saddr");
        r.WriteEndObject();
        r.WriteEndObject();
        r.WriteString("right", "@" + set);
        r.WriteEndObject();
        r.WriteEndObject();
        r.WriteStartObject();
        r.WriteNull("drop");
        r.WriteEndObject();
        r.WriteEndArray();
    });

    private static void Family(Utf8JsonWriter w) => w.WriteString("family", "inet");

    private static void SetHeader(Utf8JsonWriter w, string set)
    {
        Family(w);
        w.WriteString("table", Table);
        w.WriteString("name", set);
    }

    private static void ChainHeader(Utf8JsonWriter w)
    {
        Family(w);
        w.WriteString("table", Table);
        w.WriteString("name", Chain);
    }

    private static void Flags(Utf8JsonWriter w, params string[] flags)
    {
        w.WriteStartArray("flags");
        foreach (var f in flags) w.WriteStringValue(f);
        w.WriteEndArray();
    }

    private static void Add(Utf8JsonWriter w, string kind, Action<Utf8JsonWriter> body) => Command(w, "add", kind, body);

    private static void Command(Utf8JsonWriter w, string verb, string kind, Action<Utf8JsonWriter> body)
    {
        w.WriteStartObject();
        w.WriteStartObject(verb);
        w.WriteStartObject(kind);
        body(w);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private async Task RunAsync(Action<Utf8JsonWriter> commands, CancellationToken cancellationToken)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("nftables");
            commands(w);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        var start = new ProcessStartInfo(_nft)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-j");
        start.ArgumentList.Add("-f");
        start.ArgumentList.Add("-");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new FirewallException($"{_nft} did not start");
        }
        catch (Win32Exception e)
        {
            throw new FirewallException($"cannot run {_nft}: {e.Message} (is nftables installed?)", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException e)
            {
                // nft exited before reading everything (it refused the batch); its stderr says why.
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                throw new FirewallException($"nft failed (exit {process.ExitCode}): {Trim(await stderr.ConfigureAwait(false))}", e);
            }
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await stdout.ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
                throw new FirewallException($"nft failed (exit {process.ExitCode}): {Trim(error)}");
        }
    }

    private static string Trim(string text)
    {
        text = text.Trim();
        return text.Length <= 500 ? text : text[..500] + "…";
    }
}
