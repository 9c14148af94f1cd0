package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"

	"gvisor.dev/gvisor/pkg/syserr"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// Linux numbers the adapter needs (x86-64).
const (
	afUnspec = 0
	afInet   = 2

	sockDgram    = 2
	sockNonblock = 0o4000
	sockCloexec  = 0o2000000

	solIP     = 0
	solSocket = 1
	solUDP    = 17

	msgDontwait = 0x40
	msgEOR      = 0x80
	msgNosignal = 0x4000
	msgMore     = 0x8000

	udpCork = 1
)

func errnoName(e int) interface{} {
	if name := unix.ErrnoName(syscall.Errno(e)); name != "" {
		return name
	}
	return e
}

// netstackErrno maps a netstack error to a Linux errno through gVisor's own table.
func netstackErrno(err tcpip.Error) int {
	return int(syserr.TranslateNetstackError(err).ToLinux())
}

func netstackResult(err tcpip.Error) result {
	if err != nil {
		return errResult(netstackErrno(err))
	}
	return okResult(0)
}

// lookup finds a socket; a file of "open" is ENOTSOCK and any other number EBADF (the sandbox's file table).
func lookup(fd int64) (*socket, *result) {
	if s := sockets[fd]; s != nil {
		return s, nil
	}
	r := errResult(int(unix.EBADF))
	if files[fd] {
		r = errResult(int(unix.ENOTSOCK))
	}
	return nil, &r
}

func opSocket(req request) result {
	domain := req.int64("domain", -1<<31, 1<<31-1)
	typ := req.int64("type", -1<<31, 1<<31-1)
	protocol := req.int64("protocol", -1<<31, 1<<31-1)
	if domain != afInet || typ&^(sockNonblock|sockCloexec) != sockDgram || (protocol != 0 && protocol != 17) {
		return unsuppResult("socket(%d, %d, %d): only AF_INET SOCK_DGRAM UDP endpoints are created "+
			"(choosing the protocol for other triples is the sandbox layer's)", domain, typ, protocol)
	}
	wq := &waiter.Queue{}
	ep, err := st.NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, wq)
	if err != nil {
		return errResult(netstackErrno(err))
	}
	fd := lowestFreeFD()
	sockets[fd] = &socket{ep: ep, wq: wq, nonblock: typ&sockNonblock != 0}
	return okResult(fd)
}

func opOpen() result {
	fd := nextFileFD
	nextFileFD++
	files[fd] = true
	return okResult(fd)
}

// sockaddrIn reads a sockaddr_in as the sandbox layer does before calling netstack (the family, port and address;
// lengths shorter than sockaddr_in are EINVAL as on Linux). unspec: the family is AF_UNSPEC.
func sockaddrIn(b buffer, addrlen int64) (addr tcpip.FullAddress, family uint16, errno int, why string) {
	if b.null {
		return addr, 0, int(unix.EFAULT), ""
	}
	if addrlen < 0 || addrlen > 128 {
		return addr, 0, int(unix.EINVAL), ""
	}
	if int64(len(b.data)) < addrlen {
		return addr, 0, 0, "an address length beyond the readable bytes (EFAULT is the sandbox layer's copy-in)"
	}
	if addrlen < 2 {
		return addr, 0, int(unix.EINVAL), ""
	}
	family = binary.LittleEndian.Uint16(b.data)
	if family == afUnspec && addrlen < 16 {
		return addr, family, 0, ""
	}
	if addrlen < 16 {
		return addr, family, int(unix.EINVAL), ""
	}
	addr.Port = binary.BigEndian.Uint16(b.data[2:])
	addr.Addr = tcpip.Address(b.data[4:8])
	if addr.Addr == "\x00\x00\x00\x00" {
		// INADDR_ANY is netstack's empty address, as the sandbox's BytesToIPAddress makes it.
		addr.Addr = ""
	}
	return addr, family, 0, ""
}

