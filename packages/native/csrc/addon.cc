// lvskit native addon: AF_PACKET sockets with batched receive (recvmmsg) and send (sendmmsg) over
// preallocated buffers, libuv readiness polling that calls JavaScript once per batch, interface lookups
// (ioctl) and rtnetlink address / neighbour access — each optionally inside a named network namespace,
// entered on the calling thread only for the duration of the call (setns to /run/netns/<name> and back).
// It must never allocate a JavaScript object per packet, never leave the thread in another namespace, and
// never throw anything but an Error carrying `errno` and `syscall` (the TypeScript wrapper maps those to
// LvsError codes).
#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef PACKET_VNET_HDR
#define PACKET_VNET_HDR 15
#endif

// The legacy struct virtio_net_hdr of include/uapi/linux/virtio_net.h, which PACKET_VNET_HDR puts in front
// of every frame (that header cannot be included from C++: a member there is named `class`). 10 bytes,
// fields in host order.
struct virtio_net_hdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(virtio_net_hdr) == 10, "virtio_net_hdr is 10 bytes");
constexpr uint8_t VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
constexpr uint8_t VIRTIO_NET_HDR_F_DATA_VALID = 2;
constexpr uint8_t VIRTIO_NET_HDR_GSO_NONE = 0;
constexpr uint8_t VIRTIO_NET_HDR_GSO_ECN = 0x80;

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

namespace {

// A failed system call, converted to a JavaScript Error at the API boundary.
struct SysErr {
  const char* syscall;
  int err;
  std::string detail;
};

Napi::Error ToJs(Napi::Env env, const SysErr& e) {
  std::string msg = std::string(e.syscall) + ": " + strerror(e.err);
  if (!e.detail.empty()) msg += " (" + e.detail + ")";
  Napi::Error js = Napi::Error::New(env, msg);
  js.Set("errno", Napi::Number::New(env, e.err));
  js.Set("syscall", Napi::String::New(env, e.syscall));
  return js;
}

#define BOUNDARY_BEGIN try {
#define BOUNDARY_END(env)          \
  }                                \
  catch (const SysErr& e) {        \
    throw ToJs((env), e);          \
  }

// Enters /run/netns/<name> on this thread and returns to the original namespace on destruction. An empty
// name means "stay where we are". Failing to return would leave Node's main thread in a lab namespace, so
// that aborts instead.
class NetnsGuard {
 public:
  explicit NetnsGuard(const std::string& name) {
    if (name.empty()) return;
    if (name.find('/') != std::string::npos || name == "." || name == "..") {
      throw SysErr{"setns", EINVAL, "bad namespace name " + name};
    }
    orig_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (orig_ < 0) throw SysErr{"open", errno, "/proc/thread-self/ns/net"};
    const std::string path = "/run/netns/" + name;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int e = errno;
      close(orig_);
      throw SysErr{"open", e, path};
    }
    if (setns(fd, CLONE_NEWNET) < 0) {
      const int e = errno;
      close(fd);
      close(orig_);
      throw SysErr{"setns", e, path};
    }
    close(fd);
  }
  ~NetnsGuard() {
    if (orig_ < 0) return;
    if (setns(orig_, CLONE_NEWNET) < 0) abort();
    close(orig_);
  }
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

 private:
  int orig_ = -1;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

std::string OptString(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

int64_t OptInt(const Napi::Object& o, const char* key, int64_t dflt, int64_t lo, int64_t hi) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return dflt;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d)) || d < lo || d > hi) {
    throw Napi::RangeError::New(o.Env(), std::string(key) + " out of range");
  }
  return static_cast<int64_t>(d);
}

bool OptBool(const Napi::Object& o, const char* key, bool dflt) {
  const Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : dflt;
}

void CheckIfname(Napi::Env env, const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) throw Napi::RangeError::New(env, "interface name must be 1-15 bytes");
}

// ---------------------------------------------------------------------------------------------------------
// Interface lookups (ioctl on a datagram socket created inside the namespace).

Napi::Value InterfaceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  const std::string netns = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : std::string();
  CheckIfname(env, name);
  BOUNDARY_BEGIN
  NetnsGuard guard(netns);
  Fd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw SysErr{"socket", errno, "AF_INET"};
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd.get(), SIOCGIFINDEX, &ifr) < 0) throw SysErr{"ioctl", errno, "SIOCGIFINDEX " + name};
  const int index = ifr.ifr_ifindex;
  if (ioctl(fd.get(), SIOCGIFHWADDR, &ifr) < 0) throw SysErr{"ioctl", errno, "SIOCGIFHWADDR " + name};
  Napi::Buffer<uint8_t> mac = Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(ifr.ifr_hwaddr.sa_data), 6);
  const int hwtype = ifr.ifr_hwaddr.sa_family;
  if (ioctl(fd.get(), SIOCGIFMTU, &ifr) < 0) throw SysErr{"ioctl", errno, "SIOCGIFMTU " + name};
  const int mtu = ifr.ifr_mtu;
  if (ioctl(fd.get(), SIOCGIFFLAGS, &ifr) < 0) throw SysErr{"ioctl", errno, "SIOCGIFFLAGS " + name};
  Napi::Object out = Napi::Object::New(env);
  out.Set("index", index);
  out.Set("mac", mac);
  out.Set("mtu", mtu);
  out.Set("flags", static_cast<uint32_t>(static_cast<uint16_t>(ifr.ifr_flags)));
  out.Set("hwType", hwtype);
  return out;
  BOUNDARY_END(env)
}

// ---------------------------------------------------------------------------------------------------------
// rtnetlink: one request/ack or one dump per call, on a socket opened inside the namespace.

