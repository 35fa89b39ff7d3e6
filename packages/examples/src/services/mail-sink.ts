import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A mail the sink received. */
export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  /** The whole message as sent (headers and body). */
  raw: string;
}

/** A running mail sink. */
export interface MailSink {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly received: readonly ReceivedMail[];
  /** Resolves once `count` mails have arrived; rejects after `timeout` ms. */
  waitFor(count: number, timeout?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on 127.0.0.1 that accepts every mail and keeps it: where the
 * welcome emails go. Plain SMTP, no auth, no TLS: it never leaves the machine.
 */
export async function startMailSink(port = 0): Promise<MailSink> {
  const received: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '',
          raw,
        });
        for (const wake of waiters) wake();
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port: bound,
    received,
    waitFor: (count, timeout = 5000) => waitForMail(received, waiters, count, timeout),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function waitForMail(
  received: ReceivedMail[],
  waiters: Set<() => void>,
  count: number,
  timeout: number,
): Promise<ReceivedMail[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (received.length < count) return;
      cleanUp();
      resolve([...received]);
    };
    const timer = setTimeout(() => {
      cleanUp();
      reject(new Error(`expected ${count} mails within ${timeout} ms, got ${received.length}`));
    }, timeout);
    const cleanUp = () => {
      clearTimeout(timer);
      waiters.delete(check);
    };
    waiters.add(check);
    check();
  });
}
