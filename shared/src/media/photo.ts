/**
 * One rule for a photo someone uploads, on the edge (POST /api/media) and on
 * the cloud (the phone API): decided from the bytes, never from the file name
 * or the declared type. The image is decoded and re-encoded as JPEG, which
 * refuses anything that is not really an image, drops EXIF (GPS position,
 * camera serial), XMP and comments, applies the EXIF rotation first, and
 * shrinks the longest side. Its own entry point (`@cunbox/shared/photo`):
 * only what handles uploads loads sharp.
 */
import sharp from 'sharp';

export interface PhotoLimits {
  /** Longest side of a stored photo. */
  maxSide: number;
  /** Largest decoded image, in pixels (a small file can decode to gigabytes: a "pixel bomb"). */
  maxInputPixels: number;
}

/** Upload limits where a photo comes in (the edge's API, the cloud's phone API): the same on both. */
export const DEFAULT_PHOTO_LIMITS: PhotoLimits & { maxUploadBytes: number } = { maxUploadBytes: 10 * 1024 * 1024, maxSide: 2048, maxInputPixels: 50_000_000 };

/** What a caller turns into its own error table's code. */
export class PhotoRefused extends Error {
  constructor(
    readonly reason: 'not-an-image' | 'too-many-pixels',
    message: string,
  ) {
    super(message);
  }
}

/** What sharp may read. HEIC decodes only where libvips was built with a HEVC decoder. */
const IMAGE_FORMATS = new Set(['jpeg', 'png', 'webp', 'heif', 'tiff']);

export async function normalizePhoto(input: Buffer, limits: PhotoLimits): Promise<{ data: Buffer; width: number; height: number }> {
  const notImage = () => new PhotoRefused('not-an-image', 'not an image: upload a JPEG, PNG, WebP or HEIC photo');
  let format: string | undefined;
  try {
    format = (await sharp(input, { limitInputPixels: limits.maxInputPixels }).metadata()).format;
  } catch {
    throw notImage();
  }
  if (!format || !IMAGE_FORMATS.has(format)) throw notImage();
  try {
    const { data, info } = await sharp(input, { limitInputPixels: limits.maxInputPixels, failOn: 'error' })
      .rotate()
      .resize({ width: limits.maxSide, height: limits.maxSide, fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 82, mozjpeg: true })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (err) {
    if (/pixel limit/i.test((err as Error).message)) throw new PhotoRefused('too-many-pixels', `image larger than ${limits.maxInputPixels} pixels`);
    throw notImage();
  }
}