func opBindConnect(req request, connect bool) result {
	fd := req.int64("fd", -1<<31, 1<<31-1)
	addrlen := req.int64("addrlen", -1<<31, 1<<31-1)
	b := req.buffer("addr")
	s, bad := lookup(fd)
	if bad != nil {
		return *bad
	}
	addr, family, e, why := sockaddrIn(b, addrlen)
	if why != "" {
		return unsuppResult(why)
	}
	if e != 0 {
		return errResult(e)
	}
	if connect {
		if family == afUnspec {
			return netstackResult(s.ep.Disconnect())
		}
		if family != afInet {
			return errResult(int(unix.EAFNOSUPPORT))
		}
		return netstackResult(s.ep.Connect(addr))
	}
	if family != afInet {
		if family == afUnspec && addrlen >= 16 && addr.Addr == "" {
			// Linux takes AF_UNSPEC with INADDR_ANY as AF_INET (inet_bind); passed as AF_INET.
		} else {
			return errResult(int(unix.EAFNOSUPPORT))
		}
	}
	return netstackResult(s.ep.Bind(addr))
}

func optionInt(b buffer, optlen int64) (int, string) {
	if b.null {
		return 0, "a NULL option value (EFAULT is the sandbox layer's copy-in)"
	}
	if optlen < 4 || len(b.data) < 4 {
		return 0, "an option value shorter than an int (the sandbox layer checks and reads short values)"
	}
	return int(int32(binary.LittleEndian.Uint32(b.data))), ""
}

// Linux IP_PMTUDISC_* to netstack's PMTUDiscovery* and back.
var pmtuToNetstack = map[int]int{0: tcpip.PMTUDiscoveryDont, 1: tcpip.PMTUDiscoveryWant, 2: tcpip.PMTUDiscoveryDo,
	3: tcpip.PMTUDiscoveryProbe}

func opSetsockopt(req request) result {
	fd := req.int64("fd", -1<<31, 1<<31-1)
	level := req.int64("level", -1<<31, 1<<31-1)
	name := req.int64("name", -1<<31, 1<<31-1)
	optlen := req.int64("optlen", -1<<31, 1<<31-1)
	b := req.buffer("value")
	s, bad := lookup(fd)
	if bad != nil {
		return *bad
	}
	if r, ok := setStructOption(s, level, name, b, optlen); ok {
		return r
	}
	v, why := optionInt(b, optlen)
	so := s.ep.SocketOptions()
	switch {
	case level == solSocket && name == unix.SO_BROADCAST:
		if why == "" {
			so.SetBroadcast(v != 0)
		}
	case level == solSocket && name == unix.SO_SNDBUF:
		if why == "" {
			so.SetSendBufferSize(int64(v), true)
		}
	case level == solSocket && name == unix.SO_NO_CHECK:
		if why == "" {
			so.SetNoChecksum(v != 0)
		}
	case level == solSocket && name == unix.SO_REUSEADDR:
		if why == "" {
			so.SetReuseAddress(v != 0)
		}
	case level == solSocket && name == unix.SO_REUSEPORT:
		if why == "" {
			so.SetReusePort(v != 0)
		}
	case level == solIP && name == unix.IP_TTL:
		if why == "" {
			if v == -1 {
				v = tcpip.UseDefaultIPv4TTL // Linux's "default" in netstack's encoding
			}
			return netstackResult(s.ep.SetSockOptInt(tcpip.IPv4TTLOption, v))
		}
	case level == solIP && name == unix.IP_TOS:
		if why == "" {
			return netstackResult(s.ep.SetSockOptInt(tcpip.IPv4TOSOption, v))
		}
	case level == solIP && name == unix.IP_MULTICAST_TTL:
		if why == "" {
			return netstackResult(s.ep.SetSockOptInt(tcpip.MulticastTTLOption, v))
		}
	case level == solIP && name == unix.IP_MULTICAST_LOOP:
		if why == "" {
			so.SetMulticastLoop(v != 0)
		}
	case level == solIP && name == unix.IP_MTU_DISCOVER:
		if why == "" {
			mode, ok := pmtuToNetstack[v]
			if !ok {
				return unsuppResult("IP_MTU_DISCOVER %d: netstack has no such mode (the sandbox layer answers it)", v)
			}
			return netstackResult(s.ep.SetSockOptInt(tcpip.MTUDiscoverOption, mode))
		}
	case level == solIP && name == unix.IP_RECVERR:
		if why == "" {
			so.SetIPv4RecvError(v != 0)
		}
	case level == solIP && name == unix.IP_PKTINFO:
		if why == "" {
			so.SetReceivePacketInfo(v != 0)
		}
	case level == solUDP && name == udpCork:
		if why == "" {
			so.SetCorkOption(v != 0)
		}
	default:
		return unsuppResult("setsockopt(%d, %d): not an option of netstack's endpoint API that the adapter maps "+
			"(the sandbox layer answers it)", level, name)
	}
	if why != "" {
		return unsuppResult(why)
	}
	return okResult(0)
}

