// Database passwords in the store are sealed (AES-256-GCM) with a key only the controller
// holds: `<dir>/database-key` (32 random bytes, 0600, made on first use). The store alone
// (a copy of store.db, an etcd snapshot) gives no password back. Controllers of one farm
// must share the file (cluster mode copies it like the admin token).

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../lib/atomic-file.ts';

export interface DatabaseSecrets {
  seal(plain: string): string;
  /** Throws when the text was sealed with another key or altered. */
  open(sealed: string): string;
}

const VERSION = 'v1';

export async function openDatabaseSecrets(dir: string): Promise<DatabaseSecrets> {
  const file = path.join(dir, 'database-key');
  let key = await readFile(file).catch(() => undefined);
  if (!key || key.length !== 32) {
    key = randomBytes(32);
    await writeFileAtomic(file, key, { mode: 0o600 });
  }
  return databaseSecrets(key);
}

export function databaseSecrets(key: Buffer): DatabaseSecrets {
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed database password');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
