import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  data: string;
}

/**
 * A real SMTP server on loopback that keeps every message it accepts. `replies` are the codes
 * it answers the next recipients with, one each (421 busy, 550 no such mailbox, …), before it
 * accepts again; `recipients` counts every RCPT TO it was sent.
 */
export async function startSmtpServer(options: { replies?: number[] } = {}) {
  const mails: ReceivedMail[] = [];
  const replies = [...(options.replies ?? [])];
  const seen = { recipients: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(_address, _session, callback) {
      seen.recipients++;
      const code = replies.shift();
      if (code === undefined) return callback();
      const error = new Error(code < 500 ? "Try again later" : "No such mailbox") as Error & {
        responseCode: number;
      };
      error.responseCode = code;
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    get recipients() {
      return seen.recipients;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
