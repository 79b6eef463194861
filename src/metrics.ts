/**
 * dvol's CloudWatch metrics. Code that counts something takes a MetricsSink (injected, so tests
 * can see what was emitted); the Lambda handlers give it the Powertools sink, which writes each
 * metric at once to stdout in the Embedded Metric Format, where CloudWatch Logs turns it into a
 * metric: namespace POWERTOOLS_METRICS_NAMESPACE (default `dvol`), dimension `service`
 * (POWERTOOLS_SERVICE_NAME, which serverless.yml sets to `dvol-<stage>`).
 *
 * | metric              | unit  | emitted                                                        |
 * |---------------------|-------|----------------------------------------------------------------|
 * | `DailyReportPosted` | Count | 1 when the daily report was posted (never for "already posted") |
 *
 * The missing-report alarm treats missing data as breaching: a day without DailyReportPosted alarms.
 */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

export type MetricName = "DailyReportPosted";

export interface MetricsSink {
  /** Emits `value` (default 1) of the Count metric `name`, at once (not at the invocation's end). */
  count(name: MetricName, value?: number): void;
}

/** A sink that emits nothing (the CLI, `npm start`). */
export const noMetrics: MetricsSink = { count() {} };

export const DEFAULT_NAMESPACE = "dvol";

/**
 * The Powertools sink, configured from `env` (the injected environment, not only process.env):
 * namespace POWERTOOLS_METRICS_NAMESPACE or `dvol`, service POWERTOOLS_SERVICE_NAME or `dvol`.
 */
export function powertoolsMetrics(env: NodeJS.ProcessEnv = process.env): MetricsSink {
  const metrics = new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE?.trim() || DEFAULT_NAMESPACE,
    serviceName: env.POWERTOOLS_SERVICE_NAME?.trim() || DEFAULT_NAMESPACE,
  });
  return {
    count(name, value = 1) {
      metrics.addMetric(name, MetricUnit.Count, value);
      metrics.publishStoredMetrics();
    },
  };
}
