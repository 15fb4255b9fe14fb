/**
 * `portcullis audit [--json] FILE`: evaluates a configuration against the security checklist
 * (authentication, object-level checks, input schemas, rate limits, CORS, TLS, secrets,
 * monitoring and alerts) and maps each route's protections to the OWASP API Security Top 10
 * (2023). Exit status: 0 passed (warnings allowed), 1 failures (or an invalid configuration),
 * 2 usage error — so it can gate CI.
 */
import { auditConfiguration, OWASP_API_TOP_10, type AuditReport } from '../config/checklist.js';
import { compileFile, parseFileCommand } from './file-command.js';
import type { CliIo } from './io.js';

const USAGE = `usage: portcullis audit [--json] FILE

Checks a configuration against the security checklist and prints, per route, which OWASP API
Security Top 10 (2023) risks its policies cover. Exits 1 when a check fails.

  --json   one JSON object: { file, passed, findings, routes }
`;

/**
 * Runs the command; returns the exit status.
 *
 * @example
 * ```ts
 * await runAudit(['portcullis.yaml'], io) // 0 when every check passes
 * ```
 */
export async function runAudit(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFileCommand('audit', args, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const compiled = await compileFile(parsed.file, io);
  if (typeof compiled === 'number') return compiled;
  const report = auditConfiguration(compiled);
  io.stdout(parsed.json ? `${JSON.stringify({ file: parsed.file, ...report })}\n` : formatReport(parsed.file, report));
  return report.passed ? 0 : 1;
}

/**
 * The report as text: the OWASP table, then the findings.
 *
 * @example
 * ```ts
 * process.stdout.write(formatReport('gw.yaml', report));
 * ```
 */
export function formatReport(file: string, report: AuditReport): string {
  const mark = { yes: '✓', no: '✗', 'n/a': '·' } as const;
  const width = Math.min(70, Math.max(5, ...report.routes.map((r) => r.route.length)));
  let out = `${'ROUTE'.padEnd(width)}  ${OWASP_API_TOP_10.map((id) => id.padEnd(5)).join(' ')}\n`;
  for (const r of report.routes) out += `${r.route.slice(0, width).padEnd(width)}  ${OWASP_API_TOP_10.map((id) => mark[r.coverage[id]].padEnd(5)).join(' ')}\n`;
  out += '\n✓ covered  ✗ not covered  · not applicable (OWASP API Security Top 10, 2023)\n\n';
  for (const f of report.findings) out += `${f.severity === 'fail' ? 'FAIL' : 'warn'}  ${f.check}${f.route === '' ? '' : `  ${f.route}`}: ${f.message}\n`;
  const failures = report.findings.filter((f) => f.severity === 'fail').length;
  out += `\n${file}: ${report.passed ? 'PASSED' : `FAILED (${failures} failure${failures === 1 ? '' : 's'})`}, ${report.findings.length - failures} warning(s)\n`;
  return out;
}
