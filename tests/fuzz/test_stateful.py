"""A whole fake instance driven by random sequences of client actions, checked
step by step against a model of what real Flux does (PROTOCOL.md), as
fakeredis fuzzes command sequences (PRIOR-ART.md section 3).

Everything goes through real sockets to a real 4-rank instance (tree
``kary:2``: 0 -> 1, 2; 1 -> 3).  After every step each client runs a
barrier (tests/fuzz/peer.py), twice round, so that every message the step
caused has arrived; then each client's messages must be exactly the ones the
model expects: every request without NORESPONSE answered exactly once (or a
stream ending in exactly one error), every event delivered exactly once to
each matching subscriber with the next sequence number, nothing else.

The model, from PROTOCOL.md:
* routing: nodeid ANY tries the sender's rank, then each rank up to 0, which
  answers ENOSYS "No service matching TOPIC is registered"; a rank that does
  not exist or is down: EHOSTUNREACH; UPSTREAM skips the sender's own rank
  (EHOSTUNREACH at rank 0); a client service's bare name: ENOSYS, no text;
* subscriptions are prefixes, reference-counted, ENOENT to unsubscribe what
  is not subscribed; router answers: uid unknown, role OWNER, no payload;
* service names: EEXIST if taken on that rank (by a client or the broker),
  EINVAL with a dot, ENOENT to remove what this client does not provide;
  a provider's disconnect removes its services; a requester's disconnect
  sends ``<service>.disconnect`` (NORESPONSE) for each (topic, nodeid,
  upstream) it used; requests held by a provider that leaves are never
  answered;
* events: one counter from 1, no gaps, the publisher's subscription sees the
  event before the publish answer; ``event.publish`` on a rank other than 0:
  EPROTO "this service is only available on rank 0";
* attributes per rank: ``test.*`` runtime, ``test-nr.*`` set once (EINVAL
  "attribute may not be updated"), ``test-im.*`` immutable (EPERM to remove),
  ``vendor.*`` runtime and immutable (EPERM to change), unknown names ENOENT
  "unknown attribute"; removing a missing attribute succeeds;
* a rank going down closes its clients and those below; requests forwarded
  into the lost subtree that still await an answer (matchtag set, no
  NORESPONSE) fail with EHOSTUNREACH; a rank coming back starts afresh.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import resource
import socket
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import fakeflux
from fakeflux import strategies as fst
from fakeflux.wire import Message, json_payload, payload_string, string_payload
from fakeflux.wire import constants as C
from tests.brokerloop import hold_loop
from tests.fuzz.peer import Peer

SIZE = 4
PARENT: Dict[int, Optional[int]] = {0: None, 1: 0, 2: 0, 3: 1}
MAX_CLIENTS = 6
OWNER = os.getuid()

EPROTO_TEXT_RANK0 = "this service is only available on rank 0"
BUILTIN = {"attr", "broker", "config", "event", "log", "state-machine", "service", "kvs", "job-manager"}
SERVICE_NAMES = ["svc-a", "svc-b", "svc-a", "svc-b", "kvs", "attr", "bad.name"]
CLIENT_SERVICES = ["svc-a", "svc-b"]
SUB_TOPICS = ["", "a", "a.b", "ab", "b.", "c"]
EVENT_TOPICS = ["a", "a.b", "a.b.c", "ab", "b.x", "b", "c.d"]
# name prefix -> (runtime, immutable), as attrtab[] registers these globs.
ATTR_KINDS = {"test.": (True, False), "test-nr.": (False, False), "test-im.": (False, True), "vendor.": (True, True)}
ATTR_NAMES = ["test.x", "test.y", "test-nr.x", "test-im.x", "vendor.x", "nosuch.x"]
REQUEST_TOPICS = ["svc-a.echo", "svc-a.echo", "svc-b.x.y", "svc-b.x.y", "svc-a", "broker.ping", "nosuch.x", "nosuch"]
NODEIDS = [C.NODEID_ANY, C.NODEID_ANY, 0, 1, 2, 3, 77]


def ancestors(rank: int) -> List[int]:
    chain = [rank]
    while PARENT[chain[-1]] is not None:
        chain.append(PARENT[chain[-1]])  # type: ignore[arg-type]
    return chain


def subtree(rank: int) -> List[int]:
    return [r for r in range(SIZE) if rank in ancestors(r)]


def distance(a: int, b: int) -> int:
    up_a, up_b = ancestors(a), ancestors(b)
    common = next(r for r in up_a if r in up_b)
    return up_a.index(common) + up_b.index(common)


def enosys_text(topic: str) -> str:
    return f"No service matching {topic} is registered"[:63]


def text_of(msg: Message) -> Optional[str]:
    return payload_string(msg.payload)


class Expect:
    """One message a client must receive: ``check`` returns what is wrong with
    a candidate (None when it fits); ``after`` must have arrived before it."""

    def __init__(
        self,
        what: str,
        check: Callable[[Message], Optional[str]],
        *,
        after: Optional[Expect] = None,
        on_match: Optional[Callable[[Message], None]] = None,
    ) -> None:
        self.what = what
        self.check = check
        self.after = after
        self.on_match = on_match
        self.matched = False

    def __repr__(self) -> str:
        return self.what


def response_check(
    tag: int,
    topic: str,
    errnum: int,
    payload: Any = ...,
    *,
    router: bool = False,
    streaming: bool = False,
) -> Callable[[Message], Optional[str]]:
    """``payload``: exact bytes, None, a callable on the payload, or ... (any)."""

    def check(msg: Message) -> Optional[str]:
        if msg.type != C.MSGTYPE_RESPONSE or msg.matchtag != tag:
            return "not this response"
        problems = []
        if msg.topic != topic:
            problems.append(f"topic {msg.topic!r}")
        if msg.errnum != errnum:
            problems.append(f"errnum {msg.errnum} (payload {msg.payload!r})")
        if msg.routes != []:
            problems.append(f"routes {msg.routes!r}")
        if not msg.rolemask & C.ROLE_OWNER:
            problems.append(f"rolemask {msg.rolemask}")
        if callable(payload):
            why = payload(msg.payload)
            if why:
                problems.append(why)
        elif payload is not ... and msg.payload != payload:
            problems.append(f"payload {msg.payload!r}, expected {payload!r}")
        if router and (msg.userid != C.USERID_UNKNOWN or msg.rolemask != C.ROLE_OWNER or msg.flags != 0x09):
            problems.append(f"router answer with userid {msg.userid:#x} role {msg.rolemask} flags {msg.flags:#x}")
        if streaming and not msg.flags & C.FLAG_STREAMING:
            problems.append("STREAMING flag missing")
        if msg.flags & C.FLAG_NORESPONSE:
            problems.append("NORESPONSE on a response")
        return "; ".join(problems) or None

    return check


class FuzzClient:
    def __init__(self, peer: Peer, rank: int, name: str) -> None:
        self.peer = peer
        self.rank = rank
        self.name = name
        self.uuid: Optional[str] = None  # learned from the routes providers see
        self.subs: Dict[str, int] = {}
        self.next_tag = 1
        self.expects: List[Expect] = []
        self.last_seq = 0
        # (disconnect topic, nodeid, upstream) -> matchtag of the first such request
        self.templates: Dict[Tuple[str, int, bool], int] = {}

    def tag(self) -> int:
        tag = self.next_tag
        self.next_tag += 1
        return tag

    def __repr__(self) -> str:
        return f"<{self.name} on rank {self.rank}>"


class Call:
    """A request a client provider holds, not yet answered for good."""

    def __init__(
        self, requester: FuzzClient, provider: Optional[FuzzClient], topic: str, tag: int, streaming: bool, target: int
    ) -> None:
        self.requester = requester
        self.provider = provider
        self.topic = topic
        self.tag = tag
        self.streaming = streaming
        self.target = target
        self.msg: Optional[Message] = None  # as the provider received it
        self.last: Optional[Expect] = None  # the requester's last expected response


class FluxModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.inst = fakeflux.Instance(size=SIZE, attrs={"tbon.topo": "kary:2"}).start()
        self.clients: List[FuzzClient] = []
        self.count = 0
        self.seq = 0
        self.down: set = set()
        self.attrs: Dict[int, Dict[str, str]] = {r: {} for r in range(SIZE)}
        self.providers: Dict[int, Dict[str, FuzzClient]] = {r: {} for r in range(SIZE)}
        self.calls: List[Call] = []  # held by a live provider
        self.orphans: List[Call] = []  # provider gone; tracked by the overlay if they crossed it

    # -- plumbing ------------------------------------------------------------------
    def teardown(self) -> None:
        try:
            for c in self.clients:
                c.peer.close()
            for rank in range(SIZE):
                if rank not in self.down:
                    bugs = [line for line in self.inst.dmesg(rank) if "internal error" in line]
                    assert not bugs, bugs
        finally:
            self.inst.stop()
        assert self.inst.leaks() == []

    def pick(self, i: int) -> FuzzClient:
        return self.clients[i % len(self.clients)]

    def expect(self, client: FuzzClient, exp: Expect) -> Expect:
        client.expects.append(exp)
        return exp

    def sync(self) -> None:
        """Collect what each client received and hold it against the model."""
        got: Dict[str, List[Message]] = {c.name: [] for c in self.clients}
        for _ in range(2):
            for c in self.clients:
                got[c.name].extend(c.peer.barrier())
        for c in self.clients:
            self.match(c, got[c.name])

    def match(self, client: FuzzClient, messages: List[Message]) -> None:
        for msg in messages:
            if msg.type == C.MSGTYPE_EVENT:
                assert msg.seq > client.last_seq, f"{client}: event seq {msg.seq} after {client.last_seq}"
                client.last_seq = msg.seq
            for exp in client.expects:
                if not exp.matched and exp.check(msg) is None:
                    if exp.after is not None and not exp.after.matched:
                        raise AssertionError(f"{client}: {exp} arrived before {exp.after}")
                    exp.matched = True
                    if exp.on_match is not None:
                        exp.on_match(msg)
                    break
            else:
                reasons = [f"{e}: {e.check(msg)}" for e in client.expects if not e.matched]
                raise AssertionError(f"{client} got an unexpected {msg!r}; expected {reasons}")
        missing = [e for e in client.expects if not e.matched]
        client.expects = []
        assert not missing, f"{client} never got {missing}"

    def alive(self, rank: int) -> bool:
        return rank not in self.down

    def has_service(self, rank: int, name: str) -> bool:
        return name in BUILTIN or name in self.providers[rank]

    def resolve(self, src: int, name: str, topic: str, nodeid: int, upstream: bool) -> Tuple[Any, ...]:
        """Where a request goes: ("at", rank) or ("error", errnum, text)."""
        if upstream:
            chain = ancestors(src)[1:]
            if not chain:
                return ("error", errno.EHOSTUNREACH, None)
        elif nodeid == C.NODEID_ANY:
            chain = ancestors(src)
        else:
            if nodeid >= SIZE or not self.alive(nodeid):
                return ("error", errno.EHOSTUNREACH, None)
            chain = [nodeid]
        for rank in chain:
            if self.has_service(rank, name):
                return ("at", rank)
        return ("error", errno.ENOSYS, enosys_text(topic))

    # -- clients come and go ---------------------------------------------------------
    @initialize(ranks=st.lists(st.integers(0, SIZE - 1), min_size=1, max_size=3))
    def first_clients(self, ranks: List[int]) -> None:
        """Start with a client or three, the first providing svc-a, the last svc-b."""
        for rank in ranks:
            self.connect(rank)
        self.service(0, "svc-a", False)
        self.service(len(ranks) - 1, "svc-b", False)

    @precondition(lambda self: len(self.clients) < MAX_CLIENTS)
    @rule(rank=st.integers(0, SIZE - 1))
    def connect(self, rank: int) -> None:
        path = self.inst.uri(rank)[len("local://") :]
        self.count += 1
        name = f"c{self.count}"
        if not self.alive(rank):
            with pytest.raises(OSError):
                Peer(path, name).close()
            return
        self.clients.append(FuzzClient(Peer(path, name), rank, name))
        self.sync()

    @precondition(lambda self: bool(self.clients))
    @rule(i=st.integers(0, 63), partial=st.sampled_from([b"", b"\x12\x00\xee", b"\x12\x00\xee\xff\x00\x00\x00\x30"]))
    def disconnect(self, i: int, partial: bytes) -> None:
        """A client leaves, perhaps in the middle of sending a message."""
        client = self.pick(i)
        if partial:
            client.peer.send_bytes(partial)
        client.peer.close()
        self.gone([client], notify=True)
        self.sync()

    @rule(
        rank=st.integers(0, SIZE - 1),
        count=st.integers(1, 30),
        partial=st.sampled_from([b"", b"\x12\x00\xee", b"\x12\x00\xee\xff\x00\x00\x00\x30"]),
    )
    def early_close(self, rank: int, count: int, partial: bytes) -> None:
        """Clients that connect and leave before the broker accepts them (its
        loop held meanwhile): its handshake byte meets a closed socket.  No
        client of the model sees anything of it."""
        server = self.inst.server
        if not self.alive(rank) or server is None:
            return
        path = self.inst.uri(rank)[len("local://") :]
        release = hold_loop(server)
        try:
            for _ in range(count):
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                    sock.connect(path)
                    if partial:
                        sock.sendall(partial)
        finally:
            release.set()
        event("early close")
        self.sync()

    @precondition(lambda self: self.alive(0))
    @rule(headroom=st.integers(0, 3), waiting=st.integers(1, 8))
    def out_of_descriptors(self, headroom: int, waiting: int) -> None:
        """The process runs out of file descriptors with clients waiting to
        be accepted: the model's clients are served as before, the waiting
        ones get their handshake once descriptors are back."""
        path = self.inst.uri(0)[len("local://") :]
        socks = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(waiting)]
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        try:
            # connect() needs no new descriptor, accept() does: the broker
            # (in this process) accepts at most ``headroom`` of them.
            resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + headroom, hard))
            for sock in socks:
                sock.settimeout(5)
                sock.connect(path)
            event("out of descriptors")
            self.sync()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        try:
            for sock in socks:
                assert sock.recv(1) == b"\x00", "a client waiting for a descriptor was never accepted"
        finally:
            for sock in socks:
                sock.close()
        self.sync()

    def gone(self, leaving: List[FuzzClient], *, notify: bool) -> None:
        for client in leaving:
            self.clients.remove(client)
            for rank in range(SIZE):
                for name in [n for n, p in self.providers[rank].items() if p is client]:
                    del self.providers[rank][name]
        for call in list(self.calls):
            if call.requester in leaving:
                self.calls.remove(call)  # its answers have nowhere to go
            elif call.provider in leaving:
                self.calls.remove(call)
                self.orphans.append(call)  # never answered
        self.orphans = [c for c in self.orphans if c.requester not in leaving]
        if not notify:
            return  # a broker that died sends nothing
        for client in leaving:
            for (dtopic, nodeid, upstream), tag in client.templates.items():
                name = dtopic.split(".", 1)[0]
                where = self.resolve(client.rank, name, dtopic, nodeid, upstream)
                if where[0] != "at" or name not in self.providers[where[1]]:
                    continue  # a builtin service, or nobody: NORESPONSE keeps it quiet
                provider = self.providers[where[1]][name]
                event("disconnect notice")
                self.expect(provider, self.notice_expect(client, provider, dtopic, tag))

    def notice_expect(self, client: FuzzClient, provider: FuzzClient, dtopic: str, tag: int) -> Expect:
        def check(msg: Message) -> Optional[str]:
            if msg.type != C.MSGTYPE_REQUEST or msg.topic != dtopic:
                return "not this notice"
            if not msg.flags & C.FLAG_NORESPONSE or msg.payload is not None or msg.matchtag != tag:
                return f"flags {msg.flags:#x} payload {msg.payload!r} matchtag {msg.matchtag}"
            if client.uuid is not None and (msg.routes or [""])[-1] != client.uuid:
                return f"routes {msg.routes} do not end with the departed client"
            return None

        return Expect(f"{dtopic} notice for {client.name} at {provider.name}", check)

    # -- subscriptions ---------------------------------------------------------------
    @precondition(lambda self: bool(self.clients))
    @rule(i=st.integers(0, 63), topic=st.sampled_from(SUB_TOPICS), unsubscribe=st.booleans())
    def subscription(self, i: int, topic: str, unsubscribe: bool) -> None:
        client = self.pick(i)
        tag = client.tag()
        method = "event.unsubscribe" if unsubscribe else "event.subscribe"
        errnum = 0
        count = client.subs.get(topic, 0)
        if unsubscribe:
            if count == 0:
                errnum = errno.ENOENT
            elif count == 1:
                del client.subs[topic]
            else:
                client.subs[topic] = count - 1
        else:
            client.subs[topic] = count + 1
        client.peer.send(Message.request(method, json_payload({"topic": topic}), matchtag=tag))
        self.expect(client, Expect(f"{method} {topic!r}", response_check(tag, method, errnum, None, router=True)))
        self.sync()

    # -- events ------------------------------------------------------------------------
    def deliver_event(self, topic: str, payload: Optional[bytes], private: bool) -> Dict[str, Expect]:
        self.seq += 1
        seq = self.seq

        def check(msg: Message) -> Optional[str]:
            if msg.type != C.MSGTYPE_EVENT or msg.topic != topic:
                return "not this event"
            if msg.seq != seq:
                return f"seq {msg.seq}, expected {seq}"
            if msg.payload != payload or bool(msg.flags & C.FLAG_PRIVATE) != private:
                return f"payload {msg.payload!r} flags {msg.flags:#x}"
            if msg.userid != OWNER or not msg.rolemask & C.ROLE_OWNER:
                return f"credentials {msg.userid} {msg.rolemask}"
            return None

        out = {}
        for c in self.clients:
            if any(topic.startswith(prefix) for prefix in c.subs):
                out[c.name] = self.expect(c, Expect(f"event {topic} seq {seq}", check))
        return out

    @precondition(lambda self: bool(self.clients))
    @rule(
        i=st.integers(0, 63),
        topic=st.sampled_from(EVENT_TOPICS),
        payload=fst.payloads(),
        private=st.booleans(),
        nodeid=st.sampled_from([0, C.NODEID_ANY]),
        bad_flags=st.sampled_from([0, 0, 0, 0x01, 0x40]),
    )
    def publish(self, i: int, topic: str, payload: Optional[bytes], private: bool, nodeid: int, bad_flags: int) -> None:
        client = self.pick(i)
        tag = client.tag()
        req: Dict[str, Any] = {"topic": topic, "flags": (C.FLAG_PRIVATE if private else 0) | bad_flags}
        if payload:
            req["payload"] = base64.b64encode(payload).decode()
        self.template(client, "event.publish", nodeid, False, tag)
        client.peer.send(Message.request("event.publish", json_payload(req), nodeid=nodeid, matchtag=tag))
        at = self.resolve(client.rank, "event", "event.publish", nodeid, False)[1]
        if at != 0:
            check = response_check(tag, "event.publish", errno.EPROTO, string_payload(EPROTO_TEXT_RANK0))
            self.expect(client, Expect("publish refused off rank 0", check))
        elif bad_flags:
            self.expect(client, Expect("publish with bad flags", response_check(tag, "event.publish", errno.EPROTO)))
        else:
            events = self.deliver_event(topic, payload or None, private)
            answer = json_payload({"seq": self.seq})
            check = response_check(tag, "event.publish", 0, answer)
            self.expect(client, Expect(f"publish answer seq {self.seq}", check, after=events.get(client.name)))
        self.sync()

    @precondition(lambda self: bool(self.clients))
    @rule(i=st.integers(0, 63), topic=st.sampled_from(EVENT_TOPICS), payload=fst.payloads(), private=st.booleans())
    def raw_event(self, i: int, topic: str, payload: Optional[bytes], private: bool) -> None:
        client = self.pick(i)
        event = Message.event(topic, payload, flags=C.FLAG_PRIVATE if private else 0, routes=[])
        client.peer.send(event)
        self.deliver_event(topic, payload, private)
        self.sync()

    # -- attributes ----------------------------------------------------------------------
    def attr_outcome(self, rank: int, name: str, op: str) -> Tuple[int, Optional[str]]:
        kind = next((k for k in ATTR_KINDS if name.startswith(k)), None)
        values = self.attrs[rank]
        if op == "get":
            return (0, None) if name in values else (errno.ENOENT, None)
        if kind is None:
            return (errno.ENOENT, "unknown attribute") if op == "set" else (0, None)
        runtime, immutable = ATTR_KINDS[kind]
        if op == "rm":
            if name in values and immutable:
                return (errno.EPERM, None)
            values.pop(name, None)
            return (0, None)
        if name in values and not runtime:
            return (errno.EINVAL, "attribute may not be updated")
        if name in values and immutable:
            return (errno.EPERM, None)
        return (0, None)

    @precondition(lambda self: bool(self.clients))
    @rule(
        i=st.integers(0, 63),
        nodeid=st.sampled_from(NODEIDS),
        name=st.sampled_from(ATTR_NAMES),
        op=st.sampled_from(["set", "set", "rm", "get"]),
        value=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8),
    )
    def attribute(self, i: int, nodeid: int, name: str, op: str, value: str) -> None:
        client = self.pick(i)
        tag = client.tag()
        topic = f"attr.{op}"
        req = {"name": name, "value": value} if op == "set" else {"name": name}
        self.template(client, topic, nodeid, False, tag)
        client.peer.send(Message.request(topic, json_payload(req), nodeid=nodeid, matchtag=tag))
        where = self.resolve(client.rank, "attr", topic, nodeid, False)
        if where[0] == "error":
            errnum, text = where[1], where[2]
            payload: Any = None if text is None else string_payload(text)
        else:
            errnum, text = self.attr_outcome(where[1], name, op)
            payload = None if text is None else string_payload(text)
            if op == "set" and errnum == 0:
                self.attrs[where[1]][name] = value
            if op == "get" and errnum == 0:
                immutable = ATTR_KINDS[next(k for k in ATTR_KINDS if name.startswith(k))][1]
                payload = json_payload({"value": self.attrs[where[1]][name], "flags": int(immutable)})
        self.expect(client, Expect(f"{topic} {name} at {nodeid:#x}", response_check(tag, topic, errnum, payload)))
        self.sync()

    # -- services --------------------------------------------------------------------------
    @precondition(lambda self: bool(self.clients))
    @rule(i=st.integers(0, 63), name=st.sampled_from(SERVICE_NAMES), remove=st.booleans())
    def service(self, i: int, name: str, remove: bool) -> None:
        client = self.pick(i)
        tag = client.tag()
        topic = "service.remove" if remove else "service.add"
        mine = self.providers[client.rank]
        if remove:
            errnum = 0 if mine.get(name) is client else errno.ENOENT
            if errnum == 0:
                del mine[name]  # what it holds it may still answer: responses follow their routes
        elif name in mine or name in BUILTIN:
            errnum = errno.EEXIST
        elif "." in name:
            errnum = errno.EINVAL
        else:
            errnum = 0
            mine[name] = client
        client.peer.send(Message.request(topic, json_payload({"service": name}), matchtag=tag))
        self.expect(client, Expect(f"{topic} {name}", response_check(tag, topic, errnum, None, router=True)))
        self.sync()

    def template(self, client: FuzzClient, topic: str, nodeid: int, upstream: bool, tag: int) -> None:
        head, dot, _ = topic.rpartition(".")
        client.templates.setdefault((f"{head}{dot}disconnect", nodeid, upstream), tag)

    @precondition(lambda self: bool(self.clients))
    @rule(
        i=st.integers(0, 63),
        topic=st.sampled_from(REQUEST_TOPICS),
        nodeid=st.sampled_from(NODEIDS + ["upstream", "provider", "provider", "provider"]),
        mode=st.sampled_from(["plain", "plain", "streaming", "noresponse", "tag0"]),
        payload=fst.payloads(),
    )
    def request(self, i: int, topic: str, nodeid: Any, mode: str, payload: Optional[bytes]) -> None:
        target = topic
        client = self.pick(i)
        if nodeid == "provider":  # the rank of one of the service's providers, if there is one
            name = target.split(".", 1)[0]
            ranks = [r for r in range(SIZE) if name in self.providers[r]]
            nodeid = ranks[i % len(ranks)] if ranks else C.NODEID_ANY
        upstream = nodeid == "upstream"
        if upstream:
            nodeid = client.rank
        flags = (C.FLAG_UPSTREAM if upstream else 0) | {"streaming": C.FLAG_STREAMING}.get(mode, 0)
        if mode == "noresponse":
            flags |= C.FLAG_NORESPONSE
        tag = 0 if mode in ("noresponse", "tag0") else client.tag()
        if target == "broker.ping":
            payload = json_payload({"n": tag})
        name = target.split(".", 1)[0]
        if not flags & C.FLAG_NORESPONSE:
            self.template(client, target, nodeid, upstream, tag)
        client.peer.send(Message.request(target, payload, nodeid=nodeid, matchtag=tag, flags=flags))
        where = self.resolve(client.rank, name, target, nodeid, upstream)
        quiet = bool(flags & C.FLAG_NORESPONSE)
        streaming = bool(flags & C.FLAG_STREAMING)
        if where[0] == "error":
            event(f"request: error {where[1]}")
            if not quiet:
                text = where[2]
                check = response_check(tag, target, where[1], None if text is None else string_payload(text))
                self.expect(client, Expect(f"{target} error {where[1]}", check))
        elif name == "broker":
            event("request: builtin")
            if not quiet:
                rank = where[1]

                def pong(raw: Optional[bytes], rank: int = rank) -> Optional[str]:
                    obj = json.loads((raw or b"{}\x00")[:-1])
                    return None if obj.get("rank") == rank and obj.get("n") == tag else f"ping answer {obj}"

                self.expect(client, Expect(f"ping from rank {rank}", response_check(tag, target, 0, pong)))
                if streaming and tag:
                    # A success does not end a stream: the overlay keeps tracking
                    # the request, and fails it if its rank is lost (rpc_track.c).
                    self.orphans.append(Call(client, None, target, tag, True, rank))
        elif target == name:
            event("request: bare service name")
            if not quiet:
                check = response_check(tag, target, errno.ENOSYS, None)
                self.expect(client, Expect(f"bare {name}: ENOSYS", check))
        else:
            event(f"request: to a client provider ({mode})")
            provider = self.providers[where[1]][name]
            hops = 3 + distance(client.rank, provider.rank)
            call = Call(client, provider, target, tag, streaming, provider.rank)

            def forwarded(msg: Message) -> Optional[str]:
                if msg.type != C.MSGTYPE_REQUEST or msg.topic != target or msg.matchtag != tag:
                    return "not this request"
                if msg.payload != payload or msg.flags & ~C.FRAME_FLAGS != flags:
                    return f"payload {msg.payload!r} flags {msg.flags:#x}"
                if len(msg.routes or []) != hops:
                    return f"routes {msg.routes}, expected {hops} hops"
                return None

            def got(msg: Message) -> None:
                sender = (msg.routes or [""])[-1]
                if client.uuid is None:
                    client.uuid = sender
                assert client.uuid == sender, f"{client} changed route id"
                call.msg = msg

            self.expect(provider, Expect(f"{target} from {client.name} at {provider.name}", forwarded, on_match=got))
            if not quiet:
                self.calls.append(call)
        self.sync()

    @precondition(lambda self: bool(self.calls))
    @rule(k=st.integers(0, 63), count=st.integers(0, 3), errnum=st.sampled_from([0, errno.ENODATA, errno.EIO]))
    def answer(self, k: int, count: int, errnum: int) -> None:
        """A provider answers a request it holds: once, or a stream of
        ``count`` responses then the error ``errnum`` (ENODATA if 0)."""
        call = self.calls[k % len(self.calls)]
        event(f"answer: {'stream' if call.streaming else 'single'}")
        req = call.msg
        assert req is not None and call.provider is not None
        requester = call.requester
        answers: List[Tuple[int, Optional[bytes]]] = []
        if call.streaming:
            answers = [(0, json_payload({"i": n})) for n in range(count)] + [(errnum or errno.ENODATA, None)]
        elif errnum:
            answers = [(errnum, string_payload("nope"))]
        else:
            answers = [(0, req.payload)]
        for code, payload in answers:
            resp = req.derive_response(payload, code)
            call.provider.peer.send(resp)
            check = response_check(call.tag, call.topic, code, payload, streaming=call.streaming)
            call.last = self.expect(requester, Expect(f"{call.topic} answer {code}", check, after=call.last))
        self.calls.remove(call)
        self.sync()

    # -- ranks ---------------------------------------------------------------------------------
    @precondition(lambda self: any(self.alive(r) for r in range(1, SIZE)))
    @rule(rank=st.integers(1, SIZE - 1))
    def rank_down(self, rank: int) -> None:
        if not self.alive(rank):
            return
        lost = [r for r in subtree(rank) if self.alive(r)]
        self.inst.rank_down(rank)
        self.down.update(lost)
        closed = [c for c in self.clients if c.rank in lost]
        for c in closed:
            assert c.peer.closed_by_broker(), f"{c} was not disconnected when rank {c.rank} went down"
            c.peer.close()
        pending = [c for c in self.calls + self.orphans if c.requester not in closed]
        self.gone(closed, notify=False)
        for call in pending:
            if call.target in lost and call.tag != 0:
                if call in self.calls:
                    self.calls.remove(call)
                if call in self.orphans:
                    self.orphans.remove(call)
                event("rank down: EHOSTUNREACH for a held request")
                check = response_check(call.tag, call.topic, errno.EHOSTUNREACH, None)
                self.expect(call.requester, Expect(f"{call.topic} lost with rank {rank}", check, after=call.last))
        self.sync()

    @precondition(lambda self: bool(self.down))
    @rule(rank=st.integers(1, SIZE - 1))
    def rank_up(self, rank: int) -> None:
        parent = PARENT[rank]
        if self.alive(rank) or parent is None or not self.alive(parent):
            return
        self.inst.rank_up(rank)
        for r in subtree(rank):
            self.down.discard(r)
            self.attrs[r] = {}
            self.providers[r] = {}
        self.sync()

    @invariant()
    def nothing_left_over(self) -> None:
        for c in self.clients:
            assert not c.expects and not c.peer.queued, f"{c}: {c.expects} {c.peer.queued}"


FluxModel.TestCase.settings = settings(
    settings(),  # the profile: ci (derandomized, small) or fuzz
    stateful_step_count=60,
)
TestFluxModel = FluxModel.TestCase
