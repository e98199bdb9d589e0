// name: name_variants
// description: One resolved person behind people records under several names (aliases).
// params: min_names=2, limit=100
// returns: entity_id, name, names, n_names, record_ids
// names: every name of the person's records, sorted; record_ids: its people records, sorted
MATCH (p:Person)
WITH p, coalesce(p.aliases, []) AS others
WHERE size(others) + 1 >= $min_names
UNWIND [p.name] + others AS alias
WITH DISTINCT p, alias
ORDER BY alias
WITH p, collect(alias) AS all_names
MATCH (r:Record {kind: 'people'})-[:RESOLVED_TO]->(p)
WITH DISTINCT p, all_names, r.record_id AS record_id
ORDER BY record_id
WITH p, all_names, collect(record_id) AS record_ids
RETURN p.entity_id AS entity_id, p.name AS name, all_names AS names,
       size(all_names) AS n_names, record_ids
ORDER BY n_names DESC, entity_id
LIMIT $limit