class Netlink {
 public:
  Netlink() : fd_(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {
    if (fd_.get() < 0) throw SysErr{"socket", errno, "AF_NETLINK"};
    struct sockaddr_nl sa;
    memset(&sa, 0, sizeof sa);
    sa.nl_family = AF_NETLINK;
    if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) throw SysErr{"bind", errno, "AF_NETLINK"};
    const int one = 1;
    // Extended acks give better messages where the kernel has them; older kernels ignore the option.
    setsockopt(fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  }

  // Sends `req` (NLM_F_ACK set here) and waits for its ack; throws the kernel's errno on a negative ack.
  void Transact(nlmsghdr* req, const char* what) {
    req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    req->nlmsg_seq = ++seq_;
    Send(req, what);
    bool done = false;
    Receive(what, [&](nlmsghdr* h) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        if (e->error != 0) throw SysErr{"netlink", -e->error, what};
        done = true;
      }
      return !done;
    });
  }

  // Dumps with `req`; `fn` gets every message until NLMSG_DONE.
  template <typename F>
  void Dump(nlmsghdr* req, const char* what, F fn) {
    req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
    req->nlmsg_seq = ++seq_;
    Send(req, what);
    Receive(what, [&](nlmsghdr* h) {
      if (h->nlmsg_type == NLMSG_DONE) return false;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        if (e->error != 0) throw SysErr{"netlink", -e->error, what};
        return false;
      }
      fn(h);
      return true;
    });
  }

 private:
  void Send(nlmsghdr* req, const char* what) {
    struct sockaddr_nl sa;
    memset(&sa, 0, sizeof sa);
    sa.nl_family = AF_NETLINK;
    if (sendto(fd_.get(), req, req->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
      throw SysErr{"sendto", errno, what};
    }
  }

  template <typename F>
  void Receive(const char* what, F fn) {
    std::vector<char> buf(1 << 16);
    for (;;) {
      const ssize_t n = recv(fd_.get(), buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw SysErr{"recv", errno, what};
      }
      int len = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
        if (h->nlmsg_seq != seq_) continue;  // a stale reply to an earlier request
        if (!fn(h)) return;
      }
    }
  }

  Fd fd_;
  uint32_t seq_ = 0;
};

// A netlink request under construction in a fixed buffer.
struct Request {
  alignas(NLMSG_ALIGNTO) char buf[512];
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf); }
  Request(uint16_t type, uint16_t flags, size_t payload) {
    memset(buf, 0, sizeof buf);
    hdr()->nlmsg_len = NLMSG_LENGTH(payload);
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = flags;
  }
  void* payload() { return NLMSG_DATA(hdr()); }
  void Attr(uint16_t type, const void* data, size_t len) {
    const size_t at = NLMSG_ALIGN(hdr()->nlmsg_len);
    auto* rta = reinterpret_cast<rtattr*>(buf + at);
    rta->rta_type = type;
    rta->rta_len = RTA_LENGTH(len);
    memcpy(RTA_DATA(rta), data, len);
    hdr()->nlmsg_len = at + RTA_ALIGN(rta->rta_len);
  }
};

int FamilyOf(Napi::Env env, size_t addrLen) {
  if (addrLen == 4) return AF_INET;
  if (addrLen == 16) return AF_INET6;
  throw Napi::RangeError::New(env, "address must be 4 or 16 bytes");
}

// (netns, ifindex, address Buffer, prefixLength, remove, flags, scope, label)
Napi::Value AddressChange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
  const uint32_t ifindex = info[1].As<Napi::Number>().Uint32Value();
  const Napi::Buffer<uint8_t> addr = info[2].As<Napi::Buffer<uint8_t>>();
  const uint32_t plen = info[3].As<Napi::Number>().Uint32Value();
  const bool remove = info[4].As<Napi::Boolean>().Value();
  const uint32_t flags = info[5].As<Napi::Number>().Uint32Value();
  const uint32_t scope = info[6].IsNumber() ? info[6].As<Napi::Number>().Uint32Value() : 0u;  // RT_SCOPE_UNIVERSE
  const std::string label = info[7].IsString() ? info[7].As<Napi::String>().Utf8Value() : std::string();
  const int family = FamilyOf(env, addr.Length());
  if (scope > 255) throw Napi::RangeError::New(env, "scope out of range");
  if (label.size() >= IFNAMSIZ) throw Napi::RangeError::New(env, "label must be at most 15 bytes");
  if (plen > addr.Length() * 8) throw Napi::RangeError::New(env, "prefix length out of range");
  BOUNDARY_BEGIN
  NetnsGuard guard(netns);
  Netlink nl;
  Request req(remove ? RTM_DELADDR : RTM_NEWADDR, remove ? 0 : (NLM_F_CREATE | NLM_F_EXCL), sizeof(ifaddrmsg));
  auto* ifa = static_cast<ifaddrmsg*>(req.payload());
  ifa->ifa_family = family;
  ifa->ifa_prefixlen = plen;
  ifa->ifa_index = ifindex;
  ifa->ifa_scope = static_cast<unsigned char>(scope);
  ifa->ifa_flags = flags & 0xff;
  // Like `ip addr add`: IFA_LOCAL is the address itself; IFA_ADDRESS the same on a non-point-to-point link.
  req.Attr(IFA_LOCAL, addr.Data(), addr.Length());
  req.Attr(IFA_ADDRESS, addr.Data(), addr.Length());
  if (flags > 0xff) req.Attr(IFA_FLAGS, &flags, sizeof flags);
  if (!label.empty()) req.Attr(IFA_LABEL, label.c_str(), label.size() + 1);
  nl.Transact(req.hdr(), remove ? "RTM_DELADDR" : "RTM_NEWADDR");
  return env.Undefined();
  BOUNDARY_END(env)
}

