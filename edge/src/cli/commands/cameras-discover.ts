import { existsSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { tf } from '../i18n.ts';
import { table } from '../format.ts';
import { CunboxError } from '../../errors.ts';
import { openDatabase } from '../../db/database.ts';
import { CameraRegistry, type CameraDetails } from '../../cameras/registry.ts';
import { CSV_COLUMNS } from '../../cameras/csv.ts';
import { systemClock } from '../../clock.ts';
import { Layout } from '../../storage/layout.ts';
import { discover, type DiscoveredCamera } from '../../onvif/discovery.ts';
import { readDeviceInfo, type OnvifDeviceInfo } from '../../onvif/client.ts';
import { parseOnvifAddress, shortAddress } from '../../onvif/address.ts';
import { mapLimit } from '../../probe/pool.ts';
import { act, localizedHelp, numberIn } from './camera-support.ts';

interface DiscoverOptions {
  interface?: string;
  timeout: number;
  user?: string;
  password?: string;
  csv?: string;
  json?: boolean;
  wide?: boolean;
}

interface DiscoveredRow extends DiscoveredCamera {
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serialNumber: string | null;
  /** ok: device information read; login: the camera wants (other) credentials; error: it did not answer properly. */
  info: 'ok' | 'login' | 'error';
  added: { id: number; name: string } | null;
}

export function registerCameraDiscover(cameras: Command, ctx: CliContext): void {
  const { t } = ctx;
  localizedHelp(
    ctx,
    cameras
      .command('discover')
      .description(t('find ONVIF cameras on the network (WS-Discovery) and show which are already added'))
      .option('--interface <if>', t('network interface name or one of its addresses (default: the default route)'))
      .addOption(new Option('--timeout <s>', t('seconds to wait for answers')).argParser(numberIn(0.5, 60)).default(3))
      .option('--user <user>', t('log in with this user to read manufacturer, model and firmware'))
      .option('--password <password>', t('password for --user (never shown)'))
      .option('--csv <file>', t('also write the cameras found as a CSV for cameras import (no passwords)'))
      .option('--wide', t('every column at full width (the table is cut to 80 columns otherwise)'))
      .option('--json', t('machine-readable output')),
    [
      'cunbox cameras discover --interface eth1',
      "cunbox cameras discover --interface 192.168.1.2 --timeout 5 --user admin --password '***'",
      'cunbox cameras discover --csv cameras.csv   # fill in names, zones, passwords; then: cunbox cameras import cameras.csv',
    ],
  ).action(act(ctx, async (o: DiscoverOptions, cmd: Command) => {
    const added = knownCameras(ctx, cmd);
    const found = await discover({ ...(o.interface !== undefined ? { iface: o.interface } : {}), timeoutMs: o.timeout * 1000 });
    const creds = { username: o.user ?? null, password: o.password ?? null };
    const perHost = new Map<string, number>();
    for (const c of found.cameras) perHost.set(c.host, (perHost.get(c.host) ?? 0) + 1);
    const rows = await mapLimit(found.cameras, 16, async (c) => ({ ...(await enrich(c, creds)), added: matchKnown(c, added, perHost.get(c.host) === 1) }));
    if (found.ignored > 0) ctx.io.stderr.write(`${tf(t, 'ignored {n} malformed discovery replies', { n: found.ignored })}\n`);
    if (found.notCameras > 0) ctx.io.stderr.write(`${tf(t, 'ignored devices that are not cameras: {n}', { n: found.notCameras })}\n`);
    if (o.csv) writeCsv(o.csv, rows);
    if (o.json) return void ctx.out(JSON.stringify(rows, null, 2));
    if (rows.length === 0) {
      ctx.out(t('no ONVIF cameras answered'));
      ctx.out(`${t('hint')}: ${t('check that the cameras are on this network and have ONVIF and discovery enabled; pass --interface for the camera network, or a longer --timeout')}`);
      return;
    }
    const unknown = added === null ? '?' : t('no');
    ctx.out(
      table(
        [
          { head: '#' },
          { head: t('address') },
          { head: t('name'), max: 16, min: 6 },
          { head: t('manufacturer'), max: 12, min: 5 },
          { head: t('model'), max: 14, min: 6 },
          { head: t('firmware'), max: 12, min: 5 },
          { head: t('added'), max: 16, min: 6 },
        ],
        rows.map((r, i) => [i + 1, r.address, r.name ?? '-', r.manufacturer ?? '-', r.model ?? r.hardware ?? '-', r.firmware ?? '-', r.added ? `#${r.added.id} ${r.added.name}` : unknown]),
        { wide: o.wide ?? false },
      ),
    );
    ctx.out(tf(t, '{n} cameras found, {added} already added', { n: rows.length, added: rows.filter((r) => r.added).length }));
    if (rows.some((r) => r.info === 'login')) ctx.out(`${t('hint')}: ${t('manufacturer, model and firmware need a login: pass --user and --password')}`);
    if (added === null) ctx.out(`${t('hint')}: ${t('no configuration found, so "added" is unknown: pass --config or --data-dir')}`);
    ctx.out(`${t('next')}: cunbox cameras add --onvif ${rows[0]!.address} --user admin --password '***' ${t('or')} cunbox cameras discover --csv cameras.csv`);
  }));
}

/** Cameras already in the registry, or null when there is no installation to look at. */
function knownCameras(ctx: CliContext, cmd: Command): CameraDetails[] | null {
  let dataDir: string;
  try {
    dataDir = resolveConfig(ctx.store(cmd), ctx.io.env).dataDir;
  } catch (err) {
    if (err instanceof CunboxError && err.code === 'INVALID_INPUT') return null;
    throw err;
  }
  const file = new Layout(dataDir).database;
  // Discovery looks, it does not create: no database yet means nothing added yet.
  if (!existsSync(file)) return [];
  const db = openDatabase(file, { readonly: true });
  try {
    return new CameraRegistry({ db, clock: systemClock }).list();
  } finally {
    db.close();
  }
}

async function enrich(c: DiscoveredCamera, creds: { username: string | null; password: string | null }): Promise<Omit<DiscoveredRow, 'added'>> {
  const { device, problem } = await readDeviceInfo(parseOnvifAddress(c.deviceUrl), creds, { timeoutMs: 3000 });
  const info: DiscoveredRow['info'] = device ? 'ok' : problem?.problem.code === 'ONVIF_AUTH_FAILED' ? 'login' : 'error';
  const d: OnvifDeviceInfo = device ?? { manufacturer: null, model: null, firmware: null, serialNumber: null, hardwareId: null };
  return {
    ...c,
    manufacturer: d.manufacturer,
    model: d.model,
    firmware: d.firmware,
    serialNumber: d.serialNumber,
    info,
  };
}

/**
 * By ONVIF address; a camera added by RTSP URL matches by host only when no
 * other discovered device shares that host (real cameras each have their own
 * address; the simulator's all share 127.0.0.1).
 */
function matchKnown(c: DiscoveredCamera, known: CameraDetails[] | null, hostIsUnique: boolean): { id: number; name: string } | null {
  if (!known) return null;
  const byOnvif = known.find((k) => k.onvifUrl && sameDevice(k.onvifUrl, c));
  if (byOnvif) return { id: byOnvif.id, name: byOnvif.name };
  const byHost = known.filter((k) => !k.onvifUrl && hostOf(k.mainUrl) === c.host);
  return hostIsUnique && byHost.length === 1 ? { id: byHost[0]!.id, name: byHost[0]!.name } : null;
}

function sameDevice(url: string, c: DiscoveredCamera): boolean {
  try {
    const t = parseOnvifAddress(url);
    return t.host === c.host && t.port === c.port;
  } catch {
    return false;
  }
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

/** A starting point for `cameras import`: names from the cameras' own scopes, passwords left blank. */
function writeCsv(file: string, rows: DiscoveredRow[]): void {
  const used = new Set<string>();
  const lines = rows.map((r) => {
    let name = r.added?.name ?? r.name ?? `cam-${r.host}-${r.port}`;
    for (let i = 2; used.has(name); i++) name = `${r.name ?? 'cam'}-${i}`;
    used.add(name);
    return [name, '', shortAddress(r), '', '', '', ''];
  });
  try {
    writeFileSync(file, stringify([[...CSV_COLUMNS], ...lines]));
  } catch (err) {
    throw new CunboxError('IO_ERROR', `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
