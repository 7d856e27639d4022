import type { PdfFonts } from './pdf-fonts.js';

// Text in the PDF report: every string is cut into runs by font (pdf-fonts.ts)
// and cleaned of what would change the page's meaning rather than show it.

/**
 * Controls become visible or blank: a line break must not start a new table
 * row, and a bidi override (U+202A..U+202E, U+2066..U+2069) must not reorder
 * what an auditor reads ("Trojan source"), so both are replaced.
 */
// eslint-disable-next-line no-control-regex -- control characters are what is matched
const WHITESPACE_CONTROLS = /[\t\n\r\u000b\u000c\u0085\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex -- control characters are what is matched
const OTHER_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function cleanText(text: string): string {
  return text.toWellFormed().replace(WHITESPACE_CONTROLS, ' ').replace(OTHER_CONTROLS, '\ufffd');
}

/** The subset of pdfkit's document the report draws text with. */
export interface TextCanvas {
  font(name: string): this;
  fontSize(size: number): this;
  widthOfString(text: string): number;
  text(text: string, options?: object): this;
  text(text: string, x?: number, y?: number, options?: object): this;
}

const ELLIPSIS = '…';
/** One line, positioned by its baseline. */
const LINE = { lineBreak: false, baseline: 'alphabetic' };

/**
 * Draws `text` on one line with its baseline at `y` (so that runs in
 * different fonts line up), cut with an ellipsis to fit `width`. Returns
 * whether it was cut.
 */
export function drawCell(
  doc: TextCanvas,
  fonts: PdfFonts,
  text: string,
  x: number,
  y: number,
  width: number,
  size: number,
  base: 'text' | 'bold' = 'text',
): boolean {
  let cx = x;
  const limit = x + width;
  for (const run of fonts.runs(cleanText(text), base)) {
    doc.font(run.font).fontSize(size);
    const w = doc.widthOfString(run.text);
    if (cx + w <= limit) {
      doc.text(run.text, cx, y, LINE);
      cx += w;
      continue;
    }
    // Cut by code points (never inside a surrogate pair): the longest
    // prefix that fits with an ellipsis, which is set in the base font.
    doc.font(base).fontSize(size);
    const room = limit - cx - doc.widthOfString(ELLIPSIS);
    doc.font(run.font).fontSize(size);
    const points = [...run.text];
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (doc.widthOfString(points.slice(0, mid).join('')) <= room) lo = mid;
      else hi = mid - 1;
    }
    const shown = points.slice(0, lo).join('');
    if (shown !== '') {
      doc.text(shown, cx, y, LINE);
      cx += doc.widthOfString(shown);
    }
    doc.font(base).fontSize(size).text(ELLIPSIS, cx, y, LINE);
    return true;
  }
  return false;
}

/**
 * Writes `text` as flowing text at the current position (wrapping within
 * `width`), switching fonts run by run; `label`, when given, leads in bold.
 */
export function writeFlow(
  doc: TextCanvas,
  fonts: PdfFonts,
  text: string,
  options: { size: number; width: number; label?: string; base?: 'text' | 'bold'; x?: number },
): void {
  const runs = [
    ...(options.label === undefined ? [] : fonts.runs(cleanText(options.label), 'bold')),
    ...fonts.runs(cleanText(text), options.base ?? 'text'),
  ];
  if (runs.length === 0) runs.push({ font: 'text', text: ' ' });
  runs.forEach((run, i) => {
    doc.font(run.font).fontSize(options.size);
    const flow = { width: options.width, continued: i < runs.length - 1 };
    if (i === 0 && options.x !== undefined) doc.text(run.text, options.x, undefined, flow);
    else doc.text(run.text, flow);
  });
}
