// Server credentials: a certificate directory (tls.crt + tls.key, the upstream --cert-path layout) or a
// self-signed certificate made at start (upstream --secure-serving default). EC P-256 keeps start-up fast.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { generate } from 'selfsigned';

export interface CertificatePair {
  cert: string;
  key: string;
}

export class TlsConfigError extends Error {
  override name = 'TlsConfigError';
}

/** Read `<dir>/tls.crt` and `<dir>/tls.key`; throws TlsConfigError naming the missing or unreadable file. */
export function loadCertificateDir(dir: string): CertificatePair {
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  for (const f of [certFile, keyFile]) {
    if (!existsSync(f)) throw new TlsConfigError(`certificate path ${dir}: missing ${f}`);
  }
  try {
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } catch (err) {
    throw new TlsConfigError(`certificate path ${dir}: ${(err as Error).message}`);
  }
}

/** A fresh self-signed certificate for localhost / 127.0.0.1, valid for one year. */
export async function selfSignedCertificate(commonName = 'localhost'): Promise<CertificatePair> {
  const notBefore = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: new Date(notBefore.getTime() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: commonName },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface SecurityOptions {
  secure: boolean;
  /** Directory with tls.crt and tls.key; when absent and secure, a self-signed certificate is made. */
  certPath?: string | undefined;
}

export async function serverCredentials(opts: SecurityOptions): Promise<{
  credentials: ServerCredentials;
  certificate?: CertificatePair;
}> {
  if (!opts.secure) return { credentials: ServerCredentials.createInsecure() };
  const certificate =
    opts.certPath !== undefined && opts.certPath !== ''
      ? loadCertificateDir(opts.certPath)
      : await selfSignedCertificate();
  const credentials = ServerCredentials.createSsl(
    null,
    [{ cert_chain: Buffer.from(certificate.cert), private_key: Buffer.from(certificate.key) }],
    false,
  );
  return { credentials, certificate };
}
