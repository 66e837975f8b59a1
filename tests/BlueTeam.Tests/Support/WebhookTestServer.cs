using System.Collections.Concurrent;
using System.Net;

namespace BlueTeam.Tests.Support;

/// <summary>
/// A real HTTP server on 127.0.0.1 (HttpListener) that records every request and answers from a
/// script, for the webhook channel's tests.
/// </summary>
public sealed class WebhookTestServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public sealed record Received(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

    /// <summary>How to answer: status, headers, and a delay before answering.</summary>
    public Func<Received, (int Status, IReadOnlyDictionary<string, string>? Headers, TimeSpan Delay)> Answer { get; set; } = _ => (200, null, TimeSpan.Zero);

    public ConcurrentQueue<Received> Requests { get; } = new();

    public WebhookTestServer()
    {
        Port = SmtpServerFixture.FreeLoopbackPort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Url(string path = "hook/T000/B000/secret-path") => $"http://127.0.0.1:{Port}/{path}";

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped by Dispose
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
        var received = new Received(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, headers, body.ToArray());
        Requests.Enqueue(received);
        var (status, answerHeaders, delay) = Answer(received);
        if (delay > TimeSpan.Zero) await Task.Delay(delay);
        context.Response.StatusCode = status;
        if (answerHeaders is not null) foreach (var (k, v) in answerHeaders) context.Response.Headers[k] = v;
        try
        {
            context.Response.Close();
        }
        catch (HttpListenerException)
        {
            // The client gave up (timeout test); nothing to answer.
        }
    }

    public void Dispose()
    {
        // Close alone (it stops too): Stop then Close removed the prefix twice, and the second removal looks the port
        // up again — which fails with "address already in use" once another test has taken the freed port.
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
