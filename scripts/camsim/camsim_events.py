"""ONVIF Events service of one simulated camera: PullPoint subscriptions.

Plain stdlib, no GStreamer: camsim.py builds one EventService per camera and
routes the Events actions here. A subscription lives at its own address
(/onvif/events/sub/<id>), as on most cameras, so PullMessages, Renew and
Unsubscribe find it by path. Notifications raised while nobody is subscribed
are lost, as on a real camera; a new subscription first gets the current
state of every topic (PropertyOperation "Initialized").
"""

from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET
from typing import Any, Callable
from xml.sax.saxutils import escape

TEV = "http://www.onvif.org/ver10/events/wsdl"
WSNT = "http://docs.oasis-open.org/wsn/b-2"
WSA = "http://www.w3.org/2005/08/addressing"
TT = "http://www.onvif.org/ver10/schema"
TNS1 = "http://www.onvif.org/ver10/topics"
NAMESPACES = f'xmlns:tev="{TEV}" xmlns:wsnt="{WSNT}" xmlns:wsa="{WSA}" xmlns:tns1="{TNS1}"'

# What the control API's "kind" raises: topic, source item, data item.
KINDS: dict[str, tuple[str, tuple[str, str], str]] = {
    "motion": ("tns1:VideoSource/MotionAlarm", ("Source", "vs0"), "State"),
    "cell_motion": ("tns1:RuleEngine/CellMotionDetector/Motion", ("VideoSourceConfigurationToken", "vsc0"), "IsMotion"),
    "tamper": ("tns1:VideoSource/GlobalSceneChange/ImagingService", ("Source", "vs0"), "State"),
    "blurry": ("tns1:VideoSource/ImageTooBlurry/ImagingService", ("Source", "vs0"), "State"),
}
# A camera restarted long ago with no time source reports this.
ZERO_TIME = "0000-00-00T00:00:00Z"
DEFAULT_TERMINATION_S = 60.0
MAX_PULL_S = 60.0

Fault = Callable[[int, str, str, str], Exception]


def duration_s(text: str | None, default: float) -> float:
    """xs:duration like PT1M or PT10.5S (what clients send); anything else: default."""
    m = re.fullmatch(r"\s*P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?\s*", text or "")
    if not m or not any(m.groups()):
        return default
    d, h, mi, s = m.groups()
    return int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


def stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Subscription:
    def __init__(self, sid: int, expires: float) -> None:
        self.id = sid
        self.expires = expires  # time.monotonic()
        self.queue: list[str] = []
        self.gone = False


