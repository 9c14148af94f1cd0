using System.Buffers.Binary;
using Udpconf.Suite.Targets;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>Observations of two runs of the same operations on a kernel, told apart only by what it may choose anew.</summary>
public static class ChosenValues
{
    /// <summary>What a kernel chose that another run of the same operations may choose otherwise: IP identifications,
    /// ephemeral ports, and the checksums over them. Masked in both observations, everything else must be equal.</summary>
    public static string Masked(Udpconf.Reference.Api.Operation operation, Observation observation)
    {
        static string Packet(ObservedPacket packet)
        {
            var bytes = (byte[])packet.Bytes.Clone();
            if (bytes.Length >= 20 && bytes[0] >> 4 == 4)
            {
                var ihl = (bytes[0] & 15) * 4;
                bytes[4] = bytes[5] = bytes[10] = bytes[11] = 0;
                var first = (BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(6)) & 0x1FFF) == 0;
                if (first && bytes[9] == 17 && bytes.Length >= ihl + 8) bytes[ihl] = bytes[ihl + 1] = bytes[ihl + 6] = bytes[ihl + 7] = 0;
            }
            return $"{packet.Interface}:{Convert.ToHexString(bytes)}:{packet.Offload}";
        }
        // IP_PROTOCOL's answer on an autobound socket: its ephemeral port.
        var option = operation is Udpconf.Reference.Api.GetSockOptOp { Level: 0, OptName: 52 } ? "port" : Convert.ToHexString(observation.OptionValue?.ToArray() ?? []);
        return $"{observation.Kind} {observation.Value} {observation.Error} {option} {observation.Counters}/{observation.CounterSteps} " +
               string.Join(",", observation.ErrorQueue ?? []) + " | " + string.Join(" ", observation.Packets.Select(Packet));
    }

    /// <summary>A run's observations with every step's own counters (<paramref name="perStep"/>), as a run that read the
    /// counters once for a run of steps reports them (<paramref name="counted"/>: a read where it has one, covering its
    /// <see cref="Observation.CounterSteps"/>): each read the sum of the steps it covers, the other steps none. A step
    /// of the sum without counters makes it null, so that the comparison shows it.</summary>
    public static IReadOnlyList<Observation> CountedAs(IReadOnlyList<Observation> perStep, IReadOnlyList<Observation> counted) =>
        perStep.Select((observation, i) =>
        {
            if (i >= counted.Count || counted[i].Counters is null) return observation with { Counters = null, CounterSteps = 1 };
            var steps = counted[i].CounterSteps;
            var first = i - steps + 1;
            Udpconf.Reference.CounterDelta? sum = first < 0 ? null : default(Udpconf.Reference.CounterDelta);
            for (var k = Math.Max(0, first); k <= i && sum is { } s; k++) sum = perStep[k].Counters is { } c ? s + c : null;
            return observation with { Counters = sum, CounterSteps = steps };
        }).ToArray();

}
