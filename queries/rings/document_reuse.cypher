// name: document_reuse
// description: Identity documents (national ids, passports, registrations) held under several names.
// params: min_members=2, max_members=20, limit=100
// returns: document, members, entity_ids, names, hub
// hub: true when more than max_members hold it; entity_ids and names then hold the first max_members
MATCH (e)-[:HAS_DOCUMENT]->(doc:Document)
WHERE e:Person OR e:Company
WITH DISTINCT doc, e
ORDER BY e.entity_id
WITH doc, collect(e.entity_id) AS ids, collect(e.name) AS holders,
     count(DISTINCT e.name) AS n_names
WHERE size(ids) >= $min_members AND n_names >= 2
RETURN doc.value AS document, size(ids) AS members, ids[..$max_members] AS entity_ids,
       holders[..$max_members] AS names, size(ids) > $max_members AS hub
ORDER BY hub, members DESC, document
LIMIT $limit
