namespace Udpconf.Reference;

/// <summary>An open descriptor of the modeled process: a UDP socket or some other file.</summary>
public abstract class FileObject
{
    public bool Nonblocking { get; set; }
}
