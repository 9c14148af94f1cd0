// udpconf-gvisor: the udpconf process protocol, version 2 (Conformance/PROTOCOL.md), over gVisor's netstack.
//
// Requests come as JSON lines on stdin, replies go as JSON lines to stdout. Every socket operation is netstack's
// own endpoint API (stack.NewEndpoint, Bind, Connect, SetSockOpt*, GetSockOpt*, Write, Shutdown, Close) on a real
// netstack stack (ipv4, udp, icmp) with one channel link endpoint per link of the host; errors are mapped to Linux
// errnos through gVisor's own table (syserr.TranslateNetstackError). The packets netstack hands to the channel
// endpoints are read back after every call and reported. What the gVisor sandbox's Linux layer would do instead
// (flag checks, sockaddr parsing, option value checks) is done here only as far as needed to call netstack; see
// README.md.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/loopback"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

const adapterName = "gvisor netstack 20221219"

// Descriptors of "open": files outside netstack (the adapter numbers its sockets from 3).
const fileFDBase = 900000

var out = bufio.NewWriterSize(os.Stdout, 1<<20)

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "udpconf-gvisor: "+format+"\n", args...)
}

// ---------------------------------------------------------------------------------------------------------------
// Links

// link is a channel endpoint whose MTU the "link" operation can change (channel.Endpoint's is fixed at New).
type link struct {
	*channel.Endpoint
	name  string
	index int
	nicID tcpip.NICID
	mtu   uint32
	up    bool
}

func (l *link) MTU() uint32 { return atomic.LoadUint32(&l.mtu) }

type packet struct {
	Link string `json:"link"`
	Hex  string `json:"hex"`
}

var (
	st       *stack.Stack
	links    []*link
	protoVer = 2
	hostOK   = 0 // 0 none yet, 1 configured, -1 refused
)

// drain reads every packet netstack handed to a link since the last call, and releases it.
func drain() []packet {
	pkts := []packet{}
	for _, l := range links {
		for {
			pkt := l.Read()
			if pkt.IsNil() {
				break
			}
			v := pkt.ToView()
			pkts = append(pkts, packet{Link: l.name, Hex: hex.EncodeToString(v.AsSlice())})
			v.Release()
			pkt.DecRef()
		}
	}
	return pkts
}

// ---------------------------------------------------------------------------------------------------------------
// Replies

type msg map[string]interface{}

func send(m msg) {
	b, err := json.Marshal(m)
	if err != nil {
		logf("cannot encode a reply: %v", err)
		b = []byte(`{"unsupported":"the adapter could not encode its reply"}`)
	}
	out.Write(b)
	out.WriteByte('\n')
	out.Flush()
}

type unsupported string

// result is the outcome of an operation netstack performed.
type result struct {
	ret     int64
	errno   int // 0: ret
	option  []byte
	hasOpt  bool
	unsupp  string
	blocks  bool
	errq    []msg
	mmsgLen []uint32
}

func errResult(e int) result { return result{errno: e} }
func okResult(r int64) result { return result{ret: r} }
func unsuppResult(why string, a ...interface{}) result {
	return result{unsupp: fmt.Sprintf(why, a...)}
}

// ---------------------------------------------------------------------------------------------------------------
// Request fields

type request map[string]json.RawMessage

type badRequest string

func (r request) int64(key string, low, high int64) int64 {
	raw, ok := r[key]
	if !ok {
		panic(badRequest(fmt.Sprintf("the request has no integer '%s'", key)))
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		panic(badRequest(fmt.Sprintf("'%s' is not a number", key)))
	}
	v, err := n.Int64()
	if err != nil {
		// an unsigned number above int64 (a size_t)
		var u uint64
		if _, err2 := fmt.Sscan(n.String(), &u); err2 != nil {
			panic(badRequest(fmt.Sprintf("'%s' is not an integer", key)))
		}
		v = int64(u)
	}
	if v < low || v > high {
		panic(badRequest(fmt.Sprintf("'%s' is out of range: %d", key, v)))
	}
	return v
}

