import { Argument, Option, type Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { tf } from '../i18n.ts';
import { formatOffset, table } from '../format.ts';
import { CunboxError } from '../../errors.ts';
import { parseStreamUrl, type CameraDetails } from '../../cameras/registry.ts';
import { parseOnvifAddress, shortAddress } from '../../onvif/address.ts';
import { provisionCamera, type CameraSource } from '../../probe/provision.ts';
import { describeProbe } from '../../probe/stream.ts';
import { act, resolveCamera, localizedHelp, numberIn, probeSettings, refuseConfigCamera, withStore, yesNo } from './camera-support.ts';
import { registerCameraDiscover } from './cameras-discover.ts';
import { registerCameraTest } from './cameras-test.ts';
import { registerCameraImportExport } from './cameras-import.ts';
import { registerCameraZones } from './cameras-zones.ts';
import { CheckpointStore } from '../../checkpoints/store.ts';

interface AddOptions {
  onvif?: string;
  rtsp?: string;
  main?: string;
  sub?: string;
  name?: string;
  zone?: string;
  user?: string;
  password?: string;
  retentionDays?: number;
  probe?: boolean;
  probeSeconds?: number;
  timeout?: number;
  ignoreClock?: boolean;
  json?: boolean;
}

export function registerCameras(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  const cameras = program.command('cameras').description(t('manage cameras: discover, add, import, test'));
  localizedHelp(ctx, cameras, [
    'cunbox cameras discover --interface eth1 --csv cameras.csv',
    'cunbox cameras import cameras.csv',
    'cunbox cameras test --all',
  ]);

  // In the order a technician uses them.
  registerCameraDiscover(cameras, ctx);
  localizedHelp(
    ctx,
    cameras
      .command('add')
      .description(t('add a camera by its ONVIF address (reads its streams) or by RTSP URLs; both streams are probed before it is saved'))
      .option('--onvif <host[:port]>', t('ONVIF address of the camera (port 80 if not given)'))
      .option('--rtsp <url>', t('main stream rtsp:// URL, for cameras without ONVIF'))
      .addOption(new Option('--main <url>', t('same as --rtsp')))
      .option('--sub <url>', t('sub stream rtsp:// URL (with --rtsp)'))
      .option('--name <name>', t('unique name, e.g. 路口卡口-东口 (with --onvif, default: the camera host name)'))
      .option('--zone <zone>', t('place label, e.g. 东口'))
      .option('--user <user>', t('camera user name'))
      .option('--password <password>', t('camera password (stored, never shown)'))
      .addOption(new Option('--retention-days <days>', t('keep this camera this many days')).argParser(numberIn(0.01, 3650)))
      .option('--no-probe', t('save without probing the streams (camera not installed yet)'))
      .option('--ignore-clock', t('add even if the camera clock is more than 10 s off'))
      .addOption(new Option('--probe-seconds <s>', t('seconds of video to read from each stream')).argParser(numberIn(1, 60)).default(5))
      .addOption(new Option('--timeout <s>', t('seconds to wait for each ONVIF reply')).argParser(numberIn(1, 60)).default(5))
      .option('--json', t('print the camera as JSON')),
    [
      "cunbox cameras add --onvif 192.0.2.10 --user admin --password '***' --name 路口卡口-东口 --zone 东口",
      "cunbox cameras add --onvif 192.0.2.11:8000 --user admin --password '***'",
      'cunbox cameras add --name 村委会门口 --rtsp rtsp://192.0.2.12/Streaming/Channels/101 --sub rtsp://192.0.2.12/Streaming/Channels/102 --user admin --password \'***\'',
    ],
  ).action(act(ctx, async (o: AddOptions, cmd: Command) => {
    const source = addSource(ctx, o);
    await withStore(ctx, cmd, async ({ registry, config }) => {
      // Cheap conflicts first: nobody should wait for a probe to learn the name is taken.
      if (o.name && registry.getByName(o.name.trim())) throw new CunboxError('CONFLICT', tf(t, 'a camera named "{name}" already exists', { name: o.name.trim() }));
      const existing = registry.list().find((c) => (source.kind === 'onvif' ? c.onvifUrl === source.target.url : c.mainUrl === parseStreamUrl(source.main, 'main URL').url));
      if (existing) throw new CunboxError('CONFLICT', tf(t, 'this camera is already added as #{id} {name}', { id: existing.id, name: existing.name }));

      const got = await provisionCamera(source, { username: o.user ?? null, password: o.password ?? null }, probeSettings(o, config));
      const name = o.name ?? got.suggestedName;
      if (!name) throw new CunboxError('INVALID_INPUT', t('the camera did not say its name: pass --name'));
      if (registry.getByName(name.trim())) throw new CunboxError('CONFLICT', tf(t, 'a camera named "{name}" already exists; pass --name', { name: name.trim() }));
      const cam = registry.add({
        name,
        zone: o.zone ?? null,
        mainUrl: got.mainUrl,
        subUrl: got.subUrl,
        username: got.username,
        password: got.password,
        retentionDays: o.retentionDays ?? null,
        device: got.device,
      });
      if (got.probe) registry.setProbe(cam.id, got.probe);
      const saved = registry.get(cam.id)!;
      if (o.json) return void ctx.out(JSON.stringify({ ...saved, clockOffsetMs: got.clockOffsetMs }, null, 2));
      ctx.out(`${t('camera added')}: #${saved.id} ${saved.name}`);
      ctx.out(describeCamera(ctx, saved, got.clockOffsetMs));
      ctx.out(t('a running edge starts recording it within seconds'));
    });
  }));

  registerCameraImportExport(cameras, ctx);
  registerCameraZones(cameras, ctx);
  registerCameraTest(cameras, ctx);

  localizedHelp(
    ctx,
    cameras
      .command('list')
      .description(t('list cameras (passwords are never shown)'))
      .option('--wide', t('every column at full width (the table is cut to 80 columns otherwise)'))
      .option('--json', t('machine-readable output')),
    ['cunbox cameras list', 'cunbox cameras list --wide', 'cunbox cameras list --json'],
  ).action(act(ctx, async (o: { json?: boolean; wide?: boolean }, cmd: Command) => {
    await withStore(ctx, cmd, ({ registry }) => {
      const list = registry.list();
      if (o.json) return void ctx.out(JSON.stringify(list, null, 2));
      if (list.length === 0) return void ctx.out(t('no cameras'));
      ctx.out(
        table(
          [
            { head: t('id') },
            { head: t('name'), max: 20, min: 8 },
            { head: t('zone'), max: 8, min: 4, drop: 3 },
            { head: t('main URL'), max: 28, min: 16, drop: 1 },
            { head: t('user'), max: 10, drop: 5 },
            { head: t('enabled') },
            { head: t('retention'), drop: 4 },
            { head: t('device'), max: 16, drop: 6 },
          ],
          list.map((c: CameraDetails) => [c.id, c.name, c.zone ?? '', c.mainUrl, c.username ?? '', yesNo(ctx, c.enabled), c.retentionDays ?? t('default'), [c.manufacturer, c.model].filter(Boolean).join(' ') || '-']),
          { wide: o.wide ?? false },
        ),
      );
    });
  }));

  localizedHelp(ctx, cameras.command('rename').description(t('rename a camera (recording goes on)')).argument('<camera>', t('id or name')).argument('<new-name>', t('new name')), [
    'cunbox cameras rename 3 路口卡口-西口',
    'cunbox cameras rename cam03 村委会门口',
  ]).action(act(ctx, async (ref: string, newName: string, _o: unknown, cmd: Command) => {
    await withStore(ctx, cmd, ({ registry, config }) => {
      const cam = resolveCamera(registry, ref);
      refuseConfigCamera(ctx, cam, config);
      const after = registry.update(cam.id, { name: newName });
      ctx.out(tf(t, 'renamed #{id}: {old} → {new}', { id: after.id, old: cam.name, new: after.name }));
    });
  }));

  localizedHelp(ctx, cameras.command('set-zone').description(t('set the place label of a camera ("" clears it)')).argument('<camera>', t('id or name')).argument('<zone>', t('zone, e.g. 东口')), [
    'cunbox cameras set-zone 3 东口',
    'cunbox cameras set-zone cam03 ""',
  ]).action(act(ctx, async (ref: string, zone: string, _o: unknown, cmd: Command) => {
    await withStore(ctx, cmd, ({ registry, config }) => {
      const cam = resolveCamera(registry, ref);
      refuseConfigCamera(ctx, cam, config);
      const after = registry.update(cam.id, { zone: zone.trim() || null });
      ctx.out(tf(t, 'zone of #{id} {name}: {zone}', { id: after.id, name: after.name, zone: after.zone ?? '-' }));
    });
  }));

  localizedHelp(
    ctx,
    cameras
      .command('checkpoint')
      .description(t('mark a camera as a checkpoint (路口卡口): its motion is counted per hour and zone'))
      .argument('<camera>', t('id or name'))
      .addArgument(new Argument('<on|off>', t('on: a checkpoint; off: not one')).choices(['on', 'off'])),
    ['cunbox cameras checkpoint 3 on', 'cunbox cameras checkpoint 路口卡口-东口 off'],
  ).action(act(ctx, async (ref: string, state: 'on' | 'off', _o: unknown, cmd: Command) => {
    await withStore(ctx, cmd, ({ registry, config, db }) => {
      const cam = resolveCamera(registry, ref);
      refuseConfigCamera(ctx, cam, config);
      new CheckpointStore({ db }).set(cam.id, state === 'on');
      ctx.out(tf(t, state === 'on' ? '#{id} {name} is a checkpoint' : '#{id} {name} is no longer a checkpoint', { id: cam.id, name: cam.name }));
    });
  }));

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    localizedHelp(
      ctx,
      cameras
        .command(verb)
        .description(enabled ? t('start recording cameras again (a running edge starts within seconds)') : t('stop recording cameras; they stay configured (a running edge stops within seconds)'))
        .argument('<cameras...>', t('ids or names')),
      [`cunbox cameras ${verb} 3`, `cunbox cameras ${verb} cam03 cam04`],
    ).action(act(ctx, async (refs: string[], _o: unknown, cmd: Command) => {
      await withStore(ctx, cmd, ({ registry, config, db }) => {
        // Resolve all first: a typo in the third name changes nothing.
        const cams = refs.map((r) => resolveCamera(registry, r));
        for (const c of cams) refuseConfigCamera(ctx, c, config);
        db.transaction(() => cams.forEach((c) => registry.update(c.id, { enabled })))();
        for (const c of cams) ctx.out(tf(t, enabled ? 'enabled #{id} {name}' : 'disabled #{id} {name}', { id: c.id, name: c.name }));
      });
    }));
  }

  localizedHelp(
    ctx,
    cameras
      .command('remove')
      .description(t('remove cameras; footage already recorded stays until retention deletes it'))
      .argument('<cameras...>', t('ids or names')),
    ['cunbox cameras remove 3', 'cunbox cameras remove cam03 cam04'],
  ).action(act(ctx, async (refs: string[], _o: unknown, cmd: Command) => {
    await withStore(ctx, cmd, ({ registry, config, db }) => {
      const cams = refs.map((r) => resolveCamera(registry, r));
      for (const c of cams) refuseConfigCamera(ctx, c, config);
      db.transaction(() => cams.forEach((c) => registry.remove(c.id)))();
      for (const c of cams) ctx.out(tf(t, 'removed #{id} {name}; its footage stays until retention deletes it', { id: c.id, name: c.name }));
    });
  }));

}

