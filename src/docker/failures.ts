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

/** A property of whatever was thrown (an Error, a DOMException, an HTTP client's plain object). */
function field(err: unknown, key: string): unknown {
  return err !== null && typeof err === "object" ? Reflect.get(err, key) : undefined;
}

function codeOf(err: unknown): string | undefined {
  const own = field(err, "code");
  if (typeof own === "string") return own;
  const cause = field(field(err, "cause"), "code");
  return typeof cause === "string" ? cause : undefined;
}

function failureOf(err: unknown): HostFailure {
  const code = codeOf(err) ?? "";
  const name = field(err, "name");
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
  if (typeof field(err, "statusCode") === "number") return "api";
  return "protocol";
}

/** The engine's own message in an error answer (`{"message": "..."}`), or undefined. */
/** How a dvol gate's 403 answers begin (src/gate/server.ts). */
const GATE_REFUSAL = "dvol gate: refused: ";

function engineMessage(json: unknown): string | undefined {
  if (json && typeof json === "object" && "message" in json && typeof json.message === "string") {
    return json.message || undefined;
  }
  return undefined;
}

/**
 * An engine's answer with a status the call does not accept: a HostError (api) that keeps the
 * status (a 404 is "no such volume" to the caller) and says the engine's own message.
 */
export function engineAnswerError(
  host: HostConfig,
  statusCode: number,
  json: unknown,
  options: { cause?: unknown; fallback?: string } = {},
): HostError {
  const message = engineMessage(json) ?? (options.fallback || `HTTP ${statusCode}`);
  const cause = options.cause === undefined ? {} : { cause: options.cause };
  // A dvol gate's refusal (README "The gate"): not the engine's error, and the fix is the gate's config.
  if (statusCode === 403 && message.startsWith(GATE_REFUSAL)) {
    return new HostError(host.name, "api", `the dvol gate refused: ${message.slice(GATE_REFUSAL.length)}`, {
      ...cause,
      statusCode,
      hint: "The gate in front of this host decides what each client certificate may do (clients in its gate.yaml); its audit has the line.",
    });
  }
  return new HostError(host.name, "api", `engine error ${statusCode}: ${message}`, { ...cause, statusCode });
}

/** Turns whatever a call to a host threw into a HostError that names the host and the cause. */
export function classifyFailure(host: HostConfig, err: unknown): DvolError {
  if (err instanceof DvolError) return err;
  const failure = failureOf(err);
  const where = describeEndpoint(host.endpoint);
  const statusCode = field(err, "statusCode");
  if (failure === "api" && typeof statusCode === "number") {
    // An HTTP client's error answer: { statusCode, json?, message }.
    const message = field(err, "message");
    return engineAnswerError(host, statusCode, field(err, "json"), {
      cause: err,
      fallback: typeof message === "string" ? message : "",
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
