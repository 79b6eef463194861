import { describeEndpoint, type HostConfig } from "../config/types.js";
import { DvolError, HostError, type HostFailure } from "../errors.js";

const UNKNOWN_CA = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
]);

/** What the user reads for each failure, and what to do about it. */
const TEXT: Record<HostFailure, [string, string]> = {
  refused: ["connection refused", "Is the engine running and listening on that address and port?"],
  timeout: ["timed out", "The host did not answer in time: check the network path, or raise timeoutSeconds."],
  unreachable: ["host unreachable", "Check the network path to the host."],
  dns: ["host name not found", "Check the host's url in the config."],
  "tls-unknown-ca": [
    "TLS: the server's certificate is not signed by the configured CA (unknown CA)",
    "Check tls.ca: it must be the CA that signed the engine's --tlscert.",
  ],
  "tls-certificate-required": [
    "TLS: the engine requires a client certificate and did not accept ours (certificate required)",
    "Check tls.cert and tls.key: they must be signed by the CA the engine trusts (--tlscacert).",
  ],
  "tls-bad-certificate": [
    "TLS: the engine rejected our client certificate (bad certificate or unknown CA)",
    "Check tls.cert and tls.key: they must be signed by the CA the engine trusts (--tlscacert).",
  ],
  "tls-name-mismatch": [
    "TLS: the server's certificate does not match the host name (name mismatch)",
    "Set tls.serverName to a name in the certificate, or issue a certificate for this address.",
  ],
  "tls-expired": ["TLS: a certificate has expired or is not yet valid", "Renew the certificate."],
  tls: ["TLS handshake failed", "Check the host's TLS material and the engine's --tls* flags."],
  protocol: ["the host did not answer as a Docker engine does", "Check the host's url and port."],
  api: ["the engine answered with an error", ""],
};

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  if (typeof e?.code === "string") return e.code;
  if (typeof e?.cause?.code === "string") return e.cause.code;
  return undefined;
}

function failureOf(err: unknown): HostFailure {
  const code = codeOf(err) ?? "";
  const name = (err as Error | null)?.name;
  if (name === "TimeoutError" || code === "ETIMEDOUT" || code === "ESOCKETTIMEDOUT") return "timeout";
  if (code === "ECONNREFUSED" || code === "ENOENT") return "refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "dns";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "EACCES") return "unreachable";
  if (UNKNOWN_CA.has(code)) return "tls-unknown-ca";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code === "HOSTNAME_MISMATCH") return "tls-name-mismatch";
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") return "tls-expired";
  if (code === "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED") return "tls-certificate-required";
  if (/^ERR_SSL_(SSLV3|TLSV1)_ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN)$/.test(code)) {
    return "tls-bad-certificate";
  }
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG") return "protocol";
  if (code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS")) return "tls";
  if (typeof (err as { statusCode?: unknown } | null)?.statusCode === "number") return "api";
  return "protocol";
}

/** The engine's own message from an error answer (`{"message": "..."}`). */
function engineMessage(err: unknown): string {
  const json = (err as { json?: unknown } | null)?.json;
  if (json && typeof json === "object" && typeof (json as { message?: unknown }).message === "string") {
    return (json as { message: string }).message;
  }
  return (err as Error | null)?.message ?? String(err);
}

/** Turns whatever a call to a host threw into a HostError that names the host and the cause. */
export function classifyFailure(host: HostConfig, err: unknown): DvolError {
  if (err instanceof DvolError) return err;
  const failure = failureOf(err);
  const where = describeEndpoint(host.endpoint);
  if (failure === "api") {
    const statusCode = (err as { statusCode: number }).statusCode;
    return new HostError(host.name, "api", `engine error ${statusCode}: ${engineMessage(err)}`, {
      cause: err,
      statusCode,
    });
  }
  const [text, hint] = TEXT[failure];
  const detail =
    failure === "timeout"
      ? `${text}: no answer from ${where} within ${host.timeoutMs / 1000} s`
      : host.endpoint.kind === "socket" && codeOf(err) === "ENOENT"
        ? `no Docker socket at ${host.endpoint.path}`
        : `${text} (${where})`;
  return new HostError(host.name, failure, detail, { cause: err, hint: hint || undefined });
}