func opGetsockopt(req request) result {
	fd := req.int64("fd", -1<<31, 1<<31-1)
	level := req.int64("level", -1<<31, 1<<31-1)
	name := req.int64("name", -1<<31, 1<<31-1)
	optlen := req.int64("optlen", -1<<31, 1<<31-1)
	s, bad := lookup(fd)
	if bad != nil {
		return *bad
	}
	so := s.ep.SocketOptions()
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	var v int
	var err tcpip.Error
	switch {
	case level == solSocket && name == unix.SO_BROADCAST:
		v = b2i(so.GetBroadcast())
	case level == solSocket && name == unix.SO_SNDBUF:
		v = int(so.GetSendBufferSize())
	case level == solSocket && name == unix.SO_NO_CHECK:
		v = b2i(so.GetNoChecksum())
	case level == solSocket && name == unix.SO_REUSEADDR:
		v = b2i(so.GetReuseAddress())
	case level == solSocket && name == unix.SO_REUSEPORT:
		v = b2i(so.GetReusePort())
	case level == solSocket && name == unix.SO_BINDTOIFINDEX:
		v = int(linkIndex(tcpip.NICID(so.GetBindToDevice())))
	case level == solIP && name == unix.IP_MULTICAST_IF:
		var opt tcpip.MulticastInterfaceOption
		if err := s.ep.GetSockOpt(&opt); err != nil {
			return errResult(netstackErrno(err))
		}
		if optlen < 4 {
			return unsuppResult("an option buffer shorter than an in_addr (the sandbox layer checks it)")
		}
		r := okResult(4)
		r.hasOpt = true
		r.option = make([]byte, 4)
		if len(opt.InterfaceAddr) == 4 {
			copy(r.option, opt.InterfaceAddr)
		}
		return r
	case level == solSocket && name == unix.SO_ERROR:
		if e := so.GetLastError(); e != nil {
			v = netstackErrno(e)
		}
	case level == solIP && name == unix.IP_TTL:
		v, err = s.ep.GetSockOptInt(tcpip.IPv4TTLOption)
		if err == nil && v == tcpip.UseDefaultIPv4TTL {
			var ttl tcpip.DefaultTTLOption
			if e := st.NetworkProtocolOption(ipv4.ProtocolNumber, &ttl); e == nil {
				v = int(ttl)
			}
		}
	case level == solIP && name == unix.IP_TOS:
		v, err = s.ep.GetSockOptInt(tcpip.IPv4TOSOption)
	case level == solIP && name == unix.IP_MULTICAST_TTL:
		v, err = s.ep.GetSockOptInt(tcpip.MulticastTTLOption)
	case level == solIP && name == unix.IP_MULTICAST_LOOP:
		v = b2i(so.GetMulticastLoop())
	case level == solIP && name == unix.IP_MTU_DISCOVER:
		v, err = s.ep.GetSockOptInt(tcpip.MTUDiscoverOption)
		for linux, ns := range pmtuToNetstack {
			if ns == v {
				v = linux
				break
			}
		}
	case level == solIP && name == unix.IP_RECVERR:
		v = b2i(so.GetIPv4RecvError())
	case level == solIP && name == unix.IP_PKTINFO:
		v = b2i(so.GetReceivePacketInfo())
	case level == solUDP && name == udpCork:
		v = b2i(so.GetCorkOption())
	default:
		return unsuppResult("getsockopt(%d, %d): not an option of netstack's endpoint API that the adapter maps "+
			"(the sandbox layer answers it)", level, name)
	}
	if err != nil {
		return errResult(netstackErrno(err))
	}
	if optlen < 4 {
		return unsuppResult("an option buffer shorter than an int (the sandbox layer checks and writes short values)")
	}
	r := okResult(4)
	r.hasOpt = true
	r.option = make([]byte, 4)
	binary.LittleEndian.PutUint32(r.option, uint32(int32(v)))
	return r
}

