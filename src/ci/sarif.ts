/**
 * SARIF 2.1.0 for code-scanning tools (SPEC §8): one run, the tool's rules
 * with ids and help, one result per finding at its file and line. Built as
 * typed objects (@types/sarif) and serialised with JSON.stringify.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { CiFinding, CiRule } from './finding.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifTool {
  name: string;
  version: string;
  informationUri: string;
}

function ruleOf(r: CiRule): ReportingDescriptor {
  return { id: r.id, name: r.id, shortDescription: { text: r.title }, help: { text: r.help }, fullDescription: { text: r.help } };
}

/** A relative path stays relative (resolved against the checkout); an absolute one becomes a file: URI. */
const artifactUri = (file: string): string => (isAbsolute(file) ? pathToFileURL(file).href : encodeURI(file.split('\\').join('/')));

function resultOf(f: CiFinding, ruleIndex: number): Result {
  const region = f.line > 0 ? { region: { startLine: f.line } } : {};
  const text = f.fix ? `${f.message} Fix: ${f.fix}` : f.message;
  return {
    ruleId: f.code,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    level: f.severity,
    message: { text },
    locations: [{ physicalLocation: { artifactLocation: { uri: artifactUri(f.file) }, ...region } }],
  };
}

/**
 * The SARIF log of one check. Findings whose code has no rule still get a
 * result (a rule is added for them with the message as its title).
 */
export function sarifLog(tool: SarifTool, rules: readonly CiRule[], findings: readonly CiFinding[]): Log {
  const all = [...rules];
  for (const f of findings) {
    if (!all.some((r) => r.id === f.code)) all.push({ id: f.code, title: f.code, help: f.fix ?? f.message });
  }
  const index = new Map(all.map((r, i) => [r.id, i]));
  return {
    version: '2.1.0',
    $schema: SARIF_SCHEMA,
    runs: [
      {
        tool: { driver: { name: tool.name, version: tool.version, informationUri: tool.informationUri, rules: all.map(ruleOf) } },
        results: findings.map((f) => resultOf(f, index.get(f.code) ?? -1)),
      },
    ],
  };
}