// (netns) → [{ ifindex, family, prefixLength, address, scope, flags, label | null }]
Napi::Value AddressList(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
  BOUNDARY_BEGIN
  NetnsGuard guard(netns);
  Netlink nl;
  Request req(RTM_GETADDR, 0, sizeof(ifaddrmsg));
  static_cast<ifaddrmsg*>(req.payload())->ifa_family = AF_UNSPEC;
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  nl.Dump(req.hdr(), "RTM_GETADDR", [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWADDR) return;
    auto* ifa = static_cast<ifaddrmsg*>(NLMSG_DATA(h));
    int len = static_cast<int>(IFA_PAYLOAD(h));
    const void* local = nullptr;
    const void* address = nullptr;
    size_t alen = 0;
    uint32_t flags = ifa->ifa_flags;
    std::string label;
    for (auto* rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
      if (rta->rta_type == IFA_LOCAL) local = RTA_DATA(rta), alen = RTA_PAYLOAD(rta);
      if (rta->rta_type == IFA_ADDRESS) address = RTA_DATA(rta), alen = alen ? alen : RTA_PAYLOAD(rta);
      if (rta->rta_type == IFA_FLAGS && RTA_PAYLOAD(rta) >= 4) memcpy(&flags, RTA_DATA(rta), 4);
      if (rta->rta_type == IFA_LABEL && RTA_PAYLOAD(rta) > 0) {
        label = std::string(static_cast<const char*>(RTA_DATA(rta)), strnlen(static_cast<const char*>(RTA_DATA(rta)), RTA_PAYLOAD(rta)));
      }
    }
    const void* a = local != nullptr ? local : address;
    if (a == nullptr || (alen != 4 && alen != 16)) return;
    Napi::Object o = Napi::Object::New(env);
    o.Set("ifindex", ifa->ifa_index);
    o.Set("family", ifa->ifa_family == AF_INET ? 4 : 6);
    o.Set("prefixLength", ifa->ifa_prefixlen);
    o.Set("address", Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(a), alen));
    o.Set("scope", ifa->ifa_scope);
    o.Set("flags", flags);
    o.Set("label", label.empty() ? env.Null() : Napi::Value(Napi::String::New(env, label)));
    out.Set(n++, o);
  });
  return out;
  BOUNDARY_END(env)
}

// (netns) → [{ ifindex, family, address, mac | null, state, flags }]
Napi::Value NeighbourList(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
  BOUNDARY_BEGIN
  NetnsGuard guard(netns);
  Netlink nl;
  Request req(RTM_GETNEIGH, 0, sizeof(ndmsg));
  static_cast<ndmsg*>(req.payload())->ndm_family = AF_UNSPEC;
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  nl.Dump(req.hdr(), "RTM_GETNEIGH", [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWNEIGH) return;
    auto* nd = static_cast<ndmsg*>(NLMSG_DATA(h));
    if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6) return;
    int len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(ndmsg)));
    const uint8_t* dst = nullptr;
    size_t dlen = 0;
    const uint8_t* ll = nullptr;
    size_t llen = 0;
    for (auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(nd) + NLMSG_ALIGN(sizeof(ndmsg)));
         RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
      if (rta->rta_type == NDA_DST) dst = static_cast<const uint8_t*>(RTA_DATA(rta)), dlen = RTA_PAYLOAD(rta);
      if (rta->rta_type == NDA_LLADDR) ll = static_cast<const uint8_t*>(RTA_DATA(rta)), llen = RTA_PAYLOAD(rta);
    }
    if (dst == nullptr) return;
    Napi::Object o = Napi::Object::New(env);
    o.Set("ifindex", nd->ndm_ifindex);
    o.Set("family", nd->ndm_family == AF_INET ? 4 : 6);
    o.Set("address", Napi::Buffer<uint8_t>::Copy(env, dst, dlen));
    o.Set("mac", ll != nullptr ? Napi::Value(Napi::Buffer<uint8_t>::Copy(env, ll, llen)) : env.Null());
    o.Set("state", nd->ndm_state);
    o.Set("flags", nd->ndm_flags);
    out.Set(n++, o);
  });
  return out;
  BOUNDARY_END(env)
}

// (netns, ifindex, address Buffer, mac Buffer | null, state, remove)
Napi::Value NeighbourChange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
  const int32_t ifindex = info[1].As<Napi::Number>().Int32Value();
  const Napi::Buffer<uint8_t> addr = info[2].As<Napi::Buffer<uint8_t>>();
  const bool hasMac = info[3].IsBuffer();
  const uint16_t state = static_cast<uint16_t>(info[4].As<Napi::Number>().Uint32Value());
  const bool remove = info[5].As<Napi::Boolean>().Value();
  const int family = FamilyOf(env, addr.Length());
  if (!remove && (!hasMac || info[3].As<Napi::Buffer<uint8_t>>().Length() != 6)) {
    throw Napi::RangeError::New(env, "a 6-byte MAC is required");
  }
  BOUNDARY_BEGIN
  NetnsGuard guard(netns);
  Netlink nl;
  Request req(remove ? RTM_DELNEIGH : RTM_NEWNEIGH, remove ? 0 : (NLM_F_CREATE | NLM_F_REPLACE), sizeof(ndmsg));
  auto* nd = static_cast<ndmsg*>(req.payload());
  nd->ndm_family = family;
  nd->ndm_ifindex = ifindex;
  nd->ndm_state = state;
  req.Attr(NDA_DST, addr.Data(), addr.Length());
  if (!remove) req.Attr(NDA_LLADDR, info[3].As<Napi::Buffer<uint8_t>>().Data(), 6);
  nl.Transact(req.hdr(), remove ? "RTM_DELNEIGH" : "RTM_NEWNEIGH");
  return env.Undefined();
  BOUNDARY_END(env)
}

// ---------------------------------------------------------------------------------------------------------
// The packet socket.

