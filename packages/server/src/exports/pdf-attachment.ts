import type {} from 'pdfkit';

// Embeds a file in a PDF (ISO 32000-1 §7.11.4 embedded file streams) without
// holding it in memory. pdfkit's own `file()` reads the whole file into one
// buffer and deflates it there; an evidence bundle can be hundreds of MB, so
// here the stream object is written piece by piece from a file deflated
// beforehand. That needs three pdfkit internals (the document's byte
// offset, its raw writer and the end-of-object bookkeeping), which is why
// pdfkit's version is pinned (~0.20) and why a test extracts the attachment
// with poppler's pdfdetach and verifies it.

/** The pdfkit 0.20 internals used here. */
interface PdfInternals {
  _offset: number;
  _write(data: string | Uint8Array): void;
  _refEnd(ref: PDFKit.PDFKitReference): void;
  _root: { data: { AF?: PDFKit.PDFKitReference[] } };
}

/** A file to attach, already deflated (RFC 1950 zlib stream). */
export interface PdfAttachment {
  /** File name shown by PDF readers and used by pdfdetach. */
  readonly name: string;
  readonly description: string;
  /** Media type, e.g. application/json. */
  readonly mediaType: string;
  /** Size before compression. */
  readonly size: number;
  /** MD5 of the uncompressed bytes (the PDF's CheckSum), 16 bytes. */
  readonly md5: Uint8Array;
  readonly modifiedAt: Date;
  /** Size of the deflated stream: written as the stream's /Length before it. */
  readonly deflatedSize: number;
  /** The deflated bytes. */
  readonly deflated: AsyncIterable<Uint8Array>;
}

/** A PDF name: every byte outside the regular printable set written as #xx (ISO 32000-1 §7.3.5). */
function pdfName(text: string): string {
  return `/${[...Buffer.from(text, 'utf8')]
    .map((b) =>
      b > 0x20 && b < 0x7f && !'#()<>[]{}/%'.includes(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `#${b.toString(16).padStart(2, '0')}`,
    )
    .join('')}`;
}

/** D:YYYYMMDDHHmmSSZ (ISO 32000-1 §7.9.4). */
function pdfDate(date: Date): string {
  return `(D:${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z)`;
}

/**
 * Writes the embedded file stream and its file specification, and lists it
 * in the document's EmbeddedFiles name tree (what readers and pdfdetach
 * show) and associated files. Yields after each piece so that the caller
 * can hand the PDF's bytes on with back-pressure. Call it when no page is
 * being drawn (pdfkit writes objects only between calls, never half).
 */
export async function* embedFile(
  doc: PDFKit.PDFDocument,
  file: PdfAttachment,
): AsyncGenerator<void> {
  const internals = doc as unknown as PdfInternals;
  const ref = doc.ref({});
  // What PDFReference.finalize() writes, with the data streamed.
  (ref as unknown as { offset: number }).offset = internals._offset;
  internals._write(`${ref.id} ${ref.gen} obj`);
  internals._write(
    [
      '<<',
      '/Type /EmbeddedFile',
      `/Subtype ${pdfName(file.mediaType)}`,
      '/Filter /FlateDecode',
      `/Length ${file.deflatedSize}`,
      `/Params << /Size ${file.size} /CheckSum <${Buffer.from(file.md5).toString('hex')}> /ModDate ${pdfDate(file.modifiedAt)} >>`,
      '>>',
    ].join('\n'),
  );
  internals._write('stream');
  let written = 0;
  for await (const chunk of file.deflated) {
    internals._write(chunk);
    written += chunk.length;
    yield;
  }
  if (written !== file.deflatedSize) {
    throw new Error(
      `attachment ${file.name}: wrote ${written} bytes, announced ${file.deflatedSize}`,
    );
  }
  internals._write('\nendstream');
  internals._write('endobj');
  internals._refEnd(ref);

  const spec = doc.ref({
    Type: 'Filespec',
    // ISO 32000-2 §14.13: the bundle supplements what the pages show.
    AFRelationship: 'Supplement',
    F: new String(file.name),
    UF: new String(file.name),
    Desc: new String(file.description),
    EF: { F: ref },
  });
  spec.end(undefined);
  doc.addNamedEmbeddedFile(file.name, spec);
  (internals._root.data.AF ??= []).push(spec);
}
