/** Reading back what a rendered certificate PDF says, where poppler's pdftotext is installed (scripts/setup installs poppler-utils). */
import { execFileSync } from 'node:child_process';

export const HAS_PDFTOTEXT = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The text of a PDF file, laid out as printed. */
export const pdfText = (file: string): string => execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