func opNonblock(req request) result {
	fd := req.int64("fd", -1<<31, 1<<31-1)
	var on bool
	if err := jsonBool(req, "on", &on); err != "" {
		return unsuppResult(err)
	}
	if files[fd] {
		return okResult(0)
	}
	s, bad := lookup(fd)
	if bad != nil {
		return *bad
	}
	s.nonblock = on
	return okResult(0)
}

// sendFlags turns Linux MSG_* flags into netstack's WriteOptions; flags netstack has no counterpart for are the
// sandbox layer's to check (answered unsupported).
func sendFlags(flags int64, s *socket) (tcpip.WriteOptions, bool, string) {
	var opts tcpip.WriteOptions
	known := int64(msgDontwait | msgEOR | msgNosignal | msgMore)
	if flags&^known != 0 {
		return opts, false, fmt.Sprintf("send flags %#x: netstack's Write has no counterpart (the sandbox layer checks them)",
			flags&^known)
	}
	opts.More = flags&msgMore != 0
	opts.EndOfRecord = flags&msgEOR != 0
	return opts, s.nonblock || flags&msgDontwait != 0, ""
}

// write performs one netstack Write; a would-block on a blocking socket is reported as blocking.
func write(s *socket, payload []byte, opts tcpip.WriteOptions, nonblock bool) result {
	n, err := s.ep.Write(bytes.NewReader(payload), opts)
	if err != nil {
		if _, ok := err.(*tcpip.ErrWouldBlock); ok && !nonblock {
			return result{blocks: true}
		}
		return errResult(netstackErrno(err))
	}
	return okResult(n)
}

// destination reads a send's address. sendmsg (clamp): a NULL name or a zero namelen is no address, and a namelen
// above sizeof(sockaddr_storage) is cut to it (copy_msghdr); sendto: only a NULL address is none.
func destination(name buffer, namelen int64, clamp bool) (*tcpip.FullAddress, int, string) {
	if name.null || (clamp && namelen == 0) {
		return nil, 0, ""
	}
	if clamp && namelen > 128 {
		namelen = 128
	}
	addr, family, e, why := sockaddrIn(name, namelen)
	if why != "" || e != 0 {
		return nil, e, why
	}
	if family != afInet && family != afUnspec {
		return nil, int(unix.EAFNOSUPPORT), ""
	}
	if namelen < 16 {
		return nil, int(unix.EINVAL), ""
	}
	return &addr, 0, ""
}

func opSendto(req request) result {
	fd := req.int64("fd", -1<<31, 1<<31-1)
	flags := req.int64("flags", -1<<31, 1<<32-1)
	addrlen := req.int64("addrlen", -1<<31, 1<<31-1)
	data := req.buffer("data")
	addr := req.buffer("addr")
	s, bad := lookup(fd)
	if bad != nil {
		return *bad
	}
	opts, nonblock, why := sendFlags(flags, s)
	if why != "" {
		return unsuppResult(why)
	}
	to, e, why := destination(addr, addrlen, false)
	if why != "" {
		return unsuppResult(why)
	}
	if e != 0 {
		return errResult(e)
	}
	opts.To = to
	return write(s, data.data, opts, nonblock)
}

type message struct {
	name       buffer
	namelen    int64
	payload    []byte
	control    buffer
	controllen int64
}

func readMessage(req request) (message, string) {
	var m message
	m.namelen = req.int64("namelen", -1<<31, 1<<31-1)
	m.controllen = req.int64("controllen", -1<<63, 1<<63-1)
	m.name = req.buffer("name")
	m.control = req.buffer("control")
	var iov []json_raw
	if err := jsonList(req, "iov", &iov); err != "" {
		return m, err
	}
	for i, raw := range iov {
		b := parseBuffer(raw, fmt.Sprintf("iov[%d]", i))
		m.payload = append(m.payload, b.data...)
	}
	return m, ""
}

