/**
 * The SARIF 2.1.0 schema validator (the schema vendored in
 * test/fixtures/sarif, see its README), compiled once per test file.
 */
import { readFileSync } from 'node:fs';
import AjvDraft04 from 'ajv-draft-04';

// ajv-draft-04 is CommonJS with `exports.default`: under NodeNext the default import is the module object.
const Ajv = AjvDraft04.default;

export function sarifValidator(): ReturnType<InstanceType<typeof Ajv>['compile']> {
  const schema = JSON.parse(readFileSync(new URL('../fixtures/sarif/sarif-2.1.0-rtm.5.json', import.meta.url), 'utf8')) as object;
  // The schema's language-tag pattern is not valid in Unicode mode ('[a-zA-Z]{2}]?'): read it as the schema's authors' engines do.
  // logger: false: the schema's "uri"/"date-time" formats are not checked (draft-04 has no format plugin here) and need not be said.
  return new Ajv({ allErrors: true, strict: false, unicodeRegExp: false, logger: false }).compile(schema);
}