class EventService:
    """Subscriptions and notifications of one camera; thread-safe."""

    def __init__(self, base: Callable[[], str], fault: Fault, zero_time: bool, clock_offset: Callable[[], float]) -> None:
        self.base = base
        self.fault = fault
        self.zero_time = zero_time
        self.clock_offset = clock_offset
        self.cond = threading.Condition()
        self.subs: dict[int, Subscription] = {}
        self.next_id = 1
        self.state: dict[str, bool] = {kind: False for kind in KINDS}
        self.renewals = 0
        self.created = 0

    # ------------------------------------------------------------------ control

    def raise_event(self, kind: str, value: bool) -> int:
        """Sets a topic's state and queues a Changed notification; returns the subscriptions reached."""
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}; known: {', '.join(KINDS)}")
        with self.cond:
            self.state[kind] = value
            message = self.notification(kind, value, "Changed")
            live = self.live()
            for sub in live:
                sub.queue.append(message)
            self.cond.notify_all()
            return len(live)

    def drop_subscriptions(self) -> int:
        """Forget every subscription, as a camera does when it restarts."""
        with self.cond:
            n = len(self.subs)
            for sub in self.subs.values():
                sub.gone = True
            self.subs.clear()
            self.cond.notify_all()
            return n

    def snapshot(self) -> dict[str, Any]:
        with self.cond:
            return {"subscriptions": len(self.live()), "subscriptions_created": self.created, "renewals": self.renewals}

    # ------------------------------------------------------------------ SOAP

    def capabilities(self) -> str:
        return (
            '<tev:GetServiceCapabilitiesResponse><tev:Capabilities WSSubscriptionPolicySupport="false" '
            'WSPullPointSupport="true" WSPausableSubscriptionManagerInterfaceSupport="false" '
            'MaxNotificationProducers="0" MaxPullPoints="8" PersistentNotificationStorage="false"/>'
            "</tev:GetServiceCapabilitiesResponse>"
        )

    def properties(self) -> str:
        def topic(t: str, source: str, data: str) -> str:
            parts = t.split(":", 1)[1].split("/")
            inner = (
                '<tt:MessageDescription IsProperty="true">'
                f'<tt:Source><tt:SimpleItemDescription Name="{source}" Type="tt:ReferenceToken"/></tt:Source>'
                f'<tt:Data><tt:SimpleItemDescription Name="{data}" Type="xs:boolean"/></tt:Data>'
                "</tt:MessageDescription>"
            )
            for i, p in enumerate(reversed(parts)):
                mark = ' wstop:topic="true"' if i == 0 else ""
                inner = f"<tns1:{p}{mark}>{inner}</tns1:{p}>"
            return inner

        topics = "".join(topic(t, s[0], d) for t, s, d in KINDS.values())
        return (
            f'<tev:GetEventPropertiesResponse {NAMESPACES} xmlns:wstop="http://docs.oasis-open.org/wsn/t-1">'
            "<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>"
            "<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet>"
            f"<wstop:TopicSet>{topics}</wstop:TopicSet>"
            "<wsnt:TopicExpressionDialect>http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet</wsnt:TopicExpressionDialect>"
            "<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>"
            "<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>"
            "</tev:GetEventPropertiesResponse>"
        )

    def create(self, req: ET.Element) -> str:
        lifetime = duration_s(req.findtext(f"{{{TEV}}}InitialTerminationTime"), DEFAULT_TERMINATION_S)
        with self.cond:
            sid = self.next_id
            self.next_id += 1
            self.created += 1
            sub = Subscription(sid, time.monotonic() + lifetime)
            # Current state first, as cameras do for property topics.
            sub.queue.extend(self.notification(kind, value, "Initialized") for kind, value in self.state.items())
            self.subs[sid] = sub
        address = f"{self.base()}/onvif/events/sub/{sid}"
        return (
            f"<tev:CreatePullPointSubscriptionResponse {NAMESPACES}>"
            f"<tev:SubscriptionReference><wsa:Address>{escape(address)}</wsa:Address></tev:SubscriptionReference>"
            f"{self.times(lifetime)}</tev:CreatePullPointSubscriptionResponse>"
        )

    def pull(self, req: ET.Element, path: str) -> str:
        timeout = min(MAX_PULL_S, duration_s(req.findtext(f"{{{TEV}}}Timeout"), 10.0))
        try:
            limit = max(1, int(req.findtext(f"{{{TEV}}}MessageLimit") or "10"))
        except ValueError:
            limit = 10
        deadline = time.monotonic() + timeout
        with self.cond:
            sub = self.find(path)
            while not sub.queue and not sub.gone and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())
            if sub.gone or sub.expires <= time.monotonic():
                raise self.unknown()
            messages, sub.queue = sub.queue[:limit], sub.queue[limit:]
        now = self.camera_time()
        return (
            f"<tev:PullMessagesResponse {NAMESPACES}>"
            f"<tev:CurrentTime>{now}</tev:CurrentTime><tev:TerminationTime>{self.until(sub)}</tev:TerminationTime>"
            f"{''.join(messages)}</tev:PullMessagesResponse>"
        )

    def renew(self, req: ET.Element, path: str) -> str:
        lifetime = duration_s(req.findtext(f"{{{WSNT}}}TerminationTime"), DEFAULT_TERMINATION_S)
        with self.cond:
            sub = self.find(path)
            sub.expires = time.monotonic() + lifetime
            self.renewals += 1
        return f"<wsnt:RenewResponse {NAMESPACES}>{self.times(lifetime, 'wsnt')}</wsnt:RenewResponse>"

    def unsubscribe(self, _req: ET.Element, path: str) -> str:
        with self.cond:
            sub = self.find(path)
            sub.gone = True
            self.subs.pop(sub.id, None)
            self.cond.notify_all()  # a pull waiting on it answers now
        return f"<wsnt:UnsubscribeResponse {NAMESPACES}/>"

    # ------------------------------------------------------------------ helpers

    def live(self) -> list[Subscription]:
        now = time.monotonic()
        for sid in [sid for sid, s in self.subs.items() if s.expires <= now]:
            self.subs.pop(sid).gone = True
        return list(self.subs.values())

    def find(self, path: str) -> Subscription:
        m = re.fullmatch(r"/onvif/events/sub/(\d+)", path)
        self.live()
        sub = self.subs.get(int(m.group(1))) if m else None
        if sub is None:
            raise self.unknown()
        return sub

    def unknown(self) -> Exception:
        return self.fault(400, "env:Sender", "wsrf-rw:ResourceUnknownFault", "No such subscription")

    def camera_time(self, t: float | None = None) -> str:
        return ZERO_TIME if self.zero_time else stamp((time.time() if t is None else t) + self.clock_offset())

    def until(self, sub: Subscription) -> str:
        return self.camera_time(time.time() + max(0.0, sub.expires - time.monotonic()))

    def times(self, lifetime: float, prefix: str = "tev") -> str:
        now = time.time()
        if prefix == "tev":
            return f"<wsnt:CurrentTime>{self.camera_time(now)}</wsnt:CurrentTime><wsnt:TerminationTime>{self.camera_time(now + lifetime)}</wsnt:TerminationTime>"
        return f"<wsnt:TerminationTime>{self.camera_time(now + lifetime)}</wsnt:TerminationTime><wsnt:CurrentTime>{self.camera_time(now)}</wsnt:CurrentTime>"

    def notification(self, kind: str, value: bool, operation: str) -> str:
        topic, (source_name, source_value), data_name = KINDS[kind]
        return (
            "<wsnt:NotificationMessage>"
            f'<wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">{topic}</wsnt:Topic>'
            f'<wsnt:Message><tt:Message UtcTime="{self.camera_time()}" PropertyOperation="{operation}">'
            f'<tt:Source><tt:SimpleItem Name="{source_name}" Value="{source_value}"/></tt:Source>'
            f'<tt:Data><tt:SimpleItem Name="{data_name}" Value="{"true" if value else "false"}"/></tt:Data>'
            "</tt:Message></wsnt:Message></wsnt:NotificationMessage>"
        )