// control reads x86-64 cmsghdrs into netstack's SendableControlMessages; anything netstack has no field for, and
// malformed control data, is the sandbox layer's (answered unsupported).
func control(m message) (tcpip.SendableControlMessages, string) {
	var cm tcpip.SendableControlMessages
	if m.controllen == 0 || m.control.null && m.controllen == 0 {
		return cm, ""
	}
	if m.control.null || m.controllen < 0 || int64(len(m.control.data)) < m.controllen {
		return cm, "control data the adapter cannot read (the sandbox layer's copy-in)"
	}
	data := m.control.data[:m.controllen]
	for len(data) >= 16 {
		clen := binary.LittleEndian.Uint64(data)
		level := int32(binary.LittleEndian.Uint32(data[8:]))
		typ := int32(binary.LittleEndian.Uint32(data[12:]))
		if clen < 16 || clen > uint64(len(data)) {
			return cm, "malformed control data (the sandbox layer parses cmsghdrs)"
		}
		body := data[16:clen]
		switch {
		case level == solIP && typ == unix.IP_TTL && len(body) >= 4:
			v := int32(binary.LittleEndian.Uint32(body))
			if v < 1 || v > 255 {
				return cm, fmt.Sprintf("an IP_TTL control message of %d (the sandbox layer checks the value)", v)
			}
			cm.HasTTL = true
			cm.TTL = uint8(v)
		default:
			return cm, fmt.Sprintf("a control message (level %d, type %d, %d bytes): netstack's "+
				"SendableControlMessages has no such field", level, typ, len(body))
		}
		next := (clen + 7) &^ 7
		if next >= uint64(len(data)) {
			break
		}
		data = data[next:]
	}
	return cm, ""
}

func sendMessage(s *socket, m message, flags int64) result {
	opts, nonblock, why := sendFlags(flags, s)
	if why != "" {
		return unsuppResult(why)
	}
	to, e, why := destination(m.name, m.namelen, true)
	if why != "" {
		return unsuppResult(why)
	}
	if e != 0 {
		return errResult(e)
	}
	cm, why := control(m)
	if why != "" {
		return unsuppResult(why)
	}
	opts.To = to
	opts.ControlMessages = cm
	return write(s, m.payload, opts, nonblock)
}

func opSendmsg(req request) result {
	fd := req.int64("fd", -1<<31, 1<<31-1)
	flags := req.int64("flags", -1<<31, 1<<32-1)
	m, why := readMessage(req)
	if why != "" {
		return unsuppResult(why)
	}
	s, bad := lookup(fd)
	if bad != nil {
		return *bad
	}
	return sendMessage(s, m, flags)
}

// sendmmsg: netstack has no such call; the sandbox layer loops over sendmsg, and so does the adapter: the first
// message's error is the call's, a later one ends the call with the count so far.
func opSendmmsg(req request) result {
	fd := req.int64("fd", -1<<31, 1<<31-1)
	flags := req.int64("flags", -1<<31, 1<<32-1)
	vlen := req.int64("vlen", 0, 1<<32-1)
	var raws []request
	if err := jsonList(req, "msgs", &raws); err != "" {
		return unsuppResult(err)
	}
	s, bad := lookup(fd)
	if bad != nil {
		return *bad
	}
	if vlen > int64(len(raws)) {
		return unsuppResult("a vector beyond its readable messages (EFAULT is the sandbox layer's copy-in)")
	}
	if vlen > 1024 {
		vlen = 1024 // UIO_MAXIOV, as Linux and the sandbox cap it
	}
	var lens []uint32
	for i := int64(0); i < vlen; i++ {
		m, why := readMessage(raws[i])
		if why != "" {
			return unsuppResult(why)
		}
		r := sendMessage(s, m, flags)
		if r.unsupp != "" || r.blocks {
			if i == 0 {
				return r
			}
			break
		}
		if r.errno != 0 {
			if i == 0 {
				return r
			}
			break
		}
		lens = append(lens, uint32(r.ret))
		pending = append(pending, drain()...)
	}
	r := okResult(int64(len(lens)))
	r.hasOpt = true
	r.option = make([]byte, 4*len(lens))
	for i, n := range lens {
		binary.LittleEndian.PutUint32(r.option[4*i:], n)
	}
	return r
}

