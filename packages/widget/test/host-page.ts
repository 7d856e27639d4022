// A stranger's page on another origin (its own node:http server and port),
// embedding the widget as a vendor's customer would: <script src> from the
// Logproof server, then the element.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostPages {
  /**
   * Serves `body` (inside a minimal HTML page) at a new path; returns its URL.
   * With `csp`, the page is sent with that Content-Security-Policy and
   * without the host's own inline style.
   */
  page(title: string, head: string, body: string, csp?: string): string;
  close(): Promise<void>;
}

export async function startHostPages(): Promise<HostPages> {
  const pages = new Map<string, { html: string; csp: string | undefined }>();
  const server: Server = createServer((req, res) => {
    const page = pages.get(req.url ?? '');
    if (page === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res
      .writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        ...(page.csp === undefined ? {} : { 'content-security-policy': page.csp }),
      })
      .end(page.html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // "localhost" rather than 127.0.0.1: another host name as well as another port.
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    page(title, head, body, csp) {
      const path = `/${pages.size + 1}.html`;
      const style =
        csp === undefined
          ? '<style>body{margin:24px;font-family:Georgia,serif;background:#f3f4f6}</style>'
          : '';
      const html =
        `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
        `<meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${title}</title><link rel="icon" href="data:,">${style}${head}</head>` +
        `<body>${body}</body></html>`;
      pages.set(path, { html, csp });
      return `${origin}${path}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
