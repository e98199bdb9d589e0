// name: identity_reuse
// description: One name and date of birth with several national ids, whether resolution kept its records as several people or merged them into one (names compared free of order and romanization).
// params: min_members=1, max_members=20, limit=100
// returns: name, dob, name_key, members, entity_ids, names, national_ids, hub
// name_key: the order- and romanization-free name the members share (name: the first member's)
// hub: true when more than max_members share it; entity_ids and names then hold the first max_members
MATCH (r:Record {kind: 'people'})-[:RESOLVED_TO]->(p:Person)
WHERE r.dob IS NOT NULL AND r.dob <> '' AND p.name_key <> ''
WITH DISTINCT p.name_key AS name_key, r.dob AS dob, p
ORDER BY p.entity_id
WITH name_key, dob, collect(p.entity_id) AS ids, collect(p.name) AS people,
     collect(p) AS holders
WHERE size(ids) >= $min_members
UNWIND holders AS p
MATCH (p)-[:HAS_DOCUMENT]->(doc:Document)
WHERE doc.value STARTS WITH 'nid:'
WITH DISTINCT name_key, dob, ids, people, doc.value AS national_id
ORDER BY national_id
WITH name_key, dob, ids, people, collect(national_id) AS national_ids
WHERE size(national_ids) >= 2
RETURN people[0] AS name, dob, name_key, size(ids) AS members,
       ids[..$max_members] AS entity_ids, people[..$max_members] AS names, national_ids,
       size(ids) > $max_members AS hub
ORDER BY hub, members DESC, name_key, dob
LIMIT $limit