func opShutdown(req request) result {
	fd := req.int64("fd", -1<<31, 1<<31-1)
	how := req.int64("how", -1<<31, 1<<31-1)
	s, bad := lookup(fd)
	if bad != nil {
		return *bad
	}
	var flags tcpip.ShutdownFlags
	switch how {
	case 0:
		flags = tcpip.ShutdownRead
	case 1:
		flags = tcpip.ShutdownWrite
	case 2:
		flags = tcpip.ShutdownRead | tcpip.ShutdownWrite
	default:
		return unsuppResult("shutdown how %d: netstack's ShutdownFlags have no such value (the sandbox layer checks it)", how)
	}
	return netstackResult(s.ep.Shutdown(flags))
}

func opClose(req request) result {
	fd := req.int64("fd", -1<<31, 1<<31-1)
	if files[fd] {
		delete(files, fd)
		return okResult(0)
	}
	s, bad := lookup(fd)
	if bad != nil {
		return *bad
	}
	s.ep.Close()
	delete(sockets, fd)
	return okResult(0)
}

func opLink(req request) result {
	name := req.str("name")
	var l *link
	for _, x := range links {
		if x.name == name {
			l = x
		}
	}
	if l == nil {
		return unsuppResult("no link named '%s' (lo cannot be changed)", name)
	}
	if req.has("mtu") {
		mtu := req.int64("mtu", 68, 65535)
		atomicStore(&l.mtu, uint32(mtu))
	}
	if req.has("up") {
		var up bool
		if err := jsonBool(req, "up", &up); err != "" {
			return unsuppResult(err)
		}
		var err tcpip.Error
		if up {
			err = st.EnableNIC(l.nicID)
		} else {
			err = st.DisableNIC(l.nicID)
		}
		if err != nil {
			return unsuppResult("changing %s: %v", name, err)
		}
		l.up = up
	}
	return okResult(0)
}

// nicOfIndex maps a Linux interface index of the host to netstack's NIC (the sandbox keeps the same kind of map:
// its interface indexes are netstack's NIC IDs; here the host's indexes are the suite's).
func nicOfIndex(index int32) (tcpip.NICID, bool) {
	if index == 0 {
		return 0, true
	}
	if index == 1 {
		return 1, true
	}
	for _, l := range links {
		if l.index == int(index) {
			return l.nicID, true
		}
	}
	// No link has it: passed on as a NIC number that no NIC has, for netstack to answer.
	return tcpip.NICID(index), true
}

func linkIndex(nic tcpip.NICID) int32 {
	if nic == 0 || nic == 1 {
		return int32(nic)
	}
	for _, l := range links {
		if l.nicID == nic {
			return int32(l.index)
		}
	}
	return int32(nic)
}

func nicOfName(name string) (tcpip.NICID, bool) {
	if name == "" {
		return 0, true
	}
	if name == "lo" {
		return 1, true
	}
	for _, l := range links {
		if l.name == name {
			return l.nicID, true
		}
	}
	return 0, false
}

