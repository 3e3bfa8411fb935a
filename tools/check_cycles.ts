/**
 * Keeps the layering honest (run by `deno task check`):
 * - no import cycle among the library's modules (type-only imports excluded: they vanish at run time);
 * - imports point one way: crypto ← record ← handshake ← connection ← mod.ts, and x509 only on crypto;
 * - only `crypto/` mentions `crypto.subtle`.
 *
 * @module
 */

import { dirname, join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const LIBRARY_DIRS = ["crypto", "record", "handshake", "x509", "connection"];

/** Which top-level folders each folder may import from (root files such as bytes.ts are open to all). */
const ALLOWED: Record<string, readonly string[]> = {
  crypto: ["crypto"],
  record: ["record", "crypto"],
  x509: ["x509", "crypto"],
  handshake: ["handshake", "record", "crypto", "x509"],
  connection: ["connection", "handshake", "record", "crypto", "x509"],
};

function layerOf(file: string): string {
  const rel = relative(root, file);
  return rel.includes("/") ? rel.split("/")[0] : "";
}

async function listFiles(): Promise<string[]> {
  const files = [
    join(root, "mod.ts"),
    join(root, "bytes.ts"),
    join(root, "errors.ts"),
    join(root, "deps.ts"),
  ];
  for (const dir of LIBRARY_DIRS) {
    for await (const entry of Deno.readDir(join(root, dir))) {
      if (entry.isFile && entry.name.endsWith(".ts")) files.push(join(root, dir, entry.name));
    }
  }
  return files;
}

function runtimeImports(source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(?!type\s)([\s\S]*?)\s+from\s+"([^"]+)"/gm;
  for (const m of source.matchAll(re)) {
    // `import { type A, type B }` is type-only too.
    const names = m[2];
    if (/^\{[\s\S]*\}$/.test(names.trim())) {
      const parts = names.trim().slice(1, -1).split(",").map((p) => p.trim()).filter(Boolean);
      if (parts.length > 0 && parts.every((p) => p.startsWith("type "))) continue;
    }
    out.push(m[3]);
  }
  for (const m of source.matchAll(/^\s*import\s+"([^"]+)"/gm)) out.push(m[1]);
  return out.filter((s) => s.startsWith("."));
}

const files = await listFiles();
const graph = new Map<string, string[]>();
const problems: string[] = [];
for (const file of files) {
  const source = await Deno.readTextFile(file);
  const deps = runtimeImports(source).map((s) => join(dirname(file), s));
  graph.set(file, deps);
  const layer = layerOf(file);
  if (layer !== "crypto" && /crypto\.subtle|\bsubtle\./.test(source.replace(/^\s*(\*|\/\/).*$/gm, ""))) {
    problems.push(`${relative(root, file)} uses crypto.subtle outside crypto/`);
  }
  const allowed = ALLOWED[layer];
  if (!allowed) continue;
  for (
    const imp of runtimeImports(source).concat([...source.matchAll(/from\s+"(\.[^"]+)"/g)].map((m) => m[1]))
  ) {
    const target = layerOf(join(dirname(file), imp));
    if (target !== "" && !allowed.includes(target)) {
      problems.push(`${relative(root, file)} (${layer}) imports ${imp} (${target})`);
    }
  }
}

const state = new Map<string, "visiting" | "done">();
function visit(file: string, stack: string[]): void {
  if (state.get(file) === "done") return;
  if (state.get(file) === "visiting") {
    const cycle = stack.slice(stack.indexOf(file)).concat(file).map((f) => relative(root, f));
    problems.push(`import cycle: ${cycle.join(" -> ")}`);
    return;
  }
  state.set(file, "visiting");
  for (const dep of graph.get(file) ?? []) if (graph.has(dep)) visit(dep, [...stack, file]);
  state.set(file, "done");
}
for (const file of files) visit(file, []);

if (problems.length > 0) {
  for (const p of [...new Set(problems)]) console.error(p);
  Deno.exit(1);
}
console.log(`layering ok: ${files.length} modules, no cycles`);
