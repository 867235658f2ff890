import { once } from "node:events";
import { readFileSync } from "node:fs";
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls, getCACertificates } from "node:tls";
import { AuditfeedError } from "../../errors.ts";
import { isHandshakeRefused, isUntrustedCertificate, type TlsProbe } from "../../net/reachability.ts";

export interface SyslogEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly caFile: string | undefined;
  /** PEM holding the client certificate and its private key (mutual TLS). */
  readonly clientCertificate: string | undefined;
}

/**
 * One TCP (or TLS) stream to the receiver, opened on first use and again after any failure. A write resolves when
 * its bytes are handed to the kernel, which goes on sending them even if this process dies right after.
 */
export class SyslogConnection {
  readonly #endpoint: SyslogEndpoint;
  readonly #tls: TlsProbe;
  #socket: Socket | undefined;
  #failure: Error | undefined;

  constructor(endpoint: SyslogEndpoint) {
    this.#endpoint = endpoint;
    this.#tls = syslogTls(endpoint);
  }

  async write(payload: string, signal: AbortSignal): Promise<void> {
    const socket = await this.#connected(signal);
    const abort = (): void => {
      socket.destroy(signal.reason as Error);
    };
    signal.addEventListener("abort", abort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.write(payload, (error) => (error ? reject(error) : resolve()));
      });
      if (this.#failure !== undefined) throw this.#failure;
    } catch (error) {
      this.#drop();
      throw error;
    } finally {
      signal.removeEventListener("abort", abort);
    }
  }

  close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    // end() sends what is buffered, then FIN; the receiver keeps every complete frame.
    return new Promise((resolve) => socket.end(resolve));
  }

  async #connected(signal: AbortSignal): Promise<Socket> {
    if (this.#socket !== undefined && !this.#socket.destroyed && this.#failure === undefined) return this.#socket;
    this.#drop();
    const { host, port, tls } = this.#endpoint;
    const socket = tls ? connectTls({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...this.#tls }) : connectTcp({ host, port });
    const ready = tls ? "secureConnect" : "connect";
    try {
      await once(socket, ready, { signal });
    } catch (error) {
      socket.destroy();
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && isHandshakeRefused(code)) {
        throw new AuditfeedError(
          "AF_ERR_TLS",
          `The syslog receiver ${host}:${port} refused the TLS handshake (${code}): check sinkClientCertificate (a certificate for client authentication, signed by a CA the receiver trusts).`,
          { cause: error },
        );
      }
      if (typeof code === "string" && isUntrustedCertificate(code)) {
        throw new AuditfeedError(
          "AF_ERR_TLS",
          `The TLS certificate of the syslog receiver ${host}:${port} is not trusted (${code}): give the CA that signed it with sinkCaFile (--sink-ca-file).`,
          { cause: error },
        );
      }
      throw error;
    }
    // A receiver that closes or resets the stream fails the next write, which reconnects and sends the batch again.
    socket.on("error", (error) => {
      this.#failure ??= error;
    });
    socket.on("close", () => {
      this.#failure ??= new Error("the receiver closed the connection");
    });
    socket.setNoDelay(true);
    // Nothing is expected from the receiver; reading (and dropping) is what makes its FIN surface as 'close'.
    socket.resume();
    this.#socket = socket;
    this.#failure = undefined;
    return socket;
  }

  #drop(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
    this.#failure = undefined;
  }
}

/** The TLS settings of a connection to `endpoint` (also what doctor's check shakes hands with): its CA, client certificate and version. */
export function syslogTls(endpoint: Pick<SyslogEndpoint, "caFile" | "clientCertificate">): TlsProbe {
  const pem = endpoint.clientCertificate === undefined ? undefined : readPem(endpoint.clientCertificate, "sinkClientCertificate");
  return {
    ...(endpoint.caFile === undefined ? {} : { ca: [...getCACertificates("default"), readPem(endpoint.caFile, "sinkCaFile")] }),
    // With a client certificate, TLS 1.2: its handshake ends only after the receiver accepted the certificate, whereas
    // TLS 1.3 reports the connection ready first and a refusal would come after the batch was written, and lost.
    ...(pem === undefined ? {} : { cert: pem, key: pem, maxVersion: "TLSv1.2" as const }),
  };
}

function readPem(path: string, option: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new AuditfeedError(
      "AF_ERR_CONFIG",
      `The file ${path} (${option}) cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}): give a PEM file.`,
      {
        cause: error,
      },
    );
  }
}
