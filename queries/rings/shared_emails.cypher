// name: shared_emails
// description: Email addresses given by several people or companies.
// params: min_members=2, max_members=20, limit=100
// returns: email, members, entity_ids, names, hub
// hub: true when more than max_members share it; its lists then hold the first max_members
MATCH (e)-[:HAS_EMAIL]->(em:Email)
WHERE e:Person OR e:Company
WITH DISTINCT em, e
ORDER BY e.entity_id
WITH em, collect(e.entity_id) AS ids, collect(e.name) AS holders
WHERE size(ids) >= $min_members
RETURN em.value AS email, size(ids) AS members, ids[..$max_members] AS entity_ids,
       holders[..$max_members] AS names, size(ids) > $max_members AS hub
ORDER BY hub, members DESC, email
LIMIT $limit
