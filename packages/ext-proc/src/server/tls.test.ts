import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EnvoyLikeClient } from '../client/envoy-like-client.js';
import { startExtProcServer } from './ext-proc-server.js';
import { loadCertificateDir, selfSignedCertificate, TlsConfigError } from './tls.js';

describe('TLS serving', () => {
  test('a missing certificate directory is a clear error', () => {
    assert.throws(
      () => loadCertificateDir('/nonexistent/certs'),
      (e: unknown) => e instanceof TlsConfigError && /missing .*tls\.crt/.test((e as Error).message),
    );
  });

  test('serves with a certificate loaded from --cert-path (tls.crt + tls.key)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igw-cert-'));
    try {
      const pair = await selfSignedCertificate('ext-proc.test');
      writeFileSync(join(dir, 'tls.crt'), pair.cert);
      writeFileSync(join(dir, 'tls.key'), pair.key);
      const srv = await startExtProcServer({
        port: 0,
        host: '127.0.0.1',
        secure: true,
        certPath: dir,
        processor: { onRequest: () => ({ setHeaders: [['x-tls', 'ok']] }) },
      });
      assert.equal(srv.certificate?.cert, pair.cert);
      const client = new EnvoyLikeClient({ address: `127.0.0.1:${srv.port}`, secure: true });
      const r = await client.process({ headers: { ':method': 'POST' }, body: '{}' });
      assert.equal(r.request.header('x-tls'), 'ok');
      client.close();
      await srv.stop(500);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a plaintext client cannot talk to the secure default', async () => {
    const srv = await startExtProcServer({
      port: 0,
      host: '127.0.0.1',
      secure: true,
      processor: { onRequest: () => ({}) },
    });
    assert.ok(srv.certificate?.cert.includes('BEGIN CERTIFICATE'));
    const client = new EnvoyLikeClient({
      address: `127.0.0.1:${srv.port}`,
      secure: false,
      messageTimeoutMs: 2000,
    });
    const r = await client.process({ headers: {}, body: '{}' }).catch((e: Error) => e);
    assert.ok(r instanceof Error || r.outcome === 'grpc-error');
    client.close();
    await srv.stop(500);
  });
});
