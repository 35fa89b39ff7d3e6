import nodemailer from 'nodemailer';
import type { User } from '../db/repo.js';

/** Where the SMTP server is. */
export interface MailerOptions {
  host: string;
  port: number;
  /** The sender address. @default 'welcome@actorkit.local' */
  from?: string;
  /** Ms to wait for the SMTP server to answer a connection. @default 2000 */
  connectionTimeout?: number;
}

/** Sends mail over plain SMTP. */
export interface Mailer {
  sendWelcomeEmail(user: User): Promise<void>;
  close(): void;
}

/** A sending failure, carrying whom the mail was for so the loss can be logged. */
export class WelcomeEmailError extends Error {
  override readonly name = 'WelcomeEmailError';

  constructor(
    readonly to: string,
    override readonly cause: unknown,
  ) {
    super(`welcome email to ${to} lost: ${cause instanceof Error ? cause.message : String(cause)}`);
  }

  static is(value: unknown): value is WelcomeEmailError {
    return value instanceof WelcomeEmailError;
  }
}

/** A mailer for the SMTP server at `options.host:port` (plain SMTP, no TLS: local only). */
export function createMailer(options: MailerOptions): Mailer {
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: options.connectionTimeout ?? 2000,
  });
  const from = options.from ?? 'welcome@actorkit.local';
  return {
    async sendWelcomeEmail(user: User): Promise<void> {
      try {
        await transport.sendMail({
          from,
          to: user.email,
          subject: `Welcome, ${user.name}!`,
          text: `Hi ${user.name},\n\nyour account is ready. Glad to have you.\n`,
        });
      } catch (error) {
        throw new WelcomeEmailError(user.email, error);
      }
    },
    close: () => transport.close(),
  };
}
