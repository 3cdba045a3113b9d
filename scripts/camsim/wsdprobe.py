#!/usr/bin/python3
"""Send one WS-Discovery Probe on loopback and print the ProbeMatches as one JSON line.

Only for private network namespaces (see README.md): the probe is multicast, so
it refuses any interface but a 127.x address, which keeps it off real networks.

    wsdprobe.py [--iface 127.0.0.1] [--wait 1.5]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
import uuid
import xml.etree.ElementTree as ET

GROUP, PORT = "239.255.255.250", 3702
SOAP = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"


def probe_xml(message_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<s:Envelope xmlns:s="{SOAP}" xmlns:a="{WSA}" xmlns:d="{WSD}" '
        'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
        f"<s:Header><a:MessageID>{message_id}</a:MessageID>"
        "<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>"
        f"<a:Action>{WSD}/Probe</a:Action></s:Header>"
        "<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>"
    ).encode()


def parse_matches(data: bytes) -> list[dict[str, object]]:
    """Every ProbeMatch of one reply: an NVR or a multi-channel encoder sends several."""
    root = ET.fromstring(data)
    found = root.findall(f"{{{SOAP}}}Body/{{{WSD}}}ProbeMatches/{{{WSD}}}ProbeMatch")
    if not found:
        return [{"error": "no ProbeMatch"}]
    relates_to = root.findtext(f"{{{SOAP}}}Header/{{{WSA}}}RelatesTo")
    return [
        {
            "relatesTo": relates_to,
            "address": match.findtext(f"{{{WSA}}}EndpointReference/{{{WSA}}}Address"),
            "types": (match.findtext(f"{{{WSD}}}Types") or "").split(),
            "scopes": (match.findtext(f"{{{WSD}}}Scopes") or "").split(),
            "xaddrs": (match.findtext(f"{{{WSD}}}XAddrs") or "").split(),
        }
        for match in found
    ]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--iface", default="127.0.0.1")
    p.add_argument("--wait", type=float, default=1.5, help="seconds to collect replies")
    args = p.parse_args()
    if not args.iface.startswith("127."):
        print("wsdprobe: refusing to send multicast on a non-loopback interface", file=sys.stderr)
        return 2
    message_id = f"urn:uuid:{uuid.uuid4()}"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.bind((args.iface, 0))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(args.iface))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    sock.sendto(probe_xml(message_id), (GROUP, PORT))
    matches = []
    deadline = time.monotonic() + args.wait
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data, _peer = sock.recvfrom(65536)
        except socket.timeout:
            break
        try:
            matches.extend(parse_matches(data))
        except ET.ParseError as e:
            matches.append({"error": str(e)})
    print(json.dumps({"messageId": message_id, "matches": matches}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