func (r request) has(key string) bool {
	raw, ok := r[key]
	return ok && string(raw) != "null"
}

func (r request) str(key string) string {
	var s string
	if err := json.Unmarshal(r[key], &s); err != nil {
		panic(badRequest(fmt.Sprintf("the request has no string '%s'", key)))
	}
	return s
}

// buffer is user memory: nil for a NULL pointer; readable bytes; the declared length.
type buffer struct {
	null   bool
	data   []byte
	length uint64
}

type rawBuffer struct {
	Hex    *string      `json:"hex"`
	Length *json.Number `json:"length"`
	Null   bool         `json:"null"`
}

func parseBuffer(raw json.RawMessage, what string) buffer {
	if len(raw) == 0 || string(raw) == "null" {
		return buffer{null: true}
	}
	var rb rawBuffer
	if err := json.Unmarshal(raw, &rb); err != nil || rb.Hex == nil {
		panic(badRequest(fmt.Sprintf("'%s' is not a buffer", what)))
	}
	data, err := hex.DecodeString(*rb.Hex)
	if err != nil {
		panic(badRequest(fmt.Sprintf("'%s' is not hex", what)))
	}
	b := buffer{data: data, length: uint64(len(data)), null: rb.Null}
	if rb.Length != nil {
		var u uint64
		if v, err := rb.Length.Int64(); err == nil {
			u = uint64(v)
		} else if _, err := fmt.Sscan(rb.Length.String(), &u); err != nil {
			panic(badRequest(fmt.Sprintf("'%s' has a bad length", what)))
		}
		b.length = u
	}
	if b.length < uint64(len(data)) {
		panic(badRequest(fmt.Sprintf("'%s' is shorter than its bytes", what)))
	}
	if b.length > uint64(len(data)) || b.null {
		panic(badRequest(fmt.Sprintf("'%s' has unreadable bytes: the adapter does not declare unreadable-memory "+
			"(netstack's API takes Go slices; EFAULT is the sandbox layer's copy-in)", what)))
	}
	return b
}

func (r request) buffer(key string) buffer { return parseBuffer(r[key], key) }

// ---------------------------------------------------------------------------------------------------------------
// Main loop

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := in.ReadString('\n')
		line = strings.TrimSpace(line)
		if line != "" {
			if handleLine(line) {
				break
			}
		}
		if err != nil {
			break
		}
	}
	out.Flush()
	os.Exit(0)
}

