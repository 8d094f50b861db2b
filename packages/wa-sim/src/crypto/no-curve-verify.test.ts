import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Curve } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, sign, verifySignature } from './curve.js';

const srcDir = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('signature checks', () => {
  it('the sim never calls Baileys Curve.verify (it accepts any well-formed signature in rc14)', () => {
    // Comments may name the rule; code may not use it.
    const code = (f: string) =>
      readFileSync(f, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
    const offenders = sources(srcDir).filter((f) =>
      /\bCurve\s*\.\s*verify\b|\{[^}]*\bverify\b[^}]*\}\s*=\s*Curve/.test(code(f)),
    );
    expect(offenders).toEqual([]);
  });

  it('our verifySignature rejects what Curve.verify accepts', () => {
    const kp = generateKeyPair();
    const msg = Buffer.from('hello');
    const good = sign(kp.private, msg);
    const random = Buffer.alloc(64, 7);
    expect(verifySignature(kp.public, msg, good)).toBe(true);
    expect(verifySignature(kp.public, msg, random)).toBe(false);
    expect(verifySignature(generateKeyPair().public, msg, good)).toBe(false);
    // The reason for the rule: Baileys' own check passes a random signature.
    expect(Curve.verify(kp.public, msg, random)).toBe(true);
  });
});
