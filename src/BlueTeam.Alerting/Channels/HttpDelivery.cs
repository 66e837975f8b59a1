using System.Net;
using System.Net.Sockets;
using BlueTeam.Core.Text;

namespace BlueTeam.Alerting.Channels;

/// <summary>
/// One HTTP POST of an alert and what its outcome means for delivery, shared by the channels that
/// speak HTTP (webhook, ntfy): 2xx delivered; 429 and 5xx, no answer in time and network errors are
/// transient (retried, honouring Retry-After); a TLS certificate that does not verify and any other
/// status are permanent (they will not fix themselves).
/// </summary>
internal static class HttpDelivery
{
    /// <param name="where">How the destination is named in results (never with credentials in it).</param>
    public static async Task<DeliveryResult> SendAsync(HttpClient http, HttpRequestMessage request, TimeSpan timeout, string where,
        TimeProvider time, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return DeliveryResult.Transient($"{where}: no answer within {timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException)
        {
            // A certificate that does not verify will not start verifying by itself.
            return DeliveryResult.Permanent($"{where}: TLS failed: {e.InnerException.Message}");
        }
        catch (HttpRequestException e)
        {
            return DeliveryResult.Transient($"{where}: {(e.InnerException as SocketException)?.SocketErrorCode.ToString() ?? e.HttpRequestError.ToString()}: {e.Message}");
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300) return DeliveryResult.Delivered();
            var reason = SafeText.Inert(response.ReasonPhrase, 80);
            if (response.StatusCode == HttpStatusCode.TooManyRequests || status >= 500)
                return DeliveryResult.Transient($"{where}: HTTP {status} {reason}", RetryAfter(response, time));
            return DeliveryResult.Permanent($"{where}: HTTP {status} {reason}");
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date && date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero) return wait;
        return null;
    }
}