class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "PacketSocket",
                       {
                           InstanceMethod<&PacketSocket::Receive>("receive"),
                           InstanceMethod<&PacketSocket::Send>("send"),
                           InstanceMethod<&PacketSocket::StartPolling>("startPolling"),
                           InstanceMethod<&PacketSocket::StopPolling>("stopPolling"),
                           InstanceMethod<&PacketSocket::SetRef>("setRef"),
                           InstanceMethod<&PacketSocket::Stats>("stats"),
                           InstanceMethod<&PacketSocket::Close>("close"),
                           InstanceMethod<&PacketSocket::SetFilter>("setFilter"),
                       });
  }

  // new PacketSocket({ ifname, netns?, batchSize, frameSize, protocol, promiscuous, ignoreOutgoing,
  //                    qdiscBypass, bufferBytes, rxRing?: { blockSize, blockCount, timeoutMs } })
  explicit PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "options object required");
    const Napi::Object opt = info[0].As<Napi::Object>();
    const std::string ifname = OptString(opt, "ifname");
    CheckIfname(env, ifname);
    const std::string netns = OptString(opt, "netns");
    batch_ = static_cast<uint32_t>(OptInt(opt, "batchSize", 64, 1, 1024));
    // Up to 128 KiB: with vnetHdr a GSO/GRO super-frame is up to 64 KiB of IP plus its link header.
    frame_ = static_cast<uint32_t>(OptInt(opt, "frameSize", 2048, 64, 1 << 17));
    vnet_ = OptBool(opt, "vnetHdr", false);
    const uint16_t proto = static_cast<uint16_t>(OptInt(opt, "protocol", ETH_P_ALL, 1, 0xffff));
    const int bufferBytes = static_cast<int>(OptInt(opt, "bufferBytes", 4 << 20, 0, 1 << 30));
    const Napi::Value ringOpt = opt.Get("rxRing");
    int ringTimeout = 0;
    if (ringOpt.IsObject()) {
      const Napi::Object r = ringOpt.As<Napi::Object>();
      blockSize_ = static_cast<uint32_t>(OptInt(r, "blockSize", 1 << 18, 4096, 1 << 26));
      blockCount_ = static_cast<uint32_t>(OptInt(r, "blockCount", 32, 2, 4096));
      ringTimeout = static_cast<int>(OptInt(r, "timeoutMs", 1, 1, 1000));
      // The kernel wants whole pages per block, and offsets handed to JavaScript are 32-bit.
      if (blockSize_ % static_cast<uint32_t>(getpagesize()) != 0) {
        throw Napi::RangeError::New(env, "rxRing.blockSize must be a multiple of the page size");
      }
      if (static_cast<uint64_t>(blockSize_) * blockCount_ > (1ull << 31)) {
        throw Napi::RangeError::New(env, "rxRing larger than 2 GiB");
      }
      if (vnet_) throw Napi::RangeError::New(env, "vnetHdr works with recvmmsg only (omit rxRing)");
    }
    BOUNDARY_BEGIN
    NetnsGuard guard(netns);
    // Protocol 0 at creation receives nothing; the bind below selects protocol and interface at once, so no
    // frame from another interface is ever queued on this socket.
    Fd fd(socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) throw SysErr{"socket", errno, "AF_PACKET"};
    ifindex_ = static_cast<int>(if_nametoindex(ifname.c_str()));
    if (ifindex_ == 0) throw SysErr{"if_nametoindex", errno == 0 ? ENODEV : errno, ifname};
    if (blockCount_ > 0) {
      // TPACKET_V3 receive ring (Documentation/networking/packet_mmap.rst): set up before bind, so that no
      // frame lands in the ordinary queue that ring mode never reads.
      const int version = TPACKET_V3;
      if (setsockopt(fd.get(), SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0) {
        throw SysErr{"setsockopt", errno, "PACKET_VERSION"};
      }
      struct tpacket_req3 req;
      memset(&req, 0, sizeof req);
      req.tp_block_size = blockSize_;
      req.tp_block_nr = blockCount_;
      req.tp_frame_size = TPACKET_ALIGNMENT << 7;  // 2048: only a sanity unit for V3, frames are packed
      req.tp_frame_nr = (blockSize_ / req.tp_frame_size) * blockCount_;
      req.tp_retire_blk_tov = static_cast<unsigned>(ringTimeout);
      if (setsockopt(fd.get(), SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) {
        throw SysErr{"setsockopt", errno, "PACKET_RX_RING"};
      }
      ringBytes_ = static_cast<size_t>(blockSize_) * blockCount_;
      void* map = mmap(nullptr, ringBytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
      if (map == MAP_FAILED) throw SysErr{"mmap", errno, "PACKET_RX_RING"};
      ring_ = static_cast<uint8_t*>(map);
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(proto);
    sll.sll_ifindex = ifindex_;
    const int one = 1;
    // PACKET_VNET_HDR (Documentation/networking/packet_mmap.rst; net/packet/af_packet.c packet_rcv_vnet and
    // packet_snd_vnet_parse): every frame in either direction is preceded by a struct virtio_net_hdr. On
    // receive it carries the GSO type/size of a super-frame and where a partial checksum starts; on send it
    // lets the kernel segment a super-frame (GSO) and finish a partial checksum. Set before bind, so no
    // frame is ever queued without its header.
    if (vnet_ && setsockopt(fd.get(), SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) {
      throw SysErr{"setsockopt", errno, "PACKET_VNET_HDR"};
    }
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) throw SysErr{"bind", errno, ifname};
    if (OptBool(opt, "ignoreOutgoing", true) &&
        setsockopt(fd.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
      throw SysErr{"setsockopt", errno, "PACKET_IGNORE_OUTGOING"};
    }
    // Per-frame tp_status with recvmmsg (the ring has it in each tpacket3_hdr): tells a frame whose transport
    // checksum is still to be computed (CHECKSUM_PARTIAL, e.g. sent locally over a veth) — linux
    // net/packet/af_packet.c packet_rcv/tpacket_rcv set TP_STATUS_CSUMNOTREADY for it.
    if (ring_ == nullptr && setsockopt(fd.get(), SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0) {
      throw SysErr{"setsockopt", errno, "PACKET_AUXDATA"};
    }
    if (OptBool(opt, "qdiscBypass", false) &&
        setsockopt(fd.get(), SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) {
      throw SysErr{"setsockopt", errno, "PACKET_QDISC_BYPASS"};
    }
    if (OptBool(opt, "promiscuous", false)) {
      struct packet_mreq mr;
      memset(&mr, 0, sizeof mr);
      mr.mr_ifindex = ifindex_;
      mr.mr_type = PACKET_MR_PROMISC;
      if (setsockopt(fd.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
        throw SysErr{"setsockopt", errno, "PACKET_ADD_MEMBERSHIP"};
      }
    }
    // Link-layer multicast groups to receive (PACKET_MR_MULTICAST; dropped when the socket closes): an
    // IPv6 VIP's solicited-node group (33:33:ff:xx:xx:xx), say, which no address of the host's own joins.
    const Napi::Value mcast = opt.Get("multicast");
    if (mcast.IsArray()) {
      const Napi::Array list = mcast.As<Napi::Array>();
      for (uint32_t k = 0; k < list.Length(); k++) {
        const Napi::Value v = list.Get(k);
        if (!v.IsBuffer() || v.As<Napi::Buffer<uint8_t>>().Length() != 6) {
          throw Napi::TypeError::New(env, "multicast entries must be 6-byte MAC buffers");
        }
        struct packet_mreq mr;
        memset(&mr, 0, sizeof mr);
        mr.mr_ifindex = ifindex_;
        mr.mr_type = PACKET_MR_MULTICAST;
        mr.mr_alen = 6;
        memcpy(mr.mr_address, v.As<Napi::Buffer<uint8_t>>().Data(), 6);
        if (setsockopt(fd.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
          throw SysErr{"setsockopt", errno, "PACKET_ADD_MEMBERSHIP multicast"};
        }
      }
    }
    if (bufferBytes > 0) {
      // FORCE variants exceed rmem_max/wmem_max with CAP_NET_ADMIN; fall back to the capped ones.
      if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bufferBytes, sizeof bufferBytes) < 0) {
        setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &bufferBytes, sizeof bufferBytes);
      }
      if (setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUFFORCE, &bufferBytes, sizeof bufferBytes) < 0) {
        setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &bufferBytes, sizeof bufferBytes);
      }
    }
    fd_ = fd.release();
    }
    catch (const SysErr& e) {
      UnmapUnowned();
      throw ToJs(env, e);
    }
    catch (...) {
      UnmapUnowned();
      throw;
    }

    const size_t bytes = static_cast<size_t>(batch_) * frame_;
    // Ring mode: the receive buffer is the ring itself. It is unmapped only when JavaScript drops the
    // Buffer (not at close()), so a stale view can never point at unmapped memory.
    Napi::Buffer<uint8_t> rx = ring_ == nullptr ? Napi::Buffer<uint8_t>::New(env, bytes)
                                                : Napi::Buffer<uint8_t>::New(
                                                      env, ring_, ringBytes_,
                                                      [](Napi::Env, uint8_t* data, size_t* len) {
                                                        munmap(data, *len);
                                                        delete len;
                                                      },
                                                      new size_t(ringBytes_));
    ringOwnedByJs_ = ring_ != nullptr;
    Napi::Buffer<uint8_t> tx = Napi::Buffer<uint8_t>::New(env, bytes);
    Napi::Uint32Array rxOff = Napi::Uint32Array::New(env, batch_);
    Napi::Uint32Array rxLen = Napi::Uint32Array::New(env, batch_);
    Napi::Uint8Array rxType = Napi::Uint8Array::New(env, batch_);
    Napi::Uint8Array rxFlags = Napi::Uint8Array::New(env, batch_);
    Napi::Uint32Array txOff = Napi::Uint32Array::New(env, batch_);
    Napi::Uint32Array txLen = Napi::Uint32Array::New(env, batch_);
    // Per-frame virtio_net_hdr fields (meaningful with vnetHdr only): GSO type, segment size, partial checksum
    // start and offset, both directions.
    Napi::Uint8Array rxGsoType = Napi::Uint8Array::New(env, batch_);
    Napi::Uint16Array rxGsoSize = Napi::Uint16Array::New(env, batch_);
    Napi::Uint16Array rxCsumStart = Napi::Uint16Array::New(env, batch_);
    Napi::Uint16Array rxCsumOffset = Napi::Uint16Array::New(env, batch_);
    Napi::Uint8Array txGsoType = Napi::Uint8Array::New(env, batch_);
    Napi::Uint16Array txGsoSize = Napi::Uint16Array::New(env, batch_);
    Napi::Uint16Array txCsumStart = Napi::Uint16Array::New(env, batch_);
    Napi::Uint16Array txCsumOffset = Napi::Uint16Array::New(env, batch_);
    rxGsoType_ = rxGsoType.Data();
    rxGsoSize_ = rxGsoSize.Data();
    rxCsumStart_ = rxCsumStart.Data();
    rxCsumOffset_ = rxCsumOffset.Data();
    txGsoType_ = txGsoType.Data();
    txGsoSize_ = txGsoSize.Data();
    txCsumStart_ = txCsumStart.Data();
    txCsumOffset_ = txCsumOffset.Data();
    rxVnet_.assign(batch_, virtio_net_hdr{});
    txVnet_.assign(batch_, virtio_net_hdr{});
    rxData_ = rx.Data();
    rxOff_ = rxOff.Data();
    txData_ = tx.Data();
    rxLen_ = rxLen.Data();
    rxType_ = rxType.Data();
    rxFlags_ = rxFlags.Data();
    txOff_ = txOff.Data();
    txLen_ = txLen.Data();
    txBytes_ = bytes;
    rxMsgs_.assign(batch_, mmsghdr{});
    rxIov_.resize(static_cast<size_t>(batch_) * 2);
    rxAddr_.resize(batch_);
    rxCtl_.assign(static_cast<size_t>(batch_) * kCtlSpace, 0);
    txMsgs_.assign(batch_, mmsghdr{});
    txIov_.resize(static_cast<size_t>(batch_) * 2);
    for (uint32_t i = 0; i < batch_; i++) {
      rxOff.Data()[i] = i * frame_;
      txOff_[i] = i * frame_;
      // With vnetHdr each message is [virtio_net_hdr][frame]: the header lands beside the frame, so frames
      // still start at i × frameSize.
      rxIov_[2 * i] = iovec{&rxVnet_[i], sizeof(virtio_net_hdr)};
      rxIov_[2 * i + 1] = iovec{rxData_ + static_cast<size_t>(i) * frame_, frame_};
      rxMsgs_[i].msg_hdr.msg_iov = vnet_ ? &rxIov_[2 * i] : &rxIov_[2 * i + 1];
      rxMsgs_[i].msg_hdr.msg_iovlen = vnet_ ? 2 : 1;
      rxMsgs_[i].msg_hdr.msg_name = &rxAddr_[i];
      rxMsgs_[i].msg_hdr.msg_control = rxCtl_.data() + static_cast<size_t>(i) * kCtlSpace;
      txIov_[2 * i] = iovec{&txVnet_[i], sizeof(virtio_net_hdr)};
      txMsgs_[i].msg_hdr.msg_iov = vnet_ ? &txIov_[2 * i] : &txIov_[2 * i + 1];
      txMsgs_[i].msg_hdr.msg_iovlen = vnet_ ? 2 : 1;
    }
    Napi::Object self = info.This().As<Napi::Object>();
    // The buffers hang off the JS object itself, so they live exactly as long as this socket.
    self.Set("rxBuffer", rx);
    self.Set("rxOffsets", rxOff);
    self.Set("rxLengths", rxLen);
    self.Set("rxPacketTypes", rxType);
    self.Set("rxFlags", rxFlags);
    self.Set("txBuffer", tx);
    self.Set("txOffsets", txOff);
    self.Set("txLengths", txLen);
    self.Set("rxGsoTypes", rxGsoType);
    self.Set("rxGsoSizes", rxGsoSize);
    self.Set("rxCsumStarts", rxCsumStart);
    self.Set("rxCsumOffsets", rxCsumOffset);
    self.Set("txGsoTypes", txGsoType);
    self.Set("txGsoSizes", txGsoSize);
    self.Set("txCsumStarts", txCsumStart);
    self.Set("txCsumOffsets", txCsumOffset);
    self.Set("vnetHdr", vnet_);
    self.Set("ifindex", ifindex_);
    self.Set("batchSize", batch_);
    self.Set("frameSize", frame_);
  }

  ~PacketSocket() override { Shutdown(); }

 private:
  void Shutdown() {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
  }

  // Before the ring belongs to a JavaScript Buffer, a failed constructor must unmap it itself.
  void UnmapUnowned() {
    if (ring_ != nullptr && !ringOwnedByJs_) {
      munmap(ring_, ringBytes_);
      ring_ = nullptr;
    }
  }

  // One batch from the TPACKET_V3 ring: frames of the current block only, so the block can be handed back
  // to the kernel at the next call, once JavaScript is done with them. Returns 0 when no block is ready.
  int ReceiveRing() {
    uint32_t n = 0;
    for (;;) {
      auto* bd = reinterpret_cast<tpacket_block_desc*>(ring_ + static_cast<size_t>(curBlock_) * blockSize_);
      if (holding_ && pktLeft_ == 0) {
        __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        holding_ = false;
        curBlock_ = (curBlock_ + 1) % blockCount_;
        continue;
      }
      if (!holding_) {
        if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) return 0;
        holding_ = true;
        pktLeft_ = bd->hdr.bh1.num_pkts;
        nextPkt_ = reinterpret_cast<uint8_t*>(bd) + bd->hdr.bh1.offset_to_first_pkt;
        if (pktLeft_ == 0) continue;
      }
      while (pktLeft_ > 0 && n < batch_) {
        const auto* h = reinterpret_cast<const tpacket3_hdr*>(nextPkt_);
        rxOff_[n] = static_cast<uint32_t>(nextPkt_ + h->tp_mac - ring_);
        rxLen_[n] = h->tp_snaplen;
        const auto* sll = reinterpret_cast<const sockaddr_ll*>(nextPkt_ + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
        rxType_[n] = sll->sll_pkttype;
        rxFlags_[n] = StatusFlags(h->tp_status);
        if (h->tp_snaplen < h->tp_len) {
          rxFlags_[n] |= kRxTruncated;
          truncated_++;
        }
        n++;
        pktLeft_--;
        nextPkt_ += h->tp_next_offset;
      }
      received_ += n;
      return static_cast<int>(n);
    }
  }

  // rxFlags bit 4 (RxFlag.TRUNCATED): the frame was longer than its slot and was cut (recvmmsg: MSG_TRUNC;
  // ring: tp_snaplen < tp_len).
  static constexpr uint8_t kRxTruncated = 4;
  // rxFlags bit 8 (RxFlag.GSO): a super-frame; rxGsoTypes/rxGsoSizes say how the kernel would segment it.
  static constexpr uint8_t kRxGso = 8;

  // rxFlags bits from a tp_status (kept in step with RxFlag in src/packet-socket.ts): 1 = transport checksum
  // not computed yet (TP_STATUS_CSUMNOTREADY), 2 = checksum already verified (TP_STATUS_CSUM_VALID).
  static uint8_t StatusFlags(uint32_t status) {
    return static_cast<uint8_t>(((status & TP_STATUS_CSUMNOTREADY) != 0 ? 1 : 0) |
                                ((status & TP_STATUS_CSUM_VALID) != 0 ? 2 : 0));
  }

  void EnsureOpen(Napi::Env env) {
    if (fd_ < 0) {
      Napi::Error e = Napi::Error::New(env, "packet socket is closed");
      e.Set("errno", Napi::Number::New(env, EBADF));
      e.Set("syscall", Napi::String::New(env, "closed"));
      throw e;
    }
  }

  // One recvmmsg, non-blocking: fills rxLengths/rxPacketTypes, returns the count (0 when nothing waits).
  int ReceiveBatch() {
    if (ring_ != nullptr) return ReceiveRing();
    for (uint32_t i = 0; i < batch_; i++) {
      rxMsgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_ll);
      rxMsgs_[i].msg_hdr.msg_flags = 0;
      rxMsgs_[i].msg_hdr.msg_controllen = kCtlSpace;
    }
    int n;
    do {
      n = recvmmsg(fd_, rxMsgs_.data(), batch_, MSG_DONTWAIT, nullptr);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      throw SysErr{"recvmmsg", errno, ""};
    }
    for (int i = 0; i < n; i++) {
      rxLen_[i] = rxMsgs_[i].msg_len;
      uint8_t vflags = 0;
      if (vnet_) {
        // msg_len counts the virtio_net_hdr in front of the frame. Fields are in host order (the legacy
        // virtio layout the packet socket uses: vio_le() is the host's endianness).
        const virtio_net_hdr& h = rxVnet_[i];
        rxLen_[i] = rxLen_[i] >= sizeof(virtio_net_hdr) ? rxLen_[i] - sizeof(virtio_net_hdr) : 0;
        rxGsoType_[i] = h.gso_type;
        rxGsoSize_[i] = h.gso_size;
        rxCsumStart_[i] = (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0 ? h.csum_start : 0;
        rxCsumOffset_[i] = (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0 ? h.csum_offset : 0;
        vflags = static_cast<uint8_t>(((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0 ? 1 : 0) |
                                      ((h.flags & VIRTIO_NET_HDR_F_DATA_VALID) != 0 ? 2 : 0) |
                                      ((h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_NONE ? kRxGso : 0));
      }
      rxType_[i] = rxAddr_[i].sll_pkttype;
      uint8_t flags = 0;
      msghdr* const mh = &rxMsgs_[i].msg_hdr;
      for (cmsghdr* c = CMSG_FIRSTHDR(mh); c != nullptr; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
            c->cmsg_len >= CMSG_LEN(sizeof(tpacket_auxdata))) {
          tpacket_auxdata aux;
          memcpy(&aux, CMSG_DATA(c), sizeof aux);
          flags = StatusFlags(aux.tp_status);
        }
      }
      // MSG_TRUNC in this message's own msg_flags: the frame was longer than its slot (a GSO/GRO super-frame).
      if (rxMsgs_[i].msg_hdr.msg_flags & MSG_TRUNC) {
        flags |= kRxTruncated;
        truncated_++;
      }
      rxFlags_[i] = flags | vflags;
    }
    received_ += static_cast<uint64_t>(n);
    return n;
  }

  Napi::Value Receive(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    BOUNDARY_BEGIN
    return Napi::Number::New(env, ReceiveBatch());
    BOUNDARY_END(env)
  }

  // send(count): frames i < count at txBuffer[txOffsets[i] .. + txLengths[i]]; returns how many were consumed —
  // sent, or dropped as too big for the interface (counted in txDropped) — fewer when the kernel queue is full.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    const uint32_t count = info[0].As<Napi::Number>().Uint32Value();
    // send(count, true): the descriptors point into the receive memory, so a frame rewritten in place is
    // sent without a copy.
    const bool fromRx = info.Length() > 1 && info[1].ToBoolean().Value();
    uint8_t* const base = fromRx ? rxData_ : txData_;
    const uint64_t size = fromRx ? (ring_ != nullptr ? ringBytes_ : static_cast<uint64_t>(batch_) * frame_) : txBytes_;
    if (count > batch_) throw Napi::RangeError::New(env, "count exceeds batchSize");
    for (uint32_t i = 0; i < count; i++) {
      const uint64_t off = txOff_[i];
      const uint64_t len = txLen_[i];
      if (len < ETH_HLEN || off + len > size) {
        throw Napi::RangeError::New(env, "tx frame " + std::to_string(i) + " out of bounds");
      }
      txIov_[2 * i + 1] = iovec{base + off, static_cast<size_t>(len)};
      if (vnet_) {
        // The kernel finishes a partial checksum (NEEDS_CSUM, from csum_start to the end, stored at
        // csum_start + csum_offset) and segments a GSO frame; hdr_len 0 lets it derive the header length.
        virtio_net_hdr& h = txVnet_[i];
        const uint16_t start = txCsumStart_[i];
        if (start != 0 && (static_cast<uint64_t>(start) + txCsumOffset_[i] + 2 > len)) {
          throw Napi::RangeError::New(env, "tx frame " + std::to_string(i) + " checksum offsets out of bounds");
        }
        h.flags = start != 0 ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
        h.gso_type = txGsoType_[i];
        h.hdr_len = 0;
        h.gso_size = txGsoSize_[i];
        h.csum_start = start;
        h.csum_offset = start != 0 ? txCsumOffset_[i] : 0;
      }
    }
    uint32_t total = 0;
    const uint64_t droppedBefore = txDropped_;
    BOUNDARY_BEGIN
    while (total < count) {
      const int n = sendmmsg(fd_, txMsgs_.data() + total, count - total, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
        // sendmmsg stops at the first frame the kernel rejects; one oversized frame must not sink the rest
        // of the batch (nor the datapath), so it is dropped, counted, and the batch goes on.
        // With vnetHdr, EINVAL is the kernel refusing this frame's virtio_net_hdr (virtio_net_hdr_to_skb:
        // a GSO type that does not match the packet, say): the same per-frame drop.
        if (errno == EMSGSIZE || (vnet_ && errno == EINVAL)) {
          txDropped_++;
          total++;
          continue;
        }
        throw SysErr{"sendmmsg", errno, ""};
      }
      total += static_cast<uint32_t>(n);
    }
    BOUNDARY_END(env)
    sent_ += total - (txDropped_ - droppedBefore);
    return Napi::Number::New(env, total);
  }

  static void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<PacketSocket*>(handle->data);
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    // Bounded rounds per readiness event, so a flood cannot starve timers and other I/O.
    for (int round = 0; round < 16 && self->poll_ == handle && self->fd_ >= 0; round++) {
      Napi::Value arg;
      int n = 0;
      if (status < 0) {
        arg = ToJs(env, SysErr{"uv_poll", -status, uv_strerror(status)}).Value();
      } else {
        try {
          n = self->ReceiveBatch();
        } catch (const SysErr& e) {
          arg = ToJs(env, e).Value();
        }
        if (arg.IsEmpty()) {
          if (n == 0) return;
          arg = Napi::Number::New(env, n);
        }
      }
      try {
        self->callback_.MakeCallback(self->Value(), {arg}, *self->context_);
      } catch (const Napi::Error& e) {
        // A throwing batch handler is the application's bug: report it as an uncaught exception.
        napi_fatal_exception(env, e.Value());
        return;
      }
      // A short recvmmsg batch means the queue is empty; a ring batch ends with its block, not the data.
      if (status < 0 || (self->ring_ == nullptr && static_cast<uint32_t>(n) < self->batch_)) return;
    }
  }

  // startPolling(callback(countOrError)): calls back once per received batch from the event loop.
  Napi::Value StartPolling(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "callback required");
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (!context_) context_ = std::make_unique<Napi::AsyncContext>(env, "lvskit.PacketSocket");
    if (poll_ == nullptr) {
      uv_loop_t* loop = nullptr;
      if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
      poll_ = new uv_poll_t;
      const int r = uv_poll_init(loop, poll_, fd_);
      if (r < 0) {
        delete poll_;
        poll_ = nullptr;
        throw ToJs(env, SysErr{"uv_poll_init", -r, ""});
      }
      poll_->data = this;
      if (!pinned_) {
        Ref();  // while polling, the JS object must outlive the handle
        pinned_ = true;
      }
    }
    const int r = uv_poll_start(poll_, UV_READABLE, OnPoll);
    if (r < 0) throw ToJs(env, SysErr{"uv_poll_start", -r, ""});
    return env.Undefined();
  }

  Napi::Value StopPolling(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_poll_stop(poll_);
    return info.Env().Undefined();
  }

  Napi::Value SetRef(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) {
      if (info[0].ToBoolean().Value()) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
      else uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    }
    return info.Env().Undefined();
  }

  // Kernel counters (PACKET_STATISTICS resets on read, so they are accumulated here) and ours.
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ >= 0) {
      // The V3 layout starts with the V1/V2 one; the kernel fills what applies to this socket.
      struct tpacket_stats_v3 st;
      memset(&st, 0, sizeof st);
      socklen_t len = sizeof st;
      if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
        kernelPackets_ += st.tp_packets;
        kernelDrops_ += st.tp_drops;
      }
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", static_cast<double>(received_));
    o.Set("sent", static_cast<double>(sent_));
    o.Set("truncated", static_cast<double>(truncated_));
    o.Set("txDropped", static_cast<double>(txDropped_));
    o.Set("kernelPackets", static_cast<double>(kernelPackets_));
    o.Set("kernelDrops", static_cast<double>(kernelDrops_));
    return o;
  }

  // setFilter(program | null): a classic BPF program (Documentation/networking/filter.rst), 8 bytes per
  // instruction in struct sock_filter's layout (u16 code, u8 jt, u8 jf, u32 k, host order), attached with
  // SO_ATTACH_FILTER — the kernel then queues only the frames it accepts; null detaches it. The kernel's
  // verifier (sk_chk_filter) rejects a bad program with EINVAL.
  Napi::Value SetFilter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    BOUNDARY_BEGIN
    if (info[0].IsNull() || info[0].IsUndefined()) {
      int dummy = 0;
      if (setsockopt(fd_, SOL_SOCKET, SO_DETACH_FILTER, &dummy, sizeof dummy) < 0 && errno != ENOENT) {
        throw SysErr{"setsockopt", errno, "SO_DETACH_FILTER"};
      }
      return env.Undefined();
    }
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw Napi::TypeError::New(env, "filter program must be a Uint8Array");
    }
    Napi::Uint8Array prog = info[0].As<Napi::Uint8Array>();
    const size_t n = prog.ByteLength() / sizeof(sock_filter);
    if (n == 0 || n > BPF_MAXINSNS || prog.ByteLength() % sizeof(sock_filter) != 0) {
      throw Napi::RangeError::New(env, "filter program: 1 to 4096 instructions of 8 bytes");
    }
    std::vector<sock_filter> code(n);
    memcpy(code.data(), prog.Data(), n * sizeof(sock_filter));
    sock_fprog fprog;
    fprog.len = static_cast<unsigned short>(n);
    fprog.filter = code.data();
    if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0) {
      throw SysErr{"setsockopt", errno, "SO_ATTACH_FILTER"};
    }
    return env.Undefined();
    BOUNDARY_END(env)
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    callback_.Reset();
    if (pinned_) {
      pinned_ = false;
      Unref();
    }
    return info.Env().Undefined();
  }

  int fd_ = -1;
  int ifindex_ = 0;
  uint32_t batch_ = 0;
  uint32_t frame_ = 0;
  size_t txBytes_ = 0;
  uint8_t* rxData_ = nullptr;
  uint32_t* rxOff_ = nullptr;
  uint8_t* ring_ = nullptr;
  size_t ringBytes_ = 0;
  bool ringOwnedByJs_ = false;
  uint32_t blockSize_ = 0;
  uint32_t blockCount_ = 0;
  uint32_t curBlock_ = 0;
  uint32_t pktLeft_ = 0;
  uint8_t* nextPkt_ = nullptr;
  bool holding_ = false;
  uint8_t* txData_ = nullptr;
  uint32_t* rxLen_ = nullptr;
  uint8_t* rxType_ = nullptr;
  uint8_t* rxFlags_ = nullptr;
  bool vnet_ = false;
  uint8_t* rxGsoType_ = nullptr;
  uint16_t* rxGsoSize_ = nullptr;
  uint16_t* rxCsumStart_ = nullptr;
  uint16_t* rxCsumOffset_ = nullptr;
  uint8_t* txGsoType_ = nullptr;
  uint16_t* txGsoSize_ = nullptr;
  uint16_t* txCsumStart_ = nullptr;
  uint16_t* txCsumOffset_ = nullptr;
  std::vector<virtio_net_hdr> rxVnet_;
  std::vector<virtio_net_hdr> txVnet_;
  // One PACKET_AUXDATA control message per receive slot.
  static constexpr size_t kCtlSpace = CMSG_SPACE(sizeof(tpacket_auxdata));
  std::vector<uint8_t> rxCtl_;
  uint32_t* txOff_ = nullptr;
  uint32_t* txLen_ = nullptr;
  std::vector<mmsghdr> rxMsgs_;
  std::vector<iovec> rxIov_;
  std::vector<sockaddr_ll> rxAddr_;
  std::vector<mmsghdr> txMsgs_;
  std::vector<iovec> txIov_;
  uv_poll_t* poll_ = nullptr;
  bool pinned_ = false;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> context_;
  uint64_t received_ = 0;
  uint64_t sent_ = 0;
  uint64_t truncated_ = 0;
  uint64_t txDropped_ = 0;
  uint64_t kernelPackets_ = 0;
  uint64_t kernelDrops_ = 0;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::Init(env));
  exports.Set("interfaceInfo", Napi::Function::New(env, InterfaceInfo));
  exports.Set("addressChange", Napi::Function::New(env, AddressChange));
  exports.Set("addressList", Napi::Function::New(env, AddressList));
  exports.Set("neighbourList", Napi::Function::New(env, NeighbourList));
  exports.Set("neighbourChange", Napi::Function::New(env, NeighbourChange));
  return exports;
}

}  // namespace

NODE_API_MODULE(lvskit_native, Init)
