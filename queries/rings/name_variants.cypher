// name: name_variants
// description: One resolved person behind people records under several names (aliases).
// params: min_names=2, limit=100
// returns: entity_id, name, aliases, n_names, record_ids
// aliases: the other names, sorted; record_ids: the person's people records, sorted
MATCH (p:Person)
WHERE size(p.aliases) + 1 >= $min_names
UNWIND p.aliases AS alias
WITH DISTINCT p, alias
ORDER BY alias
WITH p, collect(alias) AS aliases
MATCH (r:Record {kind: 'people'})-[:RESOLVED_TO]->(p)
WITH DISTINCT p, aliases, r.record_id AS record_id
ORDER BY record_id
WITH p, aliases, collect(record_id) AS record_ids
RETURN p.entity_id AS entity_id, p.name AS name, aliases, size(aliases) + 1 AS n_names,
       record_ids
ORDER BY n_names DESC, entity_id
LIMIT $limit
