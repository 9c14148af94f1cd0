using Udpconf.Reference.Api;

namespace Udpconf.Suite.Targets;

/// <summary>
/// A target's descriptors as the model numbers them (the lowest free from 3), each standing for the implementation's
/// own descriptor, so that results compare. A case's name is the number it was given, as a program's variable holds
/// a descriptor: after its close it still names that number, and a later file given the same number answers to it.
/// A number not open (never opened, or closed) is passed on as <c>unknownBase + N</c>, a descriptor no
/// implementation has.
/// </summary>
public sealed class Descriptors(int unknownBase)
{
    private readonly Dictionary<int, int> real = []; // the model's number → the implementation's descriptor
    private readonly Dictionary<string, int> names = [];

    /// <summary>The implementation's descriptor for <paramref name="fd"/> (-1 for a name never given).</summary>
    public int Resolve(Fd fd)
    {
        if (fd.Name is { } name) return names.TryGetValue(name, out var number) ? Resolve(Fd.Raw(number)) : -1;
        if (real.TryGetValue(fd.Number, out var raw)) return raw;
        return fd.Number < 0 ? fd.Number : unknownBase + fd.Number;
    }

    /// <summary>Records a descriptor the implementation opened for <paramref name="name"/>; returns the model's number.</summary>
    public int Install(string name, int descriptor)
    {
        var number = Fd.LowestFree(real);
        real[number] = descriptor;
        names[name] = number;
        return number;
    }

    /// <summary>Forgets a descriptor the implementation closed; the names given to its number keep it.</summary>
    public void Closed(int descriptor)
    {
        foreach (var number in real.Where(p => p.Value == descriptor).Select(p => p.Key).ToArray()) real.Remove(number);
    }

    /// <summary>The implementation's descriptors still open.</summary>
    public IReadOnlyCollection<int> Open => real.Values;
}
