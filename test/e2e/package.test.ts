// `npm run package` (scripts/package.mjs) with no AWS credentials, no AWS config and, where this
// runs as root, no network at all (its own network namespace): the CloudFormation template and the
// zips it writes to .serverless/ are what serverless.yml promises (SPEC §7, issue 3).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readZip } from "../../scripts/zip.mjs";

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
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

let template: { Resources: Record<string, Resource>; Outputs: Record<string, Json>; Conditions?: Json };
let templateText: string;
let log: string;
const home = mkdtempSync(path.join(tmpdir(), "dvol-package-home-"));

function canIsolateNetwork(): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  return spawnSync("unshare", ["-n", "true"]).status === 0;
}

function runPackage(): Promise<{ code: number | null; output: string }> {
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
    ? ["unshare", ["-n", process.execPath, script]]
    : [process.execPath, [script]];
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
} as const satisfies Record<string, readonly [string, string]>;

const sub = (s: string) => ({ "Fn::Sub": s });
const logsOf = (fn: string) => ({
  Effect: "Allow",
  Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
  Resource: sub(
    `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/dvol-dev-${fn}:*`,
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

describe("npm run package", () => {
  beforeAll(async () => {
    const { code, output } = await runPackage();
    log = output;
    if (code !== 0) throw new Error(`scripts/package.mjs exited ${code}:\n${output}`);
    templateText = readFileSync(path.join(OUT, "cloudformation-template-update-stack.json"), "utf8");
    template = JSON.parse(templateText);
  }, DEADLINE_MS);

  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("type-checks first, then packages with osls", () => {
    expect(log).toMatch(/tsc --noEmit[\s\S]*osls package/);
    expect(log).toContain("Service packaged");
  });

  it("has both functions on Node 20, with the handlers, timeouts and roles of serverless.yml", () => {
    const slack = template.Resources.SlackLambdaFunction;
    const worker = template.Resources.WorkerLambdaFunction;
    expect(slack?.Properties).toMatchObject({
      Handler: "handlers/slack.handler",
      Runtime: "nodejs20.x",
      Timeout: 10,
      FunctionName: "dvol-dev-slack",
      Role: { "Fn::GetAtt": ["SlackRole", "Arn"] },
    });
    expect(worker?.Properties).toMatchObject({
      Handler: "handlers/worker.handler",
      Runtime: "nodejs20.x",
      Timeout: 60,
      FunctionName: "dvol-dev-worker",
      Role: { "Fn::GetAtt": ["WorkerRole", "Arn"] },
    });
    expect(template.Resources.ReportLambdaFunction?.Properties).toMatchObject({
      Handler: "handlers/report.handler",
      Runtime: "nodejs20.x",
      Timeout: 120,
      FunctionName: "dvol-dev-report",
      Role: { "Fn::GetAtt": ["ReportRole", "Arn"] },
    });
    const functions = Object.values(template.Resources).filter((r) => r.Type === "AWS::Lambda::Function");
    expect(functions).toHaveLength(3);
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
  });

  it("sends the worker's failed async invocations to an SQS queue, with no retries", () => {
    expect(template.Resources.WorkerFailureQueue?.Type).toBe("AWS::SQS::Queue");
    const configs = Object.values(template.Resources).filter(
      (r) => r.Type === "AWS::Lambda::EventInvokeConfig",
    );
    expect(configs).toHaveLength(1);
    expect(configs[0]?.Properties).toEqual({
      FunctionName: { Ref: "WorkerLambdaFunction" },
      Qualifier: "$LATEST",
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 1800,
      DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": ["WorkerFailureQueue", "Arn"] } } },
    });
  });

  it("gives the functions parameter names, never secret values", () => {
    const envOf = (id: string) => {
      const env = template.Resources[id]?.Properties.Environment as
        | { Variables: Record<string, string> }
        | undefined;
      return env?.Variables;
    };
    expect(envOf("SlackLambdaFunction")).toEqual({
      DVOL_CONFIG: "dvol.config.yaml",
      DVOL_WORKER_FUNCTION: "dvol-dev-worker",
      SLACK_API_URL: "https://slack.com/api/",
      SLACK_SIGNING_SECRET_PARAM: "/dvol/slack/signing-secret",
    });
    expect(envOf("WorkerLambdaFunction")).toEqual({
      DVOL_CONFIG: "dvol.config.yaml",
      SLACK_API_URL: "https://slack.com/api/",
      SLACK_BOT_TOKEN_PARAM: "/dvol/slack/bot-token",
      DVOL_TABLE: { Ref: "DvolTable" },
    });
    expect(envOf("ReportLambdaFunction")).toEqual({
      DVOL_CONFIG: "dvol.config.yaml",
      SLACK_API_URL: "https://slack.com/api/",
      SLACK_BOT_TOKEN_PARAM: "/dvol/slack/bot-token",
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

  it("creates exactly three roles, one per function, and no shared one", () => {
    const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === "AWS::IAM::Role");
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
    expect(template.Conditions?.UseCmk).toEqual({ "Fn::Not": [{ "Fn::Equals": ["", ""] }] });
  });

  it("lets the Slack function write its logs, invoke the worker and read the signing secret: nothing else", () => {
    expect(statements("SlackRole")).toEqual([
      logsOf("slack"),
      {
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: { "Fn::GetAtt": ["WorkerLambdaFunction", "Arn"] },
      },
      { Effect: "Allow", Action: "ssm:GetParameter", Resource: ssmParam("/dvol/slack/signing-secret") },
      cmkDecrypt,
    ]);
  });

  it("lets the worker write its logs, read parameters under the path, send to its failure queue and use its table: nothing else", () => {
    expect(statements("WorkerRole")).toEqual([
      logsOf("worker"),
      { Effect: "Allow", Action: "ssm:GetParameter", Resource: ssmParam("/dvol/*") },
      {
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: { "Fn::GetAtt": ["WorkerFailureQueue", "Arn"] },
      },
      {
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"],
        Resource: { "Fn::GetAtt": ["DvolTable", "Arn"] },
      },
      {
        Effect: "Allow",
        Action: "dynamodb:Query",
        Resource: { "Fn::Join": ["", [{ "Fn::GetAtt": ["DvolTable", "Arn"] }, "/index/byCreated"]] },
      },
      cmkDecrypt,
    ]);
  });

  it("runs the report daily at 08:00 UTC, and lets it write its logs, read parameters under the path and use its table's items: nothing else", () => {
    const rules = Object.values(template.Resources).filter((r) => r.Type === "AWS::Events::Rule");
    expect(rules.map((r) => r.Properties.ScheduleExpression)).toEqual(["cron(0 8 * * ? *)"]);
    expect(statements("ReportRole")).toEqual([
      logsOf("report"),
      { Effect: "Allow", Action: "ssm:GetParameter", Resource: ssmParam("/dvol/*") },
      {
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
        Resource: { "Fn::GetAtt": ["DvolTable", "Arn"] },
      },
      cmkDecrypt,
    ]);
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

  it("keeps the Slack handler's bundle under 800 KB minified", () => {
    const js = readZip(path.join(OUT, "slack.zip")).get("handlers/slack.cjs");
    expect(js?.length).toBeGreaterThan(10_000);
    expect(js?.length).toBeLessThan(800 * 1000);
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
