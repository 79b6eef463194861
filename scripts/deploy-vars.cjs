// Values of serverless.yml that plain variables cannot compute: osls calls this module's function
// for `${file(./scripts/deploy-vars.cjs)}` (custom.deploy) with its variable resolver, while it
// packages, offline and without AWS credentials. Everything here only reads the parameters and the
// config file; a bad parameter or config fails packaging with a message naming it.
//
// - hostSecretArns: the SSM parameters the worker and report functions read: the bot token and
//   every `ssm:` reference of the config's hosts (hosts[].tls.ca|cert|key), as ARNs. Each must lie
//   under ssmPath: a reference elsewhere (a typo, another stage's path, another team's parameter)
//   fails packaging instead of being granted.
// - vpc: the worker's and report's `vpc:` from subnetIds and securityGroupIds (both or neither),
//   or false (no VpcConfig at all).
// - reportAlarmEvaluationPeriods: the hours the "no daily report" alarm looks back, so that it
//   goes off at reportDeadlineHour when the day's report (scheduled at reportHour) is missing.
// - backup: the bucket of backups from the config's `backup:` (README "Backups"): its name
//   (backup.bucket, else CloudFormation names it), the days a backup is kept (backup.keepDays,
//   default 30: the lifecycle rule) and the KMS key of its encryption (the backupKmsKeyArn
//   parameter, else backup.kmsKeyId; empty: SSE-S3).
const fs = require("node:fs");
const path = require("node:path");
const { parse } = require("yaml");

const ROOT = path.resolve(__dirname, "..");
const SSM_NAME = /^\/[A-Za-z0-9_.\-/]+$/;

class DeployParamError extends Error {
  constructor(message) {
    super(message);
    // osls prints a failing resolver's `stack`: the message alone says what to fix.
    this.stack = message;
  }
}

/** `arn:…:parameter/<name>` for CloudFormation, in the stack's partition, region and account. */
function ssmArn(name) {
  return { "Fn::Sub": `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}` };
}

/** The `ssm:` references of the config's hosts, as [where, parameter name] in config order. */
function ssmReferences(configText, configPath) {
  let config;
  try {
    config = parse(configText);
  } catch (e) {
    throw new DeployParamError(`${configPath}: not valid YAML: ${e.message}`);
  }
  const hosts = Array.isArray(config?.hosts) ? config.hosts : [];
  const refs = [];
  hosts.forEach((host, i) => {
    const tls = host?.tls;
    if (!tls || typeof tls !== "object") return;
    for (const key of ["ca", "cert", "key"]) {
      const v = tls[key];
      if (typeof v === "string" && v.startsWith("ssm:")) {
        const where = `hosts[${i}]${typeof host.name === "string" ? ` (${host.name})` : ""}.tls.${key}`;
        refs.push([where, v.slice(4)]);
      }
    }
  });
  return refs;
}

/** The config file parsed, or null when there is none (dvol then has the one local host). */
function readConfig(configPath) {
  const file = path.resolve(ROOT, configPath);
  if (!fs.existsSync(file)) return null;
  try {
    return parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new DeployParamError(`${configPath}: not valid YAML: ${e.message}`);
  }
}

/** The bucket of backups' name, retention and KMS key, from the config and backupKmsKeyArn. */
function backup({ configPath, backupKmsKeyArn }) {
  const b = readConfig(configPath)?.backup ?? {};
  const bucket = typeof b?.bucket === "string" && b.bucket !== "" ? b.bucket : null;
  const keepDays = b?.keepDays ?? 30;
  if (!Number.isInteger(keepDays) || keepDays <= 0 || keepDays > 3650) {
    throw new DeployParamError(
      `${configPath}: backup.keepDays: expected whole days, 1 to 3650, got "${keepDays}"`,
    );
  }
  const fromConfig = typeof b?.kmsKeyId === "string" ? b.kmsKeyId : "";
  const kmsKey = String(backupKmsKeyArn ?? "").trim() || fromConfig;
  if (kmsKey !== "" && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(kmsKey)) {
    throw new DeployParamError(
      `backupKmsKeyArn (or backup.kmsKeyId): expected a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), got "${kmsKey}"`,
    );
  }
  return { bucketName: bucket ?? { Ref: "AWS::NoValue" }, keepDays, kmsKey };
}

