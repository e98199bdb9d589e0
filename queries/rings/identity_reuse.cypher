// name: identity_reuse
// description: Identity documents (national ids, passports) held by people with different names.
// params: min_members=2
// returns: document, members, entity_ids, names
MATCH (p:Person)-[:HAS_DOCUMENT]->(doc:Document)
WITH doc, collect(DISTINCT p.entity_id) AS entity_ids, collect(DISTINCT p.name) AS names
WHERE size(entity_ids) >= $min_members AND size(names) >= 2
RETURN doc.value AS document, size(entity_ids) AS members, entity_ids, names
ORDER BY members DESC, document
