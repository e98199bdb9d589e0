// Lint Cypher with Neo4j's own parser and semantic analysis (@neo4j-cypher/language-support).
// Usage: node lint_cypher.cjs NPM_PREFIX < queries.json
// queries.json: [{"ref", "cypher", "params": {...}, "labels": [...], "types": [...],
//                 "properties": [...], "triples": [[from, type, to], ...]}]
// Functions: Neo4j 5's built-in function registry as the package ships it (testData.mockSchema,
// taken from a Neo4j server's SHOW FUNCTIONS; plugins such as APOC left out); no procedures.
// Prints a JSON list of {ref, diagnostics: [{severity, message, offset}]}.
const path = require("path");
const { createRequire } = require("module");
const prefix = process.argv[2];
const load = createRequire(path.join(path.resolve(prefix), "node_modules", "noop.js"));
const { lintCypherQuery, testData } = load("@neo4j-cypher/language-support");
const VERSION = "CYPHER 5";
const builtIn = {};
for (const [name, fn] of Object.entries(testData.mockSchema.functions[VERSION])) {
  if (fn.isBuiltIn) builtIn[name] = fn;
}
if (Object.keys(builtIn).length < 100) {
  throw new Error("Neo4j function registry missing from @neo4j-cypher/language-support");
}
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = JSON.parse(input).map((q) => {
    const schema = {
      parameters: q.params, labels: q.labels, relationshipTypes: q.types,
      propertyKeys: q.properties, defaultLanguage: VERSION,
      functions: { [VERSION]: builtIn }, procedures: { [VERSION]: {} },
      graphSchema: (q.triples || []).map(([from, relType, to]) => ({ from, relType, to })),
    };
    const result = lintCypherQuery(q.cypher, schema);
    const diagnostics = (result.diagnostics || result).map((d) => ({
      severity: d.severity, message: d.message, offset: d.offsets ? d.offsets.start : null,
    }));
    return { ref: q.ref, diagnostics };
  });
  process.stdout.write(JSON.stringify(results));
});
