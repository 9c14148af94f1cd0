using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Ip;

/// <summary>
/// Path MTU discovery as the profile's kernel applies a socket's IP_MTU_DISCOVER mode: the one place for the rules
/// ip_append_data and ip_push_pending_frames share. Profile.StrictPmtuAtAppend plays three roles here, each named:
/// the append bound (<see cref="AppendBound"/>), which modes may ignore DF (<see cref="IgnoresDf"/>) and DF under
/// PROBE (<see cref="DontFragment"/>). The profile is read only when a rule is asked, so spec-map credits each read
/// to the clause that asked.
/// </summary>
public readonly struct PmtuPolicy(Profile profile, int mode)
{
    public int Mode => mode;

    /// <summary>The MTU a datagram is laid out and fragmented for (ip_skb_dst_mtu): current kernels (modes above DO
    /// exist) use the device's for PROBE and later modes, every other the path's.</summary>
    public int FragmentMtu((int Path, int Device) mtus) =>
        // not a limit: whether the profile knows the modes after DO (2)
        profile.MaxPmtuMode > 2 && mode >= PmtuProbe ? mtus.Device : mtus.Path;

    /// <summary>ip_sk_ignore_df: the datagram may be fragmented locally even with DF. Current kernels: below DO, and
    /// OMIT; 2.6: every mode but DO.</summary>
    public bool IgnoresDf => profile.StrictPmtuAtAppend ? mode < PmtuDo || mode == PmtuOmit : mode != PmtuDo;

    /// <summary>ip_append_data's bound on the whole datagram, its IP header included: current kernels refuse one above
    /// the MTU when DF may not be ignored; otherwise (and always in 2.6) 65535.</summary>
    public int AppendBound(int mtu) => profile.StrictPmtuAtAppend && !IgnoresDf ? mtu : (int)Limits.DatagramLength.At;

    /// <summary>ip_dont_fragment: DF is set under DO (and PROBE in current kernels), or when the datagram of
    /// <paramref name="total"/> bytes fits the path MTU and discovery wants DF (WANT on a route whose MTU is not
    /// locked).</summary>
    public bool DontFragment(int total, int pathMtu, bool mtuLocked)
    {
        var wantsDf = mode == PmtuDo || (mode == PmtuWant && !mtuLocked);
        return mode == PmtuDo
               || (profile.StrictPmtuAtAppend && mode == PmtuProbe)
               || (total <= pathMtu && wantsDf);
    }
}