func handleLine(line string) (stop bool) {
	var req request
	if err := json.Unmarshal([]byte(line), &req); err != nil {
		logf("not a JSON object: %.200s", line)
		send(msg{"unsupported": "the request is not a JSON object"})
		return false
	}
	var op string
	json.Unmarshal(req["op"], &op)
	var id interface{}
	var idNum json.Number
	if raw, ok := req["id"]; ok && json.Unmarshal(raw, &idNum) == nil {
		if v, err := idNum.Int64(); err == nil {
			id = v
		}
	}
	reply := func(m msg) {
		if id != nil {
			m["id"] = id
		}
		send(m)
	}
	defer func() {
		if p := recover(); p != nil {
			why, ok := p.(badRequest)
			if !ok {
				logf("panic in %s: %v", op, p)
				why = badRequest(fmt.Sprintf("the adapter failed: %v", p))
			}
			drain()
			reply(msg{"unsupported": string(why)})
		}
	}()
	switch {
	case op == "bye":
		return true
	case op == "hello":
		handleHello(req)
		return false
	case op == "host":
		handleHost(req)
		return false
	case id == nil:
		send(msg{"unsupported": "an operation without an integer 'id'"})
		return false
	case hostOK != 1:
		if hostOK == 0 {
			reply(msg{"unsupported": "no host yet"})
		} else {
			reply(msg{"unsupported": "the host was not supported"})
		}
		return false
	}
	drain() // anything spontaneous between operations is nobody's
	pending = nil
	var res result
	switch op {
	case "socket":
		res = opSocket(req)
	case "open":
		res = opOpen()
	case "bind":
		res = opBindConnect(req, false)
	case "connect":
		res = opBindConnect(req, true)
	case "setsockopt":
		res = opSetsockopt(req)
	case "getsockopt":
		res = opGetsockopt(req)
	case "nonblock":
		res = opNonblock(req)
	case "sendto":
		res = opSendto(req)
	case "sendmsg":
		res = opSendmsg(req)
	case "close":
		res = opClose(req)
	case "link":
		res = opLink(req)
	case "shutdown":
		if protoVer >= 2 {
			res = opShutdown(req)
		} else {
			res = unsuppResult("unknown op 'shutdown' in version 1")
		}
	case "sendmmsg":
		if protoVer >= 2 {
			res = opSendmmsg(req)
		} else {
			res = unsuppResult("unknown op 'sendmmsg' in version 1")
		}
	default:
		res = unsuppResult("unknown op '%.100s'", op)
	}
	pkts := append(append([]packet{}, pending...), drain()...)
	if wantErrQueue && res.unsupp == "" {
		switch op {
		case "sendto", "sendmsg", "sendmmsg", "setsockopt", "connect":
			var fd int64
			if json.Unmarshal(req["fd"], &fd) == nil {
				res.errq = drainErrQueue(fd)
			}
		}
	}
	pending = nil
	m := msg{}
	switch {
	case res.unsupp != "":
		m["unsupported"] = res.unsupp
	case res.blocks:
		m["blocks"] = true
	default:
		if res.errno != 0 {
			m["errno"] = errnoName(res.errno)
		} else {
			m["ret"] = res.ret
			if res.hasOpt {
				m["option"] = hex.EncodeToString(res.option)
			}
		}
		m["packets"] = pkts
		if wantErrQueue {
			eq := res.errq
			if eq == nil {
				eq = []msg{}
			}
			m["errqueue"] = eq
		}
	}
	reply(m)
	return false
}

// The error-queue feature (version 1 and 2 alike).
var wantErrQueue = true

func handleHello(req request) {
	var versions []int
	json.Unmarshal(req["versions"], &versions)
	has1, has2 := false, false
	for _, v := range versions {
		has1 = has1 || v == 1
		has2 = has2 || v == 2
	}
	if !has1 && !has2 {
		logf("the suite offers neither version 1 nor 2; answering with version 2 anyway")
	}
	features := []string{"host-change", "multiple-links", "error-queue"}
	if has1 && !has2 {
		protoVer = 1
	} else {
		features = append(features, "shutdown", "sendmmsg")
	}
	send(msg{"op": "hello", "version": protoVer, "name": adapterName, "features": features})
}

// ---------------------------------------------------------------------------------------------------------------
// The host

type jsonLink struct {
	Name    string  `json:"name"`
	Index   int     `json:"index"`
	Address string  `json:"address"`
	Prefix  int     `json:"prefix"`
	MTU     int64   `json:"mtu"`
	Up      *bool   `json:"up"`
	Also    []struct {
		Address string `json:"address"`
		Prefix  int    `json:"prefix"`
	} `json:"also"`
	Offload   bool `json:"offload"`
	UFO       bool `json:"ufo"`
	QueueFull bool `json:"queueFull"`
}

type jsonRoute struct {
	Kind        string  `json:"kind"`
	Destination string  `json:"destination"`
	Prefix      int     `json:"prefix"`
	Gateway     *string `json:"gateway"`
	Dev         *string `json:"dev"`
	MTU         *int    `json:"mtu"`
	Src         *string `json:"src"`
	Lock        bool    `json:"lock"`
	TOS         int     `json:"tos"`
	Hoplimit    *int    `json:"hoplimit"`
	Table       *int    `json:"table"`
}

