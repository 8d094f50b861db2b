import { randomBytes } from 'node:crypto';

/** Headers of every scan page: no caching, no referrer (the token is in the URL), no framing. */
export function scanPageHeaders(nonce: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': [
      "default-src 'none'",
      "img-src 'self' data:",
      `style-src 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  };
}

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON for an inline script: `<` escaped so no value can close the script element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028|\u2029/g, '');
}

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  main { max-width: 28rem; margin: 3rem auto; background: #fff; border-radius: 12px; padding: 2rem;
         box-shadow: 0 2px 12px rgba(0,0,0,.08); text-align: center; }
  h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
  p { line-height: 1.45; }
  #qr { width: 320px; height: 320px; image-rendering: pixelated; display: none; margin: 1rem auto; }
  #status { font-weight: 600; }
  .ok { color: #0a7a3b; font-size: 1.2rem; }
  .bad { color: #b3261e; }
  button { font: inherit; padding: .6rem 1.2rem; border-radius: 8px; border: 1px solid #0a7a3b;
           background: #0a7a3b; color: #fff; cursor: pointer; }
  button[disabled] { opacity: .5; cursor: default; }
  small { color: #667; }
`;

/** The page that shows a session's live QR, then "Connected as +…". */
export function renderScanPage(input: {
  sessionId: string;
  sessionName: string;
  token: string;
  expiresAt: number;
  demo: boolean;
  nonce: string;
}): string {
  const config = scriptJson({
    sessionId: input.sessionId,
    token: input.token,
    expiresAt: input.expiresAt,
    demo: input.demo,
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>Link WhatsApp: ${escapeHtml(input.sessionName)}</title>
<style nonce="${input.nonce}">${STYLE}</style>
</head>
<body>
<main>
  <h1>Link WhatsApp to <span id="name">${escapeHtml(input.sessionName)}</span></h1>
  <p id="help">On the phone: WhatsApp → Settings → Linked devices → Link a device, then point the camera at this code.</p>
  <img id="qr" alt="WhatsApp QR code for linking this session">
  <p id="status">Waiting for a QR code…</p>
  ${input.demo ? '<p><button id="simulate" type="button" disabled>Scan with the simulated phone</button></p>' : ''}
  <p><small id="expiry"></small></p>
</main>
<script nonce="${input.nonce}">
(() => {
  const cfg = ${config};
  const qs = 'token=' + encodeURIComponent(cfg.token);
  const base = '/scan/' + encodeURIComponent(cfg.sessionId);
  const img = document.getElementById('qr');
  const status = document.getElementById('status');
  const help = document.getElementById('help');
  const button = document.getElementById('simulate');
  document.getElementById('expiry').textContent =
    'This link works until ' + new Date(cfg.expiresAt).toLocaleTimeString() + '.';
  let done = false;
  const setStatus = (text, cls) => { status.textContent = text; status.className = cls || ''; };
  const hideQr = () => { img.style.display = 'none'; img.removeAttribute('src'); if (button) button.disabled = true; };
  const events = new EventSource(base + '/events?' + qs);
  events.addEventListener('qr', (e) => {
    const d = JSON.parse(e.data);
    img.src = d.dataUrl;
    img.style.display = 'block';
    setStatus('Scan this code with WhatsApp.');
    if (button) button.disabled = false;
  });
  events.addEventListener('status', (e) => {
    const d = JSON.parse(e.data);
    if (d.state === 'open') {
      done = true;
      hideQr();
      help.textContent = 'This session is linked. You can close this page.';
      if (button) button.style.display = 'none';
      setStatus('Connected as ' + (d.phone || 'your number'), 'ok');
      events.close();
    } else if (d.state === 'qr') {
      setStatus('Scan this code with WhatsApp.');
    } else if (d.state === 'logged_out' || d.state === 'failed') {
      hideQr();
      setStatus('The session is ' + d.state.replace('_', ' ') + '.', 'bad');
    } else {
      hideQr();
      setStatus('Session is ' + d.state + '…');
    }
  });
  events.addEventListener('expired', () => {
    done = true;
    hideQr();
    help.textContent = '';
    setStatus('This link has expired. Ask for a new one.', 'bad');
    events.close();
  });
  events.onerror = () => { if (!done) setStatus('Connection lost; retrying…'); };
  if (button) {
    button.addEventListener('click', async () => {
      button.disabled = true;
      setStatus('The simulated phone is scanning…');
      const res = await fetch(base + '/simulate-scan?' + qs, { method: 'POST' });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        setStatus('Simulated scan failed: ' + ((body.error && body.error.message) || res.status), 'bad');
        button.disabled = false;
      }
    });
  }
})();
</script>
</body>
</html>
`;
}

/** The page for an expired, forged or otherwise unusable link: it never contains a QR code. */
export function renderScanErrorPage(input: {
  title: string;
  message: string;
  nonce: string;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${escapeHtml(input.title)}</title>
<style nonce="${input.nonce}">${STYLE}</style>
</head>
<body>
<main>
  <h1 class="bad" id="error">${escapeHtml(input.title)}</h1>
  <p>${escapeHtml(input.message)}</p>
</main>
</body>
</html>
`;
}
