// `npm run package` (scripts/package.mjs) with no AWS credentials, no AWS config and, where this
// runs as root, no network at all (its own network namespace): the CloudFormation template and the
// zips it writes to .serverless/ are what serverless.yml promises (SPEC §7, issues 3 and 8). Packaged
// three ways: with the defaults; with a VPC, a config whose hosts have ssm: keys, an alarm e-mail
// and other parameters; and with parameters that must be refused.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readZip } from "../../scripts/zip.mjs";
import { uploadShape } from "../../src/backup/open.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const OUT = path.join(ROOT, ".serverless");
const DEADLINE_MS = 240_000;

// Put in the packaging environment: neither may appear anywhere in what is packaged.
const CANARY_SECRET = `canary-signing-${randomBytes(8).toString("hex")}`;
const CANARY_TOKEN = `xoxb-canary-${randomBytes(8).toString("hex")}`;

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

type Template = { Resources: Record<string, Resource>; Outputs: Record<string, Json>; Conditions?: Json };
let template: Template;
let templateText: string;
let log: string;
const home = mkdtempSync(path.join(tmpdir(), "dvol-package-home-"));

function canIsolateNetwork(): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  return spawnSync("unshare", ["-n", "true"]).status === 0;
}

function runPackage(options: string[] = []): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  Object.assign(env, {
    SLACK_SIGNING_SECRET: CANARY_SECRET,
    SLACK_BOT_TOKEN: CANARY_TOKEN,
    // An empty home: no ~/.aws, and osls's cache (~/.serverless) stays out of the user's.
    HOME: home,
    DVOL_PACKAGE_TIMEOUT_SECONDS: "180",
  });
  const script = path.join(ROOT, "scripts/package.mjs");
  const [cmd, args] = canIsolateNetwork()
    ? ["unshare", ["-n", process.execPath, script, ...options]]
    : [process.execPath, [script, ...options]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS - 10_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The inline policy statements of a role, with Fn::If [cond, stmt, NoValue] shown as {when, allow}. */
function statements(roleId: string): (Statement | { when: string; allow: Statement })[] {
  const role = template.Resources[roleId];
  expect(role?.Type).toBe("AWS::IAM::Role");
  const policies = role?.Properties.Policies as { PolicyDocument: { Statement: unknown[] } }[];
  expect(policies).toHaveLength(1);
  expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
  return (policies[0]?.PolicyDocument.Statement ?? []).map((s) => {
    const cond = (s as Json)["Fn::If"] as [string, Statement, unknown] | undefined;
    if (!cond) return s as Statement;
    expect(cond[2]).toEqual({ Ref: "AWS::NoValue" });
    return { when: cond[0], allow: cond[1] };
  });
}

/** Packages the Slack handler must not bundle, each with a file of it and a string of its own code. */
const MARKERS = {
  "@slack/socket-mode": [
    "dist/src/SocketModeClient.js",
    "The Socket Mode client has successfully initialized",
  ],
  ws: ["lib/websocket.js", "WebSocket is not open: readyState"],
  "@slack/oauth": ["dist/install-provider.js", "You must provide a valid clientId and clientSecret"],
  express: ["lib/application.js", "x-powered-by"],
  "iconv-lite": ["lib/index.js", "Encoding not recognized"],
  // Bolt's HTTP receivers' custom routes (scripts/esbuild-plugins.cjs stubs the receivers).
  "path-to-regexp": ["dist/index.js", "Missing parameter name"],
} as const satisfies Record<string, readonly [string, string]>;

/**
 * Bolt's own receivers and HTTP helpers (stubbed by scripts/esbuild-plugins.cjs: the handler passes
 * its own receiver), each with a string of its code.
 */
const BOLT_MARKERS = {
  AwsLambdaReceiver: "AWS event: ",
  ExpressReceiver: "Failed to read request body",
  HTTPReceiver: "Failed to parse and verify the request data",
  SocketModeReceiver: "Failed to shutdown the HTTP server for OAuth flow",
  HTTPModuleFunctions: "An unhandled error occurred after ack() called in a listener",
  HTTPResponseAck: "ack() response stored",
} as const;

/**
 * Issue 9: the Slack handler's bundle no larger than before the structured logger was added,
 * 317 KB, in bytes (1 KB = 1,000 bytes).
 */
const SLACK_BUNDLE_MAX_BYTES = 317_000;

const sub = (s: string) => ({ "Fn::Sub": s });
const logsOf = (fn: string, stage = "dev") => ({
  Effect: "Allow",
  Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
  Resource: sub(
    `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/dvol-${stage}-${fn}:*`,
  ),
});
const ssmParam = (name: string) =>
  sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`);
const cmkDecrypt = {
  when: "UseCmk",
  allow: {
    Effect: "Allow",
    Action: "kms:Decrypt",
    Resource: "",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
    Condition: { StringEquals: { "kms:ViaService": sub("ssm.${AWS::Region}.amazonaws.com") } },
  },
};
const table = { "Fn::GetAtt": ["DvolTable", "Arn"] };
const workerTable = [
  {
    Effect: "Allow",
    Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"],
    Resource: table,
  },
  {
    Effect: "Allow",
    Action: "dynamodb:Query",
    Resource: { "Fn::Join": ["", [table, "/index/byCreated"]] },
  },
  // Audit records are never deleted or changed by the worker, whatever its code does.
  {
    Effect: "Deny",
    Action: [
      "dynamodb:DeleteItem",
      "dynamodb:UpdateItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:PartiQLDelete",
      "dynamodb:PartiQLUpdate",
    ],
    Resource: table,
    Condition: { "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": ["AUDIT#*"] } },
  },
];
// The report's own items only: its claims and memos (src/store/dynamo.ts keys).
const reportTable = {
  Effect: "Allow",
  Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
  Resource: table,
  Condition: {
    "ForAllValues:StringLike": {
      "dynamodb:LeadingKeys": [
        "CLAIM#report#*",
        "MEMO#report-posted#*",
        "MEMO#report-list|*",
        "MEMO#dangling|*",
      ],
    },
  },
};
// Remembered sizes and the report's history of them, and the claim of a measurement (issue 12).
const reportSizes = {
  Effect: "Allow",
  Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"],
  Resource: table,
  Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["SIZES#*", "CLAIM#sizes#*"] } },
};
// What Lambda needs to attach a function to subnets (its network interfaces), only with UseVpc.
const vpcAccess = [
  {
    when: "UseVpc",
    allow: {
      Effect: "Allow",
      Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
      Resource: "*",
    },
  },
  {
    when: "UseVpc",
    allow: {
      Effect: "Allow",
      Action: [
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
      Resource: sub("arn:${AWS::Partition}:ec2:${AWS::Region}:*:*"),
    },
  },
];
const failureQueue = (id: string) => ({
  Effect: "Allow",
  Action: "sqs:SendMessage",
  Resource: { "Fn::GetAtt": [id, "Arn"] },
});
/** The worker invokes itself, by name, to hand an execution over near its deadline. */
const selfInvoke = (stage: string) => ({
  Effect: "Allow",
  Action: "lambda:InvokeFunction",
  Resource: sub(
    `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:dvol-${stage}-worker`,
  ),
});
const bucketArn = { "Fn::GetAtt": ["BackupBucket", "Arn"] };
/** The worker alone reads and writes the backups under backups/, and lists that prefix; nothing deletes. */
const workerBackups = [
  {
    Effect: "Allow",
    Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
    Resource: { "Fn::Join": ["", [bucketArn, "/backups/*"]] },
  },
  {
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: bucketArn,
    Condition: { StringLike: { "s3:prefix": ["backups/*"] } },
  },
];
/** The bucket's KMS key, through S3 only (with backupKmsKeyArn or backup.kmsKeyId). */
const backupCmk = (key: string) => ({
  when: "UseBackupCmk",
  allow: {
    Effect: "Allow",
    Action: ["kms:GenerateDataKey", "kms:Decrypt"],
    Resource: key,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
    Condition: { StringEquals: { "kms:ViaService": sub("s3.${AWS::Region}.amazonaws.com") } },
  },
});
const FUNCTIONS = {
  slack: "SlackLambdaFunction",
  worker: "WorkerLambdaFunction",
  report: "ReportLambdaFunction",
};
const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
/** A condition of the template that holds: `Fn::Not [Fn::Equals [value, ""]]` with a value. */
const holds = (name: string) => {
  const c = template.Conditions?.[name] as { "Fn::Not": [{ "Fn::Equals": [string, string] }] };
  expect(c["Fn::Not"][0]["Fn::Equals"][1]).toBe("");
  return c["Fn::Not"][0]["Fn::Equals"][0] !== "";
};

async function packageOrThrow(args: string[] = []): Promise<void> {
  const { code, output } = await runPackage(args);
  log = output;
  if (code !== 0) throw new Error(`scripts/package.mjs exited ${code}:\n${output}`);
  templateText = readFileSync(path.join(OUT, "cloudformation-template-update-stack.json"), "utf8");
  template = JSON.parse(templateText);
}

let scratch: string | undefined;
/** A folder inside the repository (a config is packaged by its path relative to it), made on first use. */
const scratchFile = (name: string) => {
  scratch ??= mkdtempSync(path.join(ROOT, ".serverless-test-"));
  return path.relative(ROOT, path.join(scratch, name));
};

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("npm run package", () => {
  beforeAll(() => packageOrThrow(), DEADLINE_MS);

  it("type-checks first, then packages with osls", () => {
    expect(log).toMatch(/tsc --noEmit[\s\S]*osls package/);
    expect(log).toContain("Service packaged");
  });

  it("has the three functions on Node 24, with the handlers, timeouts, roles and concurrency of serverless.yml", () => {
    expect(template.Resources.SlackLambdaFunction?.Properties).toMatchObject({
      Handler: "handlers/slack.handler",
      Runtime: "nodejs24.x",
      Timeout: 10,
      FunctionName: "dvol-dev-slack",
      Role: { "Fn::GetAtt": ["SlackRole", "Arn"] },
    });
    expect(template.Resources.WorkerLambdaFunction?.Properties).toMatchObject({
      Handler: "handlers/worker.handler",
      Runtime: "nodejs24.x",
      Timeout: 120,
      FunctionName: "dvol-dev-worker",
      Role: { "Fn::GetAtt": ["WorkerRole", "Arn"] },
      ReservedConcurrentExecutions: 10,
    });
    expect(template.Resources.ReportLambdaFunction?.Properties).toMatchObject({
      Handler: "handlers/report.handler",
      Runtime: "nodejs24.x",
      Timeout: 900,
      FunctionName: "dvol-dev-report",
      Role: { "Fn::GetAtt": ["ReportRole", "Arn"] },
      ReservedConcurrentExecutions: 1,
    });
    expect(template.Resources.SlackLambdaFunction?.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(ofType("AWS::Lambda::Function")).toHaveLength(3);
  });

  it("logs every function as JSON (application INFO, system WARN) to its own log group, kept 30 days", () => {
    for (const [fn, id] of Object.entries(FUNCTIONS)) {
      expect(template.Resources[id]?.Properties.LoggingConfig, fn).toEqual({
        LogFormat: "JSON",
        ApplicationLogLevel: "INFO",
        SystemLogLevel: "WARN",
      });
    }
    expect(ofType("AWS::Logs::LogGroup").map(([, r]) => r.Properties)).toEqual(
      Object.keys(FUNCTIONS).map((fn) => ({
        LogGroupName: `/aws/lambda/dvol-dev-${fn}`,
        RetentionInDays: 30,
      })),
    );
  });

  it("puts no function in a VPC and grants no network interfaces without subnetIds", () => {
    for (const id of Object.values(FUNCTIONS))
      expect(template.Resources[id]?.Properties.VpcConfig).toBeUndefined();
    expect(holds("UseVpc")).toBe(false);
  });

  it("routes POST /slack/events of an HTTP API to the Slack function, and outputs the URL", () => {
    const routes = Object.values(template.Resources).filter((r) => r.Type === "AWS::ApiGatewayV2::Route");
    expect(routes.map((r) => r.Properties.RouteKey)).toEqual(["POST /slack/events"]);
    expect(template.Resources.HttpApiIntegrationSlack?.Properties).toMatchObject({
      IntegrationType: "AWS_PROXY",
      PayloadFormatVersion: "2.0",
      IntegrationUri: { "Fn::GetAtt": ["SlackLambdaFunction", "Arn"] },
    });
    expect(template.Outputs.SlackRequestUrl?.Value).toEqual({
      "Fn::Join": ["", [{ "Fn::GetAtt": ["HttpApi", "ApiEndpoint"] }, "/slack/events"]],
    });
    expect(template.Outputs.AlarmTopicArn?.Value).toEqual({ Ref: "AlarmTopic" });
    expect(template.Outputs.BackupBucketName?.Value).toEqual({ Ref: "BackupBucket" });
  });

  it("sends the worker's failed async invocations to its SQS queue with no retries, and the report's to its own after Lambda's two retries", () => {
    for (const [id, name] of [
      ["WorkerFailureQueue", "dvol-dev-worker-failures"],
      ["ReportFailureQueue", "dvol-dev-report-failures"],
    ] as const) {
      expect(template.Resources[id]?.Type).toBe("AWS::SQS::Queue");
      expect(template.Resources[id]?.Properties).toEqual({
        QueueName: name,
        MessageRetentionPeriod: 1209600,
        SqsManagedSseEnabled: true,
      });
    }
    const configs = ofType("AWS::Lambda::EventInvokeConfig").map(([, r]) => r.Properties);
    expect(configs).toEqual([
      {
        FunctionName: { Ref: "WorkerLambdaFunction" },
        Qualifier: "$LATEST",
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 1800,
        DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": ["WorkerFailureQueue", "Arn"] } } },
      },
      {
        FunctionName: { Ref: "ReportLambdaFunction" },
        Qualifier: "$LATEST",
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": ["ReportFailureQueue", "Arn"] } } },
      },
    ]);
  });

  it("gives the functions parameter names under the stage's SSM path and the Powertools service, never secret values", () => {
    const envOf = (id: string) => {
      const env = template.Resources[id]?.Properties.Environment as
        | { Variables: Record<string, string> }
        | undefined;
      return env?.Variables;
    };
    const common = {
      DVOL_CONFIG: "dvol.config.yaml",
      SLACK_API_URL: "https://slack.com/api/",
      POWERTOOLS_SERVICE_NAME: "dvol-dev",
      POWERTOOLS_METRICS_NAMESPACE: "dvol",
    };
    expect(envOf("SlackLambdaFunction")).toEqual({
      ...common,
      DVOL_WORKER_FUNCTION: "dvol-dev-worker",
      SLACK_SIGNING_SECRET_PARAM: "/dvol/dev/slack/signing-secret",
    });
    expect(envOf("WorkerLambdaFunction")).toEqual({
      ...common,
      SLACK_BOT_TOKEN_PARAM: "/dvol/dev/slack/bot-token",
      DVOL_TABLE: { Ref: "DvolTable" },
      DVOL_BACKUP_BUCKET: { Ref: "BackupBucket" },
      DVOL_BACKUP_KMS_KEY_ID: "",
      DVOL_VERSION: JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version,
    });
    expect(envOf("ReportLambdaFunction")).toEqual({
      ...common,
      SLACK_BOT_TOKEN_PARAM: "/dvol/dev/slack/bot-token",
      DVOL_TABLE: { Ref: "DvolTable" },
    });
    // The secrets were in the packaging environment: they went nowhere.
    const everything = [
      templateText,
      readFileSync(path.join(OUT, "serverless-state.json"), "utf8"),
      ...["slack", "worker", "report"].flatMap((fn) =>
        [...readZip(path.join(OUT, `${fn}.zip`)).values()].map((b) => b.toString("latin1")),
      ),
    ];
    for (const text of everything) {
      expect(text).not.toContain(CANARY_SECRET);
      expect(text).not.toContain(CANARY_TOKEN);
      expect(text).not.toMatch(/xox[bpae]-\d/);
    }
    expect(templateText).not.toMatch(/SLACK_SIGNING_SECRET"|SLACK_BOT_TOKEN"/);
  });

  it("keeps the table when the stack goes or would replace it, except after a failed first creation, with point-in-time recovery and deletion protection", () => {
    const t = template.Resources.DvolTable;
    expect(t?.DeletionPolicy).toBe("RetainExceptOnCreate");
    expect(t?.UpdateReplacePolicy).toBe("Retain");
    expect(t?.Properties).toMatchObject({
      BillingMode: "PAY_PER_REQUEST",
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
    });
  });

  it("creates exactly three roles, one per function, and no shared one", () => {
    const roles = ofType("AWS::IAM::Role");
    expect(roles.map(([id]) => id).sort()).toEqual(["ReportRole", "SlackRole", "WorkerRole"]);
    for (const [, role] of roles) {
      expect(role.Properties.AssumeRolePolicyDocument).toEqual({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      });
    }
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    expect(holds("UseCmk")).toBe(false);
  });

  it("lets the Slack function write its logs, invoke the worker and read the signing secret: nothing else", () => {
    expect(statements("SlackRole")).toEqual([
      logsOf("slack"),
      {
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: { "Fn::GetAtt": ["WorkerLambdaFunction", "Arn"] },
      },
      { Effect: "Allow", Action: "ssm:GetParameter", Resource: ssmParam("/dvol/dev/slack/signing-secret") },
      cmkDecrypt,
    ]);
  });

  it("lets the worker write its logs, read the bot token (no config: no host keys), send to its failure queue and use its table but never delete or change audit records: nothing else", () => {
    expect(statements("WorkerRole")).toEqual([
      logsOf("worker"),
      { Effect: "Allow", Action: "ssm:GetParameter", Resource: [ssmParam("/dvol/dev/slack/bot-token")] },
      failureQueue("WorkerFailureQueue"),
      selfInvoke("dev"),
      ...workerTable,
      ...workerBackups,
      ...vpcAccess,
      cmkDecrypt,
      backupCmk(""),
    ]);
  });

  it("keeps the backups in a bucket with no public access, encrypted (SSE-S3 without a KMS key), TLS only, expired after keepDays (30), incomplete uploads aborted, and kept when the stack goes", () => {
    const b = template.Resources.BackupBucket;
    expect(b?.Type).toBe("AWS::S3::Bucket");
    expect(b?.DeletionPolicy).toBe("RetainExceptOnCreate");
    expect(b?.UpdateReplacePolicy).toBe("Retain");
    expect(b?.Properties).toEqual({
      // No backup.bucket in the config: CloudFormation names it.
      BucketName: { Ref: "AWS::NoValue" },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              "Fn::If": [
                "UseBackupCmk",
                { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "" },
                { SSEAlgorithm: "AES256" },
              ],
            },
            BucketKeyEnabled: true,
          },
        ],
      },
      LifecycleConfiguration: {
        Rules: [
          { Id: "expire-backups", Status: "Enabled", Prefix: "backups/", ExpirationInDays: 30 },
          {
            Id: "abort-incomplete-uploads",
            Status: "Enabled",
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    });
    expect(holds("UseBackupCmk")).toBe(false);
    expect(template.Resources.BackupBucketPolicy).toEqual({
      Type: "AWS::S3::BucketPolicy",
      Properties: {
        Bucket: { Ref: "BackupBucket" },
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "TlsOnly",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [bucketArn, { "Fn::Join": ["", [bucketArn, "/*"]] }],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        },
      },
    });
    // osls's own deployment bucket, and the backups'.
    expect(ofType("AWS::S3::Bucket").map(([id]) => id)).toEqual([
      "ServerlessDeploymentBucket",
      "BackupBucket",
    ]);
    // Only the worker's role names the bucket or any S3 action.
    for (const role of ["SlackRole", "ReportRole"]) {
      expect(JSON.stringify(statements(role))).not.toMatch(/BackupBucket|s3:/);
    }
  });

  it("sizes the worker's S3 upload to its memory: the parts held at once take at most an eighth of it", () => {
    const memory = template.Resources.WorkerLambdaFunction?.Properties.MemorySize as number;
    expect(memory).toBe(512);
    const { partSize, queueSize } = uploadShape(memory);
    expect(partSize).toBeGreaterThanOrEqual(5 * 2 ** 20);
    expect((queueSize + 1) * partSize).toBeLessThanOrEqual((memory * 2 ** 20) / 8);
  });

  it("runs the report daily at 08:00 UTC, one at a time, and lets it write its logs, read the bot token, send to its failure queue and use only its own items of the table: nothing else", () => {
    const rules = ofType("AWS::Events::Rule").map(([, r]) => r.Properties.ScheduleExpression);
    expect(rules).toEqual(["cron(0 8 * * ? *)"]);
    expect(statements("ReportRole")).toEqual([
      logsOf("report"),
      { Effect: "Allow", Action: "ssm:GetParameter", Resource: [ssmParam("/dvol/dev/slack/bot-token")] },
      failureQueue("ReportFailureQueue"),
      reportTable,
      reportSizes,
      ...vpcAccess,
      cmkDecrypt,
    ]);
  });

  it("alarms on a message in either failure queue and on any function's errors and throttles, each to the alarm topic", () => {
    expect(template.Resources.AlarmTopic).toEqual({
      Type: "AWS::SNS::Topic",
      Properties: { TopicName: "dvol-dev-alarms" },
    });
    // Only this stage's alarms may publish to it (the policy replaces SNS's default one).
    expect(template.Resources.AlarmTopicPolicy?.Properties).toEqual({
      Topics: [{ Ref: "AlarmTopic" }],
      PolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "AlarmsOfThisStage",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: { Ref: "AlarmTopic" },
            Condition: {
              StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
              ArnLike: {
                "aws:SourceArn": sub(
                  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
                  "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:dvol-dev-*",
                ),
              },
            },
          },
        ],
      },
    });
    for (const a of ofType("AWS::CloudWatch::Alarm").map(([, r]) => r.Properties)) {
      expect(String(a.AlarmName)).toMatch(/^dvol-dev-/);
    }
    // No alarmEmail: the subscription is not created.
    expect(template.Resources.AlarmEmailSubscription?.Condition).toBe("HasAlarmEmail");
    expect(holds("HasAlarmEmail")).toBe(false);
    const alarms = ofType("AWS::CloudWatch::Alarm").map(([, r]) => r.Properties);
    for (const a of alarms) {
      expect(a.AlarmActions, String(a.AlarmName)).toEqual([{ Ref: "AlarmTopic" }]);
      expect(a.OKActions, String(a.AlarmName)).toEqual([{ Ref: "AlarmTopic" }]);
    }
    const watched = alarms.map((a) => [a.Namespace, a.MetricName, a.Dimensions]);
    const fnAlarm = (id: string, metric: string) => [
      "AWS/Lambda",
      metric,
      [{ Name: "FunctionName", Value: { Ref: id } }],
    ];
    const queueAlarm = (id: string) => [
      "AWS/SQS",
      "ApproximateNumberOfMessagesVisible",
      [{ Name: "QueueName", Value: { "Fn::GetAtt": [id, "QueueName"] } }],
    ];
    expect(watched).toEqual(
      expect.arrayContaining([
        queueAlarm("WorkerFailureQueue"),
        queueAlarm("ReportFailureQueue"),
        ...Object.values(FUNCTIONS).flatMap((id) => [fnAlarm(id, "Errors"), fnAlarm(id, "Throttles")]),
      ]),
    );
    // … and the missing report: nine alarms in all.
    expect(alarms).toHaveLength(9);
    for (const a of alarms.filter((x) => x.Namespace !== "dvol")) {
      // The first message, error or throttle is enough, within 5 minutes; quiet is OK.
      expect(a).toMatchObject({
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "notBreaching",
      });
    }
  });

  it("alarms when the day's report has not been posted by 10:00 UTC: no DailyReportPosted in the 25 hours since yesterday's report's hour", () => {
    const [a] = ofType("AWS::CloudWatch::Alarm")
      .map(([, r]) => r.Properties)
      .filter((x) => x.MetricName === "DailyReportPosted");
    // What the report function's Powertools Metrics writes: namespace and service from the environment.
    expect(a).toMatchObject({
      AlarmName: "dvol-dev-report-not-posted",
      Namespace: "dvol",
      MetricName: "DailyReportPosted",
      Dimensions: [{ Name: "service", Value: "dvol-dev" }],
      Statistic: "Sum",
      Period: 3600,
      EvaluationPeriods: 25,
      DatapointsToAlarm: 25,
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      TreatMissingData: "breaching",
    });
  });

  it("bundles each handler alone into its zip, with no node_modules and no source maps or metafiles", () => {
    const slack = readZip(path.join(OUT, "slack.zip"));
    const worker = readZip(path.join(OUT, "worker.zip"));
    const own = (names: string[]) => names.filter((n) => !n.startsWith("certs/") && n !== "dvol.config.yaml");
    expect(own([...slack.keys()])).toEqual(["handlers/slack.cjs"]);
    expect(own([...worker.keys()])).toEqual(["handlers/worker.cjs"]);
    expect(own([...readZip(path.join(OUT, "report.zip")).keys()])).toEqual(["handlers/report.cjs"]);
    // @aws-sdk/* is external: required from the Lambda runtime, not bundled or packed.
    const slackJs = slack.get("handlers/slack.cjs")?.toString("utf8") ?? "";
    expect(slackJs).toMatch(/require\("@aws-sdk\/client-lambda"\)|import\("@aws-sdk\/client-lambda"\)/);
    expect(slackJs).not.toContain("node_modules/@aws-sdk/");
  });
  it("keeps the engine client, Socket Mode, OAuth and Express out of the Slack handler", () => {
    // What esbuild put in (its metafile, written by scripts/esbuild-plugins.cjs) …
    const meta = JSON.parse(readFileSync(path.join(OUT, "meta", "slack.json"), "utf8")) as {
      inputs: Record<string, unknown>;
    };
    const inputs = Object.keys(meta.inputs);
    expect(inputs.some((i) => i.includes("node_modules/@slack/bolt/"))).toBe(true);
    for (const m of Object.keys(MARKERS)) {
      expect(
        inputs.filter((i) => i.includes(`node_modules/${m}/`)),
        m,
      ).toEqual([]);
    }
    // … and what is in the zip: minified code keeps no module paths, so each package is looked for
    // by a string of its own code (checked to be there, so the markers cannot go stale).
    const slack = readZip(path.join(OUT, "slack.zip")).get("handlers/slack.cjs")?.toString("utf8") ?? "";
    const worker = readZip(path.join(OUT, "worker.zip")).get("handlers/worker.cjs")?.toString("utf8") ?? "";
    for (const [pkg, [file, marker]] of Object.entries(MARKERS) as [string, readonly [string, string]][]) {
      expect(readFileSync(path.join(ROOT, "node_modules", pkg, file), "utf8"), pkg).toContain(marker);
      expect(slack.includes(marker), `${pkg} (${marker}) in the Slack bundle`).toBe(false);
    }
    // dvol's own engine client (src/docker/connection.ts), by a string of its code: in the worker,
    // which talks to engines, and not in the handler.
    const engineClient = "answered with something that is not JSON";
    expect(readFileSync(path.join(ROOT, "src/docker/connection.ts"), "utf8")).toContain(engineClient);
    expect(inputs).not.toContain("src/docker/connection.ts");
    // No store at all in the Slack handler (src/store/*, the SQLite driver, the DynamoDB SDK).
    expect(inputs.filter((i) => i.startsWith("src/store/") || i.includes("better-sqlite3"))).toEqual([]);
    expect(slack).not.toMatch(/@aws-sdk\/(client|lib)-dynamodb/);
    expect(worker.includes(engineClient)).toBe(true);
    expect(slack.includes(engineClient)).toBe(false);
  });

  it("keeps Bolt's own receivers out of the Slack handler, and bundles yaml's ES module build", () => {
    const meta = JSON.parse(readFileSync(path.join(OUT, "meta", "slack.json"), "utf8")) as {
      inputs: Record<string, unknown>;
    };
    const inputs = Object.keys(meta.inputs);
    const bolt = path.join(ROOT, "node_modules/@slack/bolt/dist/receivers");
    const slack = readZip(path.join(OUT, "slack.zip")).get("handlers/slack.cjs")?.toString("utf8") ?? "";
    for (const [name, marker] of Object.entries(BOLT_MARKERS)) {
      // The markers are checked to be in their files, so they cannot go stale.
      expect(readFileSync(path.join(bolt, `${name}.js`), "utf8"), name).toContain(marker);
      expect(inputs, name).not.toContain(`node_modules/@slack/bolt/dist/receivers/${name}.js`);
      expect(inputs, name).toContain(`unused-parts:@slack/bolt/dist/receivers/${name}`);
    }
    for (const marker of Object.values(BOLT_MARKERS)) expect(slack.includes(marker), marker).toBe(false);
    // Bolt's App itself is there (its error for a socketMode App without an appToken).
    expect(slack).toContain("You must provide an appToken when socketMode is set to true");
    expect(inputs.filter((i) => i.includes("node_modules/yaml/dist/"))).toEqual([]);
    expect(inputs).toContain("node_modules/yaml/browser/dist/parse/parser.js");
  });

  it("keeps the Slack handler's bundle at most 317 KB (317,000 bytes) minified", () => {
    const js = readZip(path.join(OUT, "slack.zip")).get("handlers/slack.cjs");
    expect(js?.length).toBeGreaterThan(10_000);
    expect(js?.length).toBeLessThanOrEqual(SLACK_BUNDLE_MAX_BYTES);
  });

  it("leaves no esbuild work folder behind", () => {
    expect(existsSync(path.join(ROOT, ".esbuild"))).toBe(false);
    expect(readdirSync(OUT).sort()).toEqual(
      expect.arrayContaining([
        "cloudformation-template-update-stack.json",
        "meta",
        "report.zip",
        "slack.zip",
        "worker.zip",
      ]),
    );
  });
});

const BACKUP_KEY = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-0000-4000-8000-0123456789ab";

describe("npm run package with subnets, a config whose hosts have ssm: keys, an alarm e-mail and other parameters", () => {
  let config: string;

  beforeAll(async () => {
    config = scratchFile("dvol.config.yaml");
    writeFileSync(
      path.join(ROOT, config),
      [
        "hosts:",
        "  - name: host1",
        "    url: tcp://10.0.0.5:2376",
        "    tls: { ca: file:certs/host1/ca.pem, cert: ssm:/dvol/prod/host1/cert, key: ssm:/dvol/prod/host1/key }",
        "  - name: host2",
        "    url: tcp://10.0.0.6:2376",
        "    tls: { ca: ssm:/dvol/prod/ca, cert: file:certs/host2/cert.pem, key: ssm:/dvol/prod/host2/key }",
        "  - name: host3",
        "    url: tcp://10.0.0.7:2376",
        "    tls: { ca: ssm:/dvol/prod/ca, cert: file:certs/host3/cert.pem, key: env:HOST3_KEY }",
        "backup: { bucket: acme-dvol-backups, keepDays: 14, beforeDelete: off }",
        "",
      ].join("\n"),
    );
    await packageOrThrow([
      "--stage",
      "prod",
      `--param=config=${config}`,
      "--param=subnetIds=subnet-0aa11,subnet-0bb22",
      "--param=securityGroupIds=sg-0cc33",
      "--param=alarmEmail=ops@example.com",
      "--param=workerConcurrency=4",
      "--param=reportHour=6",
      "--param=reportDeadlineHour=9",
      `--param=backupKmsKeyArn=${BACKUP_KEY}`,
    ]);
  }, DEADLINE_MS);

  it("names the bucket backup.bucket, expires backups after backup.keepDays, and encrypts them with backupKmsKeyArn, which only the worker may use through S3", () => {
    const p = template.Resources.BackupBucket?.Properties as Json;
    expect(p.BucketName).toBe("acme-dvol-backups");
    expect(JSON.stringify(p.LifecycleConfiguration)).toContain('"ExpirationInDays":14');
    expect(JSON.stringify(p.BucketEncryption)).toContain(`"KMSMasterKeyID":"${BACKUP_KEY}"`);
    expect(holds("UseBackupCmk")).toBe(true);
    expect(statements("WorkerRole")).toContainEqual(backupCmk(BACKUP_KEY));
    expect(template.Resources.WorkerLambdaFunction?.Properties.Environment).toMatchObject({
      Variables: { DVOL_BACKUP_KMS_KEY_ID: BACKUP_KEY },
    });
  });

  it("runs the worker and report functions in the subnets with the security groups, and the Slack function outside", () => {
    const vpc = { SubnetIds: ["subnet-0aa11", "subnet-0bb22"], SecurityGroupIds: ["sg-0cc33"] };
    expect(template.Resources.WorkerLambdaFunction?.Properties.VpcConfig).toEqual(vpc);
    expect(template.Resources.ReportLambdaFunction?.Properties.VpcConfig).toEqual(vpc);
    expect(template.Resources.SlackLambdaFunction?.Properties.VpcConfig).toBeUndefined();
    expect(holds("UseVpc")).toBe(true);
  });

  it("grants the worker and report exactly the bot token and the hosts' ssm: parameters, once each, and the Slack function only the signing secret", () => {
    const secrets = {
      Effect: "Allow",
      Action: "ssm:GetParameter",
      Resource: [
        ssmParam("/dvol/prod/slack/bot-token"),
        ssmParam("/dvol/prod/host1/cert"),
        ssmParam("/dvol/prod/host1/key"),
        ssmParam("/dvol/prod/ca"),
        ssmParam("/dvol/prod/host2/key"),
      ],
    };
    expect(statements("WorkerRole")).toEqual([
      logsOf("worker", "prod"),
      secrets,
      failureQueue("WorkerFailureQueue"),
      selfInvoke("prod"),
      ...workerTable,
      ...workerBackups,
      ...vpcAccess,
      cmkDecrypt,
      backupCmk(BACKUP_KEY),
    ]);
    expect(statements("ReportRole")).toEqual([
      logsOf("report", "prod"),
      secrets,
      failureQueue("ReportFailureQueue"),
      reportTable,
      reportSizes,
      ...vpcAccess,
      cmkDecrypt,
    ]);
    expect(statements("SlackRole")).toContainEqual({
      Effect: "Allow",
      Action: "ssm:GetParameter",
      Resource: ssmParam("/dvol/prod/slack/signing-secret"),
    });
    expect(JSON.stringify(statements("SlackRole"))).not.toMatch(/ec2:|bot-token|host1/);
  });

  it("subscribes the alarm e-mail to the topic", () => {
    expect(template.Resources.AlarmEmailSubscription).toEqual({
      Type: "AWS::SNS::Subscription",
      Condition: "HasAlarmEmail",
      Properties: { TopicArn: { Ref: "AlarmTopic" }, Protocol: "email", Endpoint: "ops@example.com" },
    });
    expect(holds("HasAlarmEmail")).toBe(true);
  });

  it("reserves the worker's concurrency, and schedules the report at reportHour with its alarm at reportDeadlineHour", () => {
    expect(template.Resources.WorkerLambdaFunction?.Properties.ReservedConcurrentExecutions).toBe(4);
    expect(ofType("AWS::Events::Rule").map(([, r]) => r.Properties.ScheduleExpression)).toEqual([
      "cron(0 6 * * ? *)",
    ]);
    const [a] = ofType("AWS::CloudWatch::Alarm")
      .map(([, r]) => r.Properties)
      .filter((x) => x.MetricName === "DailyReportPosted");
    // From 07:00 yesterday (after yesterday's 06:xx report) to 09:00 today: 26 hours.
    expect(a).toMatchObject({
      EvaluationPeriods: 26,
      DatapointsToAlarm: 26,
      Dimensions: [{ Name: "service", Value: "dvol-prod" }],
    });
    expect(template.Resources.WorkerLambdaFunction?.Properties.Environment).toMatchObject({
      Variables: { DVOL_CONFIG: config, POWERTOOLS_SERVICE_NAME: "dvol-prod" },
    });
  });
});

describe("npm run package refuses", () => {
  it(
    "a host's ssm: reference outside ssmPath, naming the host and the key",
    async () => {
      const config = scratchFile("outside.yaml");
      writeFileSync(
        path.join(ROOT, config),
        [
          "hosts:",
          "  - name: host1",
          "    url: tcp://10.0.0.5:2376",
          "    tls: { ca: file:a.pem, cert: file:b.pem, key: ssm:/dvol/dev/host1/key }",
          "  - name: host2",
          "    url: tcp://10.0.0.6:2376",
          "    tls: { ca: file:a.pem, cert: file:b.pem, key: ssm:/other-team/host2/key }",
          "",
        ].join("\n"),
      );
      const { code, output } = await runPackage([`--param=config=${config}`]);
      expect(code).not.toBe(0);
      expect(output).toContain(
        'hosts[1] (host2).tls.key: "ssm:/other-team/host2/key" is outside ssmPath (/dvol/dev)',
      );
    },
    DEADLINE_MS,
  );

  it(
    "subnets without security groups",
    async () => {
      const { code, output } = await runPackage(["--param=subnetIds=subnet-0aa11"]);
      expect(code).not.toBe(0);
      expect(output).toContain("subnetIds and securityGroupIds go together");
    },
    DEADLINE_MS,
  );
});

// scripts/deploy-vars.cjs on its own, as osls calls it (a variable resolver over the parameters):
// the cases above need no more packaging runs to show.
describe("scripts/deploy-vars.cjs", () => {
  type Vars = {
    hostSecretArns: unknown[];
    vpc: unknown;
    reportAlarmEvaluationPeriods: number;
    backup: { bucketName: unknown; keepDays: number; kmsKey: string };
  };
  const resolve = createRequire(import.meta.url)("../../scripts/deploy-vars.cjs") as (o: {
    resolveVariable: (v: string) => Promise<unknown>;
  }) => Promise<Vars>;
  const DEFAULTS: Record<string, unknown> = {
    ssmPath: "/dvol/dev",
    config: "no-such-config.yaml",
    subnetIds: "",
    securityGroupIds: "",
    reportHour: 8,
    reportDeadlineHour: 10,
    backupKmsKeyArn: "",
  };
  const run = (params: Record<string, unknown> = {}) =>
    resolve({
      resolveVariable: async (v) => {
        const name = v.replace(/^param:/, "");
        if (!(name in DEFAULTS)) throw new Error(`unexpected variable ${v}`);
        return { ...DEFAULTS, ...params }[name];
      },
    });
  const configFile = (name: string, text: string) => {
    const file = scratchFile(name);
    writeFileSync(path.join(ROOT, file), text);
    return file;
  };

  it("with no config file grants the bot token only, no VPC, and the 25-hour report window", async () => {
    expect(await run()).toEqual({
      hostSecretArns: [ssmParam("/dvol/dev/slack/bot-token")],
      vpc: false,
      reportAlarmEvaluationPeriods: 25,
      backup: { bucketName: { Ref: "AWS::NoValue" }, keepDays: 30, kmsKey: "" },
    });
  });

  it("takes the bucket's name, retention and KMS key from backup:, the backupKmsKeyArn parameter first, and refuses what is not a key ARN or a retention", async () => {
    const config = configFile(
      "backup.yaml",
      `backup: { bucket: team-backups, keepDays: 7, kmsKeyId: "${BACKUP_KEY}", beforeDelete: off }\n`,
    );
    expect((await run({ config })).backup).toEqual({
      bucketName: "team-backups",
      keepDays: 7,
      kmsKey: BACKUP_KEY,
    });
    const other = BACKUP_KEY.replace("0a1b2c3d", "99999999");
    expect((await run({ config, backupKmsKeyArn: other })).backup.kmsKey).toBe(other);
    await expect(run({ backupKmsKeyArn: "alias/dvol" })).rejects.toThrow("expected a KMS key ARN");
    const bad = configFile("bad-keep.yaml", "backup: { keepDays: 0 }\n");
    await expect(run({ config: bad })).rejects.toThrow("backup.keepDays: expected whole days, 1 to 3650");
  });

  it("grants each ssm: parameter once, and nothing for file: and env: references", async () => {
    const config = configFile(
      "shared.yaml",
      [
        "hosts:",
        "  - { name: a, url: tcp://a:2376, tls: { ca: ssm:/dvol/dev/ca, cert: env:A_CERT, key: ssm:/dvol/dev/a/key } }",
        "  - { name: b, url: tcp://b:2376, tls: { ca: ssm:/dvol/dev/ca, cert: file:b.pem, key: ssm:/dvol/dev/b/key } }",
        "  - { name: local, socket: /var/run/docker.sock }",
        "",
      ].join("\n"),
    );
    expect((await run({ config })).hostSecretArns).toEqual(
      ["/dvol/dev/slack/bot-token", "/dvol/dev/ca", "/dvol/dev/a/key", "/dvol/dev/b/key"].map(ssmParam),
    );
  });

  it("refuses a parameter that is only next to ssmPath (/dvol/dev-old is not under /dvol/dev)", async () => {
    const config = configFile(
      "sibling.yaml",
      "hosts:\n  - { name: a, url: tcp://a:2376, tls: { ca: file:a, cert: file:b, key: ssm:/dvol/dev-old/a/key } }\n",
    );
    await expect(run({ config })).rejects.toThrow(
      'hosts[0] (a).tls.key: "ssm:/dvol/dev-old/a/key" is outside ssmPath',
    );
  });

  it("splits and trims the ID lists, and refuses what is not a subnet or security group ID", async () => {
    expect((await run({ subnetIds: "subnet-0a, subnet-0b ", securityGroupIds: "sg-01" })).vpc).toEqual({
      subnetIds: ["subnet-0a", "subnet-0b"],
      securityGroupIds: ["sg-01"],
    });
    await expect(run({ subnetIds: "subnet-0a", securityGroupIds: "subnet-0b" })).rejects.toThrow(
      "securityGroupIds: subnet-0b",
    );
    await expect(run({ securityGroupIds: "sg-01" })).rejects.toThrow("go together");
  });

  it("counts the report window across midnight, and refuses a deadline less than 2 hours after the report", async () => {
    // 22:00 report, 01:00 deadline: 23:00 yesterday to 01:00 today, 26 hours.
    expect((await run({ reportHour: 22, reportDeadlineHour: 1 })).reportAlarmEvaluationPeriods).toBe(26);
    expect((await run({ reportHour: "8", reportDeadlineHour: "7" })).reportAlarmEvaluationPeriods).toBe(46);
    await expect(run({ reportHour: 8, reportDeadlineHour: 9 })).rejects.toThrow("at least 2 hours after");
    await expect(run({ reportHour: 8, reportDeadlineHour: 8 })).rejects.toThrow("at least 2 hours after");
    await expect(run({ reportHour: "8am" })).rejects.toThrow(
      'reportHour: expected an hour of the day, 0 to 23 (UTC), got "8am"',
    );
  });

  it("refuses an ssmPath with a trailing slash", async () => {
    await expect(run({ ssmPath: "/dvol/dev/" })).rejects.toThrow("ssmPath: expected an SSM path");
  });
});
