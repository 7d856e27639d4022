import { create as createFont, type Font } from 'fontkit';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// The PDF report's fonts, shipped inside npm packages so that `npm start`
// renders any script on a fresh machine (SIL Open Font License 1.1):
//   Noto Sans (@embedpdf/fonts-latin): Latin, Greek, Cyrillic;
//   Noto Sans Hans (@embedpdf/fonts-sc): CJK ideographs, kana;
//   Noto Sans KR (@embedpdf/fonts-kr): Hangul;
//   Noto Emoji (@expo-google-fonts/noto-emoji): monochrome emoji.
// Each run of text is set in the first font that has its glyphs; pdfkit
// embeds only the glyphs used (subsets), so a report stays small. A string
// of printable ASCII only (ids, hashes, timestamps: most of a table) is set
// in the PDF standard Helvetica instead: it needs no OpenType shaping, which is
// most of the time pdfkit spends on a page otherwise (bench: about 6 pages
// per CPU-second with shaping everywhere, see bench/export-bench.mjs).

/** Fonts registered from the files below. */
export type PdfFontName = 'text' | 'bold' | 'cjk' | 'hangul' | 'emoji';
/** Every font a run may be set in: the registered ones and pdfkit's built-in Helvetica. */
export type PdfRunFont = PdfFontName | 'Helvetica' | 'Helvetica-Bold';

const FILES: Record<PdfFontName, { readonly pkg: string; readonly file: string }> = {
  text: { pkg: '@embedpdf/fonts-latin', file: 'fonts/NotoSans-Regular.ttf' },
  bold: { pkg: '@embedpdf/fonts-latin', file: 'fonts/NotoSans-Bold.ttf' },
  cjk: { pkg: '@embedpdf/fonts-sc', file: 'fonts/NotoSansHans-Regular.otf' },
  hangul: { pkg: '@embedpdf/fonts-kr', file: 'fonts/NotoSansKR-Regular.otf' },
  emoji: { pkg: '@expo-google-fonts/noto-emoji', file: '400Regular/NotoEmoji_400Regular.ttf' },
};

/** Fallbacks after the regular text font, in order. */
const FALLBACKS: readonly PdfFontName[] = ['cjk', 'hangul', 'emoji'];

/** The folder of an installed package (their `exports` do not list package.json). */
function packageRoot(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  while (!dir.endsWith(join('node_modules', ...name.split('/')))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of ${name}`);
    dir = parent;
  }
  return dir;
}

/**
 * Marks that belong to the character before them, whatever font that is
 * in: combining marks, variation selectors, zero-width joiners, emoji skin
 * tones and tags.
 */
const ATTACHED =
  /^(?:\p{M}|\p{Emoji_Modifier}|\p{Variation_Selector}|\u200d|[\u{e0020}-\u{e007f}])$/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;

/** One run of text set in one font. */
export interface TextRun {
  readonly font: PdfRunFont;
  readonly text: string;
}

const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/**
 * The report's fonts: their bytes (read once, on first use) and which font
 * draws which character. One instance per server, built by the composition root.
 */
export class PdfFonts {
  #bytes: Map<PdfFontName, Buffer> | undefined;
  #faces: Map<PdfFontName, Font> | undefined;
  readonly #choice = new Map<number, PdfFontName>();

  /** The font files' bytes, for `doc.registerFont`. */
  bytes(): ReadonlyMap<PdfFontName, Buffer> {
    if (!this.#bytes) {
      const bytes = new Map<PdfFontName, Buffer>();
      for (const [name, { pkg, file }] of Object.entries(FILES)) {
        bytes.set(name as PdfFontName, readFileSync(join(packageRoot(pkg), file)));
      }
      this.#bytes = bytes;
    }
    return this.#bytes;
  }

  #face(name: PdfFontName): Font {
    if (!this.#faces) {
      this.#faces = new Map();
      for (const [n, bytes] of this.bytes()) this.#faces.set(n, createFont(bytes) as Font);
    }
    return this.#faces.get(name)!;
  }

  /** The font that draws `codePoint`: the text font when it can, else the first fallback that has it. */
  fontFor(codePoint: number): PdfFontName {
    let chosen = this.#choice.get(codePoint);
    if (chosen !== undefined) return chosen;
    const order: readonly PdfFontName[] = PICTOGRAPHIC.test(String.fromCodePoint(codePoint))
      ? ['emoji', 'text', ...FALLBACKS]
      : ['text', ...FALLBACKS];
    // Nothing has it: the text font's .notdef box, which still marks the place.
    chosen = order.find((name) => this.#face(name).hasGlyphForCodePoint(codePoint)) ?? 'text';
    if (this.#choice.size < 100_000) this.#choice.set(codePoint, chosen);
    return chosen;
  }

  /**
   * `text` cut into runs, each set in one font: Helvetica when it is all
   * printable ASCII, else `base` ('text' or 'bold') where it has the glyphs
   * and the fallbacks for the rest, so that one string keeps one look.
   */
  runs(text: string, base: 'text' | 'bold' = 'text'): TextRun[] {
    if (PLAIN_ASCII.test(text))
      return [{ font: base === 'bold' ? 'Helvetica-Bold' : 'Helvetica', text }];
    const runs: TextRun[] = [];
    let font: PdfRunFont | null = null;
    let current = '';
    for (const char of text) {
      let chosen: PdfRunFont;
      if (font !== null && ATTACHED.test(char)) chosen = font;
      else {
        const found = this.fontFor(char.codePointAt(0)!);
        chosen = found === 'text' ? base : found;
      }
      if (chosen !== font && current !== '') {
        runs.push({ font: font!, text: current });
        current = '';
      }
      font = chosen;
      current += char;
    }
    if (current !== '' && font !== null) runs.push({ font, text: current });
    return runs;
  }
}
