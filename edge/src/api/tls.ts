import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isIP } from 'node:net';
import selfsigned from 'selfsigned';
import { CunboxError } from '../errors.ts';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 of the certificate, colon-separated hex, as browsers show it. */
  fingerprint: string;
  notAfter: Date;
}

/** Ten years: nobody renews a certificate on a box in a village office; the fingerprint is what the office PC trusts. */
const SELF_SIGNED_DAYS = 3650;

/**
 * Reads the certificate and key the config names, checking that they belong
 * together, so a wrong file is a clear error at start-up, not a TLS failure in
 * the office browser.
 */
export function readTls(files: TlsFiles): TlsMaterial {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new CunboxError('CONFIG_INVALID', `http.tls.${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const cert = read(files.certFile, 'cert');
  const key = read(files.keyFile, 'key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new CunboxError('CONFIG_INVALID', `http.tls.cert: ${files.certFile} is not a PEM certificate`);
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error('mismatch');
  } catch {
    throw new CunboxError('CONFIG_INVALID', `http.tls.key: ${files.keyFile} is not the private key of ${files.certFile}`);
  }
  return { cert, key, fingerprint: x509.fingerprint256, notAfter: new Date(x509.validTo) };
}

/**
 * Makes a self-signed certificate for the box's LAN names and addresses and
 * writes it (key 0600). The office PC pins it by the printed fingerprint.
 */
export async function writeSelfSignedTls(files: TlsFiles, hosts: readonly string[], now = new Date()): Promise<TlsMaterial> {
  if (hosts.length === 0) throw new CunboxError('INVALID_INPUT', 'a certificate needs at least one host name or address');
  const altNames = hosts.map((h) => (isIP(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h }));
  const made = await selfsigned.generate([{ name: 'commonName', value: hosts[0]! }, { name: 'organizationName', value: 'cunbox' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 86_400_000),
    notAfterDate: new Date(now.getTime() + SELF_SIGNED_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  writeAtomically(files.keyFile, made.private, 0o600);
  writeAtomically(files.certFile, made.cert, 0o644);
  return readTls(files);
}

function writeAtomically(file: string, text: string, mode: number): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}
