namespace Udpconf.Reference.Ip;

/// <summary>A socket timeout: none (waits for ever), immediate (negative seconds: 0 jiffies), or seconds and microseconds.</summary>
public readonly record struct SocketTimeout(long Seconds, long Micros, bool Forever = false, bool Immediate = false)
{
    public static SocketTimeout None { get; } = new(0, 0, Forever: true);
}
