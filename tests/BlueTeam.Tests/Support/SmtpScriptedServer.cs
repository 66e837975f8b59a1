using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BlueTeam.Tests.Support;

/// <summary>
/// A minimal SMTP server on loopback that answers each verb from a script, for replies a real
/// server is hard to make give on demand (4xx, 5xx). Successful delivery is tested against aiosmtpd.
/// </summary>
public sealed class SmtpScriptedServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Dictionary<string, string> _replies;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="replies">Reply per verb (EHLO, MAIL, RCPT, DATA, …); verbs not given get a 250.</param>
    public SmtpScriptedServer(Dictionary<string, string> replies)
    {
        _replies = new Dictionary<string, string>(replies, StringComparer.OrdinalIgnoreCase);
        _listener.Start();
        _loop = AcceptLoopAsync(_stop.Token);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // The loop ends this way when the test is over; nothing to report.
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
        {
            // Or this way, when the listener's socket closes before the pending accept sees the cancellation
            // (a race under load: "Operation canceled" failed one CI run).
        }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            using var client = await _listener.AcceptTcpClientAsync(ct);
            await using var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 scripted ESMTP");
            await ConverseAsync(reader, writer, ct);
        }
    }

    private async Task ConverseAsync(StreamReader reader, StreamWriter writer, CancellationToken ct)
    {
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            var verb = line.Split(' ', ':')[0].ToUpperInvariant();
            if (verb == "QUIT")
            {
                await writer.WriteLineAsync("221 bye");
                return;
            }
            if (_replies.TryGetValue(verb, out var reply))
            {
                await writer.WriteLineAsync(reply);
                continue;
            }
            if (verb == "DATA")
            {
                await writer.WriteLineAsync("354 go ahead");
                while (await reader.ReadLineAsync(ct) is { } data && data != ".") { }
            }
            await writer.WriteLineAsync(verb == "EHLO" ? "250 scripted" : "250 ok");
        }
    }
}