function hostSecretArns({ ssmPath, configPath }) {
  const names = [`${ssmPath}/slack/bot-token`];
  const file = path.resolve(ROOT, configPath);
  // No config file: dvol has the one local host and reads no host secret (scripts/package.mjs warns).
  if (fs.existsSync(file)) {
    for (const [where, name] of ssmReferences(fs.readFileSync(file, "utf8"), configPath)) {
      if (!SSM_NAME.test(name)) {
        throw new DeployParamError(`${configPath}: ${where}: "ssm:${name}" is not an SSM parameter name`);
      }
      if (!name.startsWith(`${ssmPath}/`)) {
        throw new DeployParamError(
          `${configPath}: ${where}: "ssm:${name}" is outside ssmPath (${ssmPath}); the functions may ` +
            `read only parameters under it. Move the parameter under ${ssmPath}/, or deploy with ` +
            `--param="ssmPath=…" naming the path that holds it.`,
        );
      }
      if (!names.includes(name)) names.push(name);
    }
  }
  return names.map(ssmArn);
}

function idList(value, param, pattern) {
  const ids = String(value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = ids.filter((id) => !pattern.test(id));
  if (bad.length > 0) throw new DeployParamError(`${param}: ${bad.join(", ")}: not ${pattern.source} IDs`);
  return ids;
}

function vpc({ subnetIds, securityGroupIds }) {
  const subnets = idList(subnetIds, "subnetIds", /^subnet-[0-9a-f]+$/);
  const groups = idList(securityGroupIds, "securityGroupIds", /^sg-[0-9a-f]+$/);
  if (subnets.length === 0 && groups.length === 0) return false;
  if (subnets.length === 0 || groups.length === 0) {
    throw new DeployParamError(
      "subnetIds and securityGroupIds go together: give both (comma-separated) to run the worker " +
        "and report functions in a VPC, or neither",
    );
  }
  return { subnetIds: subnets, securityGroupIds: groups };
}

function hour(value, param) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 23 || String(value).trim() === "") {
    throw new DeployParamError(`${param}: expected an hour of the day, 0 to 23 (UTC), got "${value}"`);
  }
  return n;
}

/**
 * The alarm sums DailyReportPosted per clock hour and goes off when N hours in a row hold none.
 * The report lands in the hour starting at reportHour; N = 23 + (deadline - reportHour) hours after
 * yesterday's report's hour ends is the deadline today, while the window always still holds
 * yesterday's report until today's is due. At least 2 hours apart, so that retries (minutes) and
 * metric delivery (a minute or two) never make a posted report look missing.
 */
function reportAlarmEvaluationPeriods({ reportHour, reportDeadlineHour }) {
  const start = hour(reportHour, "reportHour");
  const deadline = hour(reportDeadlineHour, "reportDeadlineHour");
  const after = (deadline - start + 24) % 24;
  if (after < 2) {
    throw new DeployParamError(
      `reportDeadlineHour (${deadline}) must be at least 2 hours after reportHour (${start}), UTC`,
    );
  }
  return 23 + after;
}

module.exports = async ({ resolveVariable }) => {
  const param = (name) => resolveVariable(`param:${name}`);
  const p = {
    ssmPath: await param("ssmPath"),
    configPath: await param("config"),
    subnetIds: await param("subnetIds"),
    securityGroupIds: await param("securityGroupIds"),
    reportHour: await param("reportHour"),
    reportDeadlineHour: await param("reportDeadlineHour"),
    backupKmsKeyArn: await param("backupKmsKeyArn"),
  };
  if (typeof p.ssmPath !== "string" || !SSM_NAME.test(p.ssmPath) || p.ssmPath.endsWith("/")) {
    throw new DeployParamError(
      `ssmPath: expected an SSM path like /dvol/prod (no trailing /), got "${p.ssmPath}"`,
    );
  }
  return {
    hostSecretArns: hostSecretArns(p),
    vpc: vpc(p),
    reportAlarmEvaluationPeriods: reportAlarmEvaluationPeriods(p),
    backup: backup(p),
  };
};
module.exports.DeployParamError = DeployParamError;