function addSource(ctx: CliContext, o: AddOptions): CameraSource {
  const { t } = ctx;
  const rtsp = o.rtsp ?? o.main;
  if (o.rtsp && o.main && o.rtsp !== o.main) throw new CunboxError('INVALID_INPUT', t('--main is another name for --rtsp; give one of them'));
  if (o.onvif && rtsp) throw new CunboxError('INVALID_INPUT', t('give either --onvif or --rtsp, not both'));
  if (o.onvif) {
    if (o.sub) throw new CunboxError('INVALID_INPUT', t('--sub goes with --rtsp; with --onvif the camera tells its sub stream'));
    return { kind: 'onvif', target: parseOnvifAddress(o.onvif) };
  }
  if (!rtsp) throw new CunboxError('INVALID_INPUT', t('say how to reach the camera: --onvif HOST[:PORT] or --rtsp URL'));
  if (!o.name) throw new CunboxError('INVALID_INPUT', t('--name is required with --rtsp'));
  // Checked now, before any network: a typo gets its message at once.
  parseStreamUrl(rtsp, 'main URL');
  if (o.sub) parseStreamUrl(o.sub, 'sub URL');
  return { kind: 'rtsp', main: rtsp, sub: o.sub ?? null };
}

/** A few indented lines: streams with what the probe measured, device, clock. */
function describeCamera(ctx: CliContext, c: CameraDetails, clockOffsetMs: number | null): string {
  const { t } = ctx;
  const lines = [`  ${t('main stream')}: ${c.mainUrl}${c.probe ? `  ${describeProbe(c.probe.main)}` : ''}`];
  if (c.subUrl) lines.push(`  ${t('sub stream')}: ${c.subUrl}${c.probe?.sub ? `  ${describeProbe(c.probe.sub)}` : ''}`);
  if (c.onvifUrl) {
    const device = [c.manufacturer, c.model, c.firmware && `${t('firmware')} ${c.firmware}`].filter(Boolean).join(' ');
    lines.push(`  ONVIF: ${shortAddress(parseOnvifAddress(c.onvifUrl))}${device ? `  ${device}` : ''}`);
  }
  if (clockOffsetMs !== null) lines.push(`  ${t('camera clock')}: ${formatOffset(clockOffsetMs)}`);
  if (!c.probe) lines.push(`  ${t('streams not probed (--no-probe); run cunbox cameras test')}`);
  return lines.join('\n');
}
