#!/usr/bin/env node
// Prints the longest functions and files under src/ and fails past the limits
// of issue 10: no function over MAX_FUNCTION lines, no file over MAX_FILE lines.
// Pure data tables are not functions, so they never count; a function that
// must stay long is listed in EXCEPTIONS with the reason.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

export const MAX_FUNCTION = 80;
export const MAX_FILE = 450;

/** "file:function" → why it may stay longer than MAX_FUNCTION. */
export const EXCEPTIONS = new Map([]);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

function functionName(node, sf) {
  if (node.name) return node.name.getText(sf);
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(sf);
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(sf);
  if (parent && ts.isCallExpression(parent)) {
    return `${parent.expression.getText(sf).split("\n")[0].slice(0, 40)}(callback)`;
  }
  return "(anonymous)";
}

/** Every function-like node with its line count (outer functions include inner ones' lines). */
export function measure(root) {
  const functions = [];
  const files = [];
  for (const file of walk(root)) {
    const text = readFileSync(file, "utf8");
    const rel = relative(process.cwd(), file);
    files.push({ file: rel, lines: text.split("\n").length - (text.endsWith("\n") ? 1 : 0) });
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (
        (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node) ||
          ts.isFunctionExpression(node) || ts.isConstructorDeclaration(node) ||
          ts.isGetAccessor(node) || ts.isSetAccessor(node)) && node.body
      ) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        functions.push({ file: rel, name: functionName(node, sf), line: start + 1, lines: end - start + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  functions.sort((a, b) => b.lines - a.lines);
  files.sort((a, b) => b.lines - a.lines);
  return { functions, files };
}

function main() {
  const { functions, files } = measure(join(process.cwd(), "src"));
  const show = Number(process.env.LINT_SIZE_SHOW ?? 10);
  console.log(`longest functions (limit ${MAX_FUNCTION} lines):`);
  for (const f of functions.slice(0, show)) console.log(`  ${String(f.lines).padStart(4)}  ${f.file}:${f.line} ${f.name}`);
  console.log(`longest files (limit ${MAX_FILE} lines):`);
  for (const f of files.slice(0, show)) console.log(`  ${String(f.lines).padStart(4)}  ${f.file}`);
  const badFns = functions.filter((f) => f.lines > MAX_FUNCTION && !EXCEPTIONS.has(`${f.file}:${f.name}`));
  const badFiles = files.filter((f) => f.lines > MAX_FILE);
  for (const f of badFns) console.error(`${f.file}:${f.line}: function ${f.name} is ${f.lines} lines (limit ${MAX_FUNCTION})`);
  for (const f of badFiles) console.error(`${f.file}: ${f.lines} lines (limit ${MAX_FILE})`);
  if (badFns.length || badFiles.length) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
