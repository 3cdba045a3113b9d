/**
 * A WS-Discovery reply datagram → its RelatesTo and every ProbeMatch in it,
 * read with XML namespaces: what a reply says depends on the namespaces its
 * prefixes are bound to, not on the prefixes (one camera writes
 * `dn:NetworkVideoTransmitter`, another `tdn:…`, a printer `wprt:PrintDeviceType`).
 * No trust in the content: this only reads; discovery.ts judges.
 */
import sax from 'sax';

export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsa10: 'http://www.w3.org/2005/08/addressing',
  wsd: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  wsd11: 'http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01',
  onvifNetwork: 'http://www.onvif.org/ver10/network/wsdl',
} as const;

const SOAP = new Set<string>([NS.soap12, NS.soap11]);
const WSA = new Set<string>([NS.wsa, NS.wsa10]);
const WSD = new Set<string>([NS.wsd, NS.wsd11]);

/** A type a ProbeMatch declares, its prefix resolved (null: unbound prefix). */
interface QName {
  ns: string | null;
  local: string;
}

export interface RawProbeMatch {
  address: string | null;
  types: QName[];
  scopes: string;
  xaddrs: string;
}

export interface RawProbeReply {
  relatesTo: string | null;
  matches: RawProbeMatch[];
}

type Field = 'relatesTo' | 'address' | 'types' | 'scopes' | 'xaddrs';

/** Null when the datagram is not well-formed XML or not a SOAP envelope carrying ProbeMatches. */
export function readProbeReply(xml: string): RawProbeReply | null {
  const parser = sax.parser(true, { xmlns: true, trim: false, normalize: false });
  const stack: Array<{ uri: string; local: string }> = [];
  const reply: RawProbeReply = { relatesTo: null, matches: [] };
  let sawProbeMatches = false;
  let current: RawProbeMatch | null = null;
  let field: { name: Field; depth: number; text: string; ns: Record<string, string> } | null = null;

  const under = (...path: Array<[Set<string>, string]>) =>
    stack.length === path.length && path.every(([uris, local], i) => uris.has(stack[i]!.uri) && stack[i]!.local === local);

  parser.onopentag = (tag) => {
    const t = tag as sax.QualifiedTag;
    stack.push({ uri: t.uri, local: t.local });
    if (field) return; // markup inside a text field: ignored, its text still counts
    if (under([SOAP, 'Envelope'], [SOAP, 'Header'], [WSA, 'RelatesTo'])) field = { name: 'relatesTo', depth: stack.length, text: '', ns: t.ns };
    else if (under([SOAP, 'Envelope'], [SOAP, 'Body'], [WSD, 'ProbeMatches'])) sawProbeMatches = true;
    else if (under([SOAP, 'Envelope'], [SOAP, 'Body'], [WSD, 'ProbeMatches'], [WSD, 'ProbeMatch'])) {
      current = { address: null, types: [], scopes: '', xaddrs: '' };
      reply.matches.push(current);
    } else if (current && stack.length === 5 && WSD.has(t.uri)) {
      const name = ({ Types: 'types', Scopes: 'scopes', XAddrs: 'xaddrs' } as const)[t.local as 'Types'];
      if (name) field = { name, depth: stack.length, text: '', ns: t.ns };
    } else if (current && stack.length === 6 && WSA.has(t.uri) && t.local === 'Address' && WSA.has(stack[4]!.uri) && stack[4]!.local === 'EndpointReference') {
      field = { name: 'address', depth: stack.length, text: '', ns: t.ns };
    }
  };
  parser.ontext = (text) => void (field && (field.text += text));
  parser.oncdata = (text) => void (field && (field.text += text));
  parser.onclosetag = () => {
    if (field && stack.length === field.depth) {
      const value = field.text.trim();
      if (field.name === 'relatesTo') reply.relatesTo = value || null;
      else if (current && field.name === 'address') current.address = value || null;
      else if (current && field.name === 'types') current.types = value.split(/\s+/).filter(Boolean).map((q) => resolveQName(q, field!.ns));
      else if (current && (field.name === 'scopes' || field.name === 'xaddrs')) current[field.name] = value;
      field = null;
    }
    if (stack.length === 4 && current) current = null;
    stack.pop();
  };
  try {
    parser.write(xml).close();
  } catch {
    return null;
  }
  return sawProbeMatches ? reply : null;
}

function resolveQName(qname: string, bindings: Record<string, string>): QName {
  const colon = qname.indexOf(':');
  const prefix = colon < 0 ? '' : qname.slice(0, colon);
  const local = colon < 0 ? qname : qname.slice(colon + 1);
  return { ns: bindings[prefix] ?? null, local };
}
