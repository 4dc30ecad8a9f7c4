// Validate an AsyncAPI document with the AsyncAPI project's own parser.
// Usage: node validate-asyncapi.mjs FILE — prints every diagnostic; exits 1 on any error or warning.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const file = process.argv[2];
const parser = new Parser();
const diagnostics = await parser.validate(readFileSync(file, "utf8"), { source: file });
const severities = ["error", "warning", "information", "hint"];
for (const d of diagnostics) {
    console.log(`${severities[d.severity]} ${d.code} at ${(d.path || []).join(".")}: ${d.message}`);
}
const problems = diagnostics.filter((d) => d.severity <= 1);
console.log(`${file}: ${problems.length} error(s) or warning(s), ${diagnostics.length} diagnostic(s) in all`);
process.exit(problems.length ? 1 : 0);
