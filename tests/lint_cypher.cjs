// Lint Cypher with Neo4j's own parser and semantic analysis (@neo4j-cypher/language-support).
// Usage: node lint_cypher.cjs NPM_PREFIX < queries.json
// queries.json: [{"ref": ..., "cypher": ..., "params": {...}, "labels": [...], "types": [...]}]
// Prints a JSON list of {ref, diagnostics: [{severity, message, offset}]}.
const path = require("path");
const { createRequire } = require("module");
const prefix = process.argv[2];
const load = createRequire(path.join(path.resolve(prefix), "node_modules", "noop.js"));
const { lintCypherQuery } = load("@neo4j-cypher/language-support");
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = JSON.parse(input).map((q) => {
    const schema = { parameters: q.params, labels: q.labels, relationshipTypes: q.types };
    const result = lintCypherQuery(q.cypher, schema);
    const diagnostics = (result.diagnostics || result).map((d) => ({
      severity: d.severity, message: d.message, offset: d.offsets ? d.offsets.start : null,
    }));
    return { ref: q.ref, diagnostics };
  });
  process.stdout.write(JSON.stringify(results));
});