type jsonHost struct {
	Links      []jsonLink        `json:"links"`
	Routes     []jsonRoute       `json:"routes"`
	TTL        *int              `json:"ttl"`
	Ports      []int             `json:"ports"`
	PMTU       *int              `json:"pmtu"`
	Privileged *bool             `json:"privileged"`
	Drops      []json.RawMessage `json:"drops"`
	Wmem       []*int64          `json:"wmem"`
	Veto       json.RawMessage   `json:"veto"`
	Rules      []json.RawMessage `json:"rules"`
}

func parseIP4(s string) (tcpip.Address, bool) {
	var a, b, c, d int
	var rest string
	n, _ := fmt.Sscanf(s, "%d.%d.%d.%d%s", &a, &b, &c, &d, &rest)
	if n != 4 || a < 0 || a > 255 || b < 0 || b > 255 || c < 0 || c > 255 || d < 0 || d > 255 {
		return "", false
	}
	return tcpip.Address([]byte{byte(a), byte(b), byte(c), byte(d)}), true
}

func subnetOf(a tcpip.Address, prefix int) tcpip.Subnet {
	mask := make([]byte, 4)
	for i := 0; i < prefix; i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	net := make([]byte, 4)
	for i := range net {
		net[i] = a[i] & mask[i]
	}
	s, err := tcpip.NewSubnet(tcpip.Address(net), tcpip.AddressMask(mask))
	if err != nil {
		panic(err)
	}
	return s
}

func handleHost(req request) {
	if hostOK != 0 {
		send(msg{"unsupported": "a second host message"})
		return
	}
	raw, _ := json.Marshal(req)
	var h jsonHost
	if err := json.Unmarshal(raw, &h); err != nil {
		hostOK = -1
		send(msg{"unsupported": "the host message cannot be read: " + err.Error()})
		return
	}
	if why := setupHost(&h); why != "" {
		hostOK = -1
		logf("host not supported: %s", why)
		send(msg{"unsupported": why})
		return
	}
	hostOK = 1
	drain()
	send(msg{"ok": true})
}

type routeEntry struct {
	route  tcpip.Route
	prefix int
	order  int
}

