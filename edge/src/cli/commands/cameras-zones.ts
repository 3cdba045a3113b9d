import { Option, type Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { tf } from '../i18n.ts';
import { table } from '../format.ts';
import { CunboxError } from '../../errors.ts';
import { parsePoints } from '../../motion/geometry.ts';
import { MotionSettingsStore, type CameraMotionSettings } from '../../motion/settings-store.ts';
import { act, localizedHelp, numberIn, refuseConfigCamera, resolveCamera, withStore, yesNo } from './camera-support.ts';

/**
 * `cunbox cameras zones …`: a camera's motion zones and masks (polygons in
 * 0..1 picture coordinates) and its sensitivity. A running edge picks changes
 * up within seconds (it watches the database, like camera edits).
 */
export function registerCameraZones(cameras: Command, ctx: CliContext): void {
  const { t } = ctx;
  const zones = cameras.command('zones').description(t('motion detection of a camera: zones, masks, sensitivity'));
  localizedHelp(ctx, zones, [
    'cunbox cameras zones list 3',
    'cunbox cameras zones add 3 院门 "0,0.5 1,0.5 1,1 0,1"',
    'cunbox cameras zones add 3 时间水印 "0,0 0.4,0 0.4,0.08 0,0.08" --mask',
    'cunbox cameras zones remove 3 院门',
    'cunbox cameras zones set 3 --sensitivity 60 --min-area 0.5',
  ]);

  const show = (s: CameraMotionSettings, json: boolean | undefined) => {
    if (json) return void ctx.out(JSON.stringify(s, null, 2));
    ctx.out(`${t('motion detection')}: ${yesNo(ctx, s.enabled)}  ${t('sensitivity')}: ${s.sensitivity}  ${t('min area')}: ${s.minAreaPercent}%`);
    const rows = [...s.zones, ...s.masks].map((a) => [a.kind === 'zone' ? t('zone') : t('mask'), a.name, a.points.map(([x, y]) => `${x},${y}`).join(' ')]);
    if (rows.length === 0) return void ctx.out(t('no zones: motion anywhere in the picture counts'));
    ctx.out(table([{ head: t('kind') }, { head: t('name'), max: 20 }, { head: t('points'), max: 50, min: 20 }], rows));
  };

  localizedHelp(ctx, zones.command('list').description(t("a camera's motion settings, zones and masks")).argument('<camera>', t('id or name')).option('--json', t('machine-readable output')), [
    'cunbox cameras zones list 3',
  ]).action(act(ctx, async (ref: string, o: { json?: boolean }, cmd: Command) => {
    await withStore(ctx, cmd, ({ registry, db }) => show(new MotionSettingsStore({ db }).get(resolveCamera(registry, ref).id), o.json));
  }));

  localizedHelp(
    ctx,
    zones
      .command('add')
      .description(t('add a named zone (only motion inside zones makes events) or, with --mask, an area never analysed'))
      .argument('<camera>', t('id or name'))
      .argument('<name>', t('name, e.g. 院门'))
      .argument('<points>', t('corners "x,y x,y x,y …", each 0..1 of the picture width and height (0,0 top left)'))
      .option('--mask', t('a mask instead of a zone'))
      .option('--json', t('machine-readable output')),
    ['cunbox cameras zones add 3 院门 "0,0.5 1,0.5 1,1 0,1"', 'cunbox cameras zones add cam03 树 "0.7,0 1,0 1,0.4 0.7,0.4" --mask'],
  ).action(act(ctx, async (ref: string, name: string, points: string, o: { mask?: boolean; json?: boolean }, cmd: Command) => {
    let parsed: Array<[number, number]>;
    try {
      parsed = parsePoints(points);
    } catch (err) {
      throw new CunboxError('INVALID_INPUT', `${t('points')}: ${t((err as Error).message)}`);
    }
    await withStore(ctx, cmd, ({ registry, config, db }) => {
      const cam = resolveCamera(registry, ref);
      refuseConfigCamera(ctx, cam, config);
      const s = new MotionSettingsStore({ db }).addArea(cam.id, { kind: o.mask ? 'mask' : 'zone', name: name.trim(), points: parsed });
      if (!o.json) ctx.out(tf(t, o.mask ? 'mask "{name}" added to #{id} {camera}' : 'zone "{name}" added to #{id} {camera}', { name: name.trim(), id: cam.id, camera: cam.name }));
      show(s, o.json);
    });
  }));

  localizedHelp(
    ctx,
    zones.command('remove').description(t('remove a zone (or, with --mask, a mask) by name')).argument('<camera>', t('id or name')).argument('<name>', t('name')).option('--mask', t('a mask instead of a zone')),
    ['cunbox cameras zones remove 3 院门', 'cunbox cameras zones remove 3 树 --mask'],
  ).action(act(ctx, async (ref: string, name: string, o: { mask?: boolean }, cmd: Command) => {
    await withStore(ctx, cmd, ({ registry, config, db }) => {
      const cam = resolveCamera(registry, ref);
      refuseConfigCamera(ctx, cam, config);
      new MotionSettingsStore({ db }).removeArea(cam.id, o.mask ? 'mask' : 'zone', name);
      ctx.out(tf(t, o.mask ? 'mask "{name}" removed from #{id} {camera}' : 'zone "{name}" removed from #{id} {camera}', { name, id: cam.id, camera: cam.name }));
    });
  }));

  localizedHelp(
    ctx,
    zones
      .command('set')
      .description(t('turn motion detection on or off, set sensitivity and min area'))
      .argument('<camera>', t('id or name'))
      .addOption(new Option('--sensitivity <1-100>', t('higher finds fainter motion (default 50)')).argParser(numberIn(1, 100, true)))
      .addOption(new Option('--min-area <percent>', t('smallest moving area that counts, in percent of the picture (default 0.2)')).argParser(numberIn(0.01, 50)))
      .option('--on', t('detect motion on this camera'))
      .option('--off', t('no motion detection on this camera')),
    ['cunbox cameras zones set 3 --sensitivity 60', 'cunbox cameras zones set 3 --min-area 0.5', 'cunbox cameras zones set 3 --off'],
  ).action(act(ctx, async (ref: string, o: { sensitivity?: number; minArea?: number; on?: boolean; off?: boolean }, cmd: Command) => {
    if (o.on && o.off) throw new CunboxError('INVALID_INPUT', t('--on and --off exclude each other'));
    await withStore(ctx, cmd, ({ registry, config, db }) => {
      const cam = resolveCamera(registry, ref);
      refuseConfigCamera(ctx, cam, config);
      const s = new MotionSettingsStore({ db }).setKnobs(cam.id, {
        ...(o.sensitivity !== undefined ? { sensitivity: o.sensitivity } : {}),
        ...(o.minArea !== undefined ? { minAreaPercent: o.minArea } : {}),
        ...(o.on ? { enabled: true } : o.off ? { enabled: false } : {}),
      });
      show(s, false);
    });
  }));
}
