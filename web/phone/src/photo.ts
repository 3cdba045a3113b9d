/**
 * Shrinks a camera photo on the phone before it goes over a slow link: longest
 * side at most 1280 px, JPEG at quality 0.72 (a 4 MB camera JPEG becomes about
 * 150–300 KB). The cloud re-encodes it anyway (shared photo rule), so nothing
 * is lost that the server would have kept.
 */
export const MAX_SIDE = 1280;

export async function compressPhoto(file: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('photo could not be encoded'))), 'image/jpeg', 0.72));
}