// setStructOption handles the options whose value is not an int: multicast membership and interface, and device
// binding. ok false: not one of them. Reading the structures (ip_mreqn, ip_mreq, in_addr, an interface name) and
// turning an interface index or name into a NIC is the sandbox layer's work, done here only to call netstack.
func setStructOption(s *socket, level, name int64, b buffer, optlen int64) (result, bool) {
	readable := func(n int64) bool { return !b.null && optlen >= n && int64(len(b.data)) >= n }
	switch {
	case level == solIP && (name == unix.IP_ADD_MEMBERSHIP || name == unix.IP_DROP_MEMBERSHIP):
		var opt tcpip.MembershipOption
		switch {
		case readable(12): // ip_mreqn
			nic, ok := nicOfIndex(int32(binary.LittleEndian.Uint32(b.data[8:])))
			if !ok {
				return errResult(int(unix.ENODEV)), true
			}
			opt.NIC = nic
			opt.InterfaceAddr = anyAddr(b.data[4:8])
		case readable(8): // ip_mreq
			opt.InterfaceAddr = anyAddr(b.data[4:8])
		default:
			return unsuppResult("a membership value shorter than ip_mreq (the sandbox layer checks it)"), true
		}
		opt.MulticastAddr = tcpip.Address(b.data[0:4])
		if name == unix.IP_ADD_MEMBERSHIP {
			o := tcpip.AddMembershipOption(opt)
			return netstackResult(s.ep.SetSockOpt(&o)), true
		}
		o := tcpip.RemoveMembershipOption(opt)
		return netstackResult(s.ep.SetSockOpt(&o)), true
	case level == solIP && name == unix.IP_MULTICAST_IF:
		var opt tcpip.MulticastInterfaceOption
		switch {
		case readable(12):
			nic, ok := nicOfIndex(int32(binary.LittleEndian.Uint32(b.data[8:])))
			if !ok {
				return errResult(int(unix.ENODEV)), true
			}
			opt.NIC = nic
			opt.InterfaceAddr = anyAddr(b.data[4:8])
		case readable(8): // ip_mreq: its imr_address
			opt.InterfaceAddr = anyAddr(b.data[4:8])
		case readable(4):
			opt.InterfaceAddr = anyAddr(b.data[0:4])
		default:
			return unsuppResult("an IP_MULTICAST_IF value shorter than in_addr (the sandbox layer checks it)"), true
		}
		return netstackResult(s.ep.SetSockOpt(&opt)), true
	case level == solSocket && name == unix.SO_BINDTODEVICE:
		if b.null || optlen < 0 || int64(len(b.data)) < optlen {
			return unsuppResult("an SO_BINDTODEVICE name the adapter cannot read (the sandbox's copy-in)"), true
		}
		n := b.data[:optlen]
		if i := bytes.IndexByte(n, 0); i >= 0 {
			n = n[:i]
		}
		nic, ok := nicOfName(string(n))
		if !ok {
			return errResult(int(unix.ENODEV)), true
		}
		return netstackResult(s.ep.SocketOptions().SetBindToDevice(int32(nic))), true
	case level == solSocket && name == unix.SO_BINDTOIFINDEX:
		v, why := optionInt(b, optlen)
		if why != "" {
			return unsuppResult(why), true
		}
		nic, ok := nicOfIndex(int32(v))
		if !ok {
			return errResult(int(unix.ENODEV)), true
		}
		return netstackResult(s.ep.SocketOptions().SetBindToDevice(int32(nic))), true
	}
	return result{}, false
}

// anyAddr is an IPv4 address with INADDR_ANY as netstack's empty address.
func anyAddr(b []byte) tcpip.Address {
	a := tcpip.Address(b)
	if a == "\x00\x00\x00\x00" {
		return ""
	}
	return a
}

// drainErrQueue reads the socket's error queue until it is empty (netstack's SocketOptions().DequeueErr), after the
// operations the kernel target reads it for: sends, setsockopt and connect. Each entry: the errno through the table,
// the origin, ee_info, and the address and port of msg_name (the datagram's destination, SockError.Dst).
func drainErrQueue(fd int64) []msg {
	s := sockets[fd]
	if s == nil {
		return nil
	}
	entries := []msg{}
	for {
		e := s.ep.SocketOptions().DequeueErr()
		if e == nil {
			break
		}
		origin := "local"
		var info uint32
		if e.Cause != nil {
			switch e.Cause.Origin() {
			case tcpip.SockExtErrorOriginICMP, tcpip.SockExtErrorOriginICMP6:
				origin = "icmp"
			}
			info = e.Cause.Info()
		}
		var errno interface{} = 0
		if e.Err != nil {
			errno = errnoName(netstackErrno(e.Err))
		}
		address := "0.0.0.0"
		if a := e.Dst.Addr; len(a) == 4 {
			address = fmt.Sprintf("%d.%d.%d.%d", a[0], a[1], a[2], a[3])
		}
		entries = append(entries, msg{"errno": errno, "origin": origin, "info": info, "address": address,
			"port": e.Dst.Port})
	}
	return entries
}