func setupHost(h *jsonHost) string {
	if len(h.Drops) > 0 {
		return "netfilter drops: the adapter does not configure netstack's iptables"
	}
	if len(h.Veto) > 0 && string(h.Veto) != "null" {
		return "a security module veto: netstack has no security hooks (the sandbox's seccomp/LSM are outside it)"
	}
	if h.Privileged != nil && !*h.Privileged {
		return "an unprivileged caller: privilege checks are the sandbox layer's (netstack has none)"
	}
	if len(h.Rules) > 0 {
		return "policy rules: netstack's route table is one ordered list (feature policy-routing not declared)"
	}
	if h.PMTU != nil && *h.PMTU != 0 && *h.PMTU != 1 {
		return fmt.Sprintf("PMTU mode %d: netstack has no stack-wide default IP_MTU_DISCOVER mode and never sets DF; "+
			"only the default (want) and dont are accepted", *h.PMTU)
	}
	st = stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{udp.NewProtocol, icmp.NewProtocol4},
		// As the sandbox configures it: a datagram to one of the host's own addresses is delivered locally.
		HandleLocal: true,
		// A fixed seed: netstack picks ephemeral ports at random, and a report must come out the same on every run
		// (with the default seed, a case whose namespace has ten ephemeral ports passed or failed by chance).
		RandSource: &lockedSource{src: rand.NewSource(1)},
	})
	// lo: 127.0.0.1/8, NIC 1 (its packets are not reported: the protocol allows omitting them).
	if err := st.CreateNIC(1, loopback.New()); err != nil {
		return fmt.Sprintf("CreateNIC lo: %v", err)
	}
	lo, _ := parseIP4("127.0.0.1")
	if err := st.AddProtocolAddress(1, tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: lo, PrefixLen: 8}}, stack.AddressProperties{}); err != nil {
		return fmt.Sprintf("AddProtocolAddress lo: %v", err)
	}
	var routes []routeEntry
	addRoute := func(r tcpip.Route, prefix int) {
		routes = append(routes, routeEntry{r, prefix, len(routes)})
	}
	addRoute(tcpip.Route{Destination: subnetOf(lo, 8), NIC: 1}, 8)
	byName := map[string]*link{}
	for i, jl := range h.Links {
		if jl.Name == "" || jl.Name == "lo" || byName[jl.Name] != nil {
			return fmt.Sprintf("a link with an unusable name %q", jl.Name)
		}
		if jl.Offload {
			return "checksum offload: netstack's channel endpoint has no checksum offload capability here (the UDP checksum is always computed)"
		}
		if jl.UFO {
			return "UDP fragmentation offload: not configured on netstack's channel endpoint"
		}
		if jl.QueueFull {
			return "a full device queue: the adapter's channel endpoints always take the packet"
		}
		if jl.MTU < 68 || jl.MTU > 65535 {
			return fmt.Sprintf("MTU %d on %s: outside 68-65535", jl.MTU, jl.Name)
		}
		addr, ok := parseIP4(jl.Address)
		if !ok || jl.Prefix < 0 || jl.Prefix > 32 {
			return fmt.Sprintf("link %s has no usable IPv4 address/prefix", jl.Name)
		}
		// Queue large enough for a 65535-byte datagram at MTU 68 (1366 fragments); drained after every call.
		l := &link{Endpoint: channel.New(4096, uint32(jl.MTU), ""), name: jl.Name, index: jl.Index, nicID: tcpip.NICID(i + 2),
			mtu: uint32(jl.MTU), up: jl.Up == nil || *jl.Up}
		if err := st.CreateNICWithOptions(l.nicID, l, stack.NICOptions{Name: jl.Name, Disabled: !l.up}); err != nil {
			return fmt.Sprintf("CreateNIC %s: %v", jl.Name, err)
		}
		addrs := []struct {
			a tcpip.Address
			p int
		}{{addr, jl.Prefix}}
		for _, also := range jl.Also {
			a, ok := parseIP4(also.Address)
			if !ok || also.Prefix < 0 || also.Prefix > 32 {
				return fmt.Sprintf("link %s has an unusable second address", jl.Name)
			}
			addrs = append(addrs, struct {
				a tcpip.Address
				p int
			}{a, also.Prefix})
		}
		for _, x := range addrs {
			if x.a[0] == 127 {
				// netstack's loopback NIC claims all of 127/8 (ipv4 endpoint.AcquireAssignedAddress), so this address
				// would belong to two NICs, and Stack.CheckLocalAddress picks one in Go's random map order: a bind
				// to it would go through lo or through this link by chance, one run to the next.
				return fmt.Sprintf("a loopback address (%s) on %s: netstack's lo also claims it and picks between "+
					"the two NICs at random", x.a, jl.Name)
			}
			if err := st.AddProtocolAddress(l.nicID, tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber,
				AddressWithPrefix: tcpip.AddressWithPrefix{Address: x.a, PrefixLen: x.p}},
				stack.AddressProperties{}); err != nil {
				return fmt.Sprintf("AddProtocolAddress %s on %s: %v", jl.Address, jl.Name, err)
			}
			// Linux's kernel route for the address's prefix (proto kernel scope link).
			addRoute(tcpip.Route{Destination: subnetOf(x.a, x.p), NIC: l.nicID}, x.p)
		}
		links = append(links, l)
		byName[jl.Name] = l
	}
	for _, jr := range h.Routes {
		if jr.Table != nil && *jr.Table != 254 {
			return fmt.Sprintf("a route in table %d: netstack has one route table", *jr.Table)
		}
		if jr.Kind != "unicast" && jr.Kind != "onlink" {
			return fmt.Sprintf("a %s route: netstack's route table has no route types (only destination, gateway, NIC)", jr.Kind)
		}
		if jr.MTU != nil {
			return "a route MTU: netstack's routes have no metrics"
		}
		if jr.Lock {
			return "a locked route MTU: netstack's routes have no metrics"
		}
		if jr.TOS != 0 {
			return "a TOS route selector: netstack routes by destination only"
		}
		if jr.Src != nil {
			return "a route's preferred source: netstack's routes have no source attribute"
		}
		if jr.Hoplimit != nil {
			return "a route hoplimit: netstack's routes have no metrics"
		}
		if jr.Dev == nil || byName[*jr.Dev] == nil {
			return "a route without a device of the host"
		}
		dst, ok := parseIP4(jr.Destination)
		if !ok || jr.Prefix < 0 || jr.Prefix > 32 {
			return "a route without a usable destination"
		}
		r := tcpip.Route{Destination: subnetOf(dst, jr.Prefix), NIC: byName[*jr.Dev].nicID}
		if jr.Kind == "unicast" && jr.Gateway != nil {
			gw, ok := parseIP4(*jr.Gateway)
			if !ok {
				return "a route with an unusable gateway"
			}
			r.Gateway = gw
		}
		addRoute(r, jr.Prefix)
	}
	// netstack takes the first matching row, Linux the longest prefix: sort by prefix, longest first.
	sort.SliceStable(routes, func(i, j int) bool { return routes[i].prefix > routes[j].prefix })
	table := make([]tcpip.Route, len(routes))
	for i, r := range routes {
		table[i] = r.route
	}
	st.SetRouteTable(table)

	if h.TTL != nil {
		if *h.TTL < 1 || *h.TTL > 255 {
			return "'ttl' is not 1 to 255"
		}
		ttl := tcpip.DefaultTTLOption(*h.TTL)
		if err := st.SetNetworkProtocolOption(ipv4.ProtocolNumber, &ttl); err != nil {
			return fmt.Sprintf("DefaultTTLOption %d: %v", *h.TTL, err)
		}
	}
	if len(h.Ports) == 2 {
		if h.Ports[0] < 1 || h.Ports[1] > 65535 || h.Ports[0] > h.Ports[1] {
			return fmt.Sprintf("the port range %d-%d", h.Ports[0], h.Ports[1])
		}
		if err := st.SetPortRange(uint16(h.Ports[0]), uint16(h.Ports[1])); err != nil {
			return fmt.Sprintf("SetPortRange %d-%d: %v", h.Ports[0], h.Ports[1], err)
		}
	}
	if len(h.Wmem) == 2 && h.Wmem[0] != nil && h.Wmem[1] != nil {
		var cur tcpip.SendBufferSizeOption
		if err := st.Option(&cur); err != nil {
			return fmt.Sprintf("SendBufferSizeOption: %v", err)
		}
		cur.Default = int(*h.Wmem[0])
		cur.Max = int(*h.Wmem[1])
		if cur.Min > cur.Default {
			cur.Min = cur.Default
		}
		if err := st.SetOption(cur); err != nil {
			return fmt.Sprintf("SendBufferSizeOption %d/%d: %v", cur.Default, cur.Max, err)
		}
	}
	return ""
}

// ---------------------------------------------------------------------------------------------------------------
// Sockets

type socket struct {
	ep       tcpip.Endpoint
	wq       *waiter.Queue
	nonblock bool
}

var (
	sockets    = map[int64]*socket{}
	files      = map[int64]bool{}
	nextFileFD = int64(fileFDBase)
)

func lowestFreeFD() int64 {
	for fd := int64(3); ; fd++ {
		if sockets[fd] == nil && !files[fd] {
			return fd
		}
	}
}

// lockedSource makes a math/rand source safe for netstack's goroutines, as stack.Options.RandSource requires.
type lockedSource struct {
	mu  sync.Mutex
	src rand.Source
}

func (s *lockedSource) Int63() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.src.Int63()
}

func (s *lockedSource) Seed(seed int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.src.Seed(seed)
}
