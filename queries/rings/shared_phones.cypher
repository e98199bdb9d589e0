// name: shared_phones
// description: Phone numbers (often VoIP) given by several people or companies.
// params: min_members=2, max_members=20
// returns: phone, members, entity_ids
MATCH (e)-[:HAS_PHONE]->(ph:Phone)
WHERE e:Person OR e:Company
WITH ph, collect(DISTINCT e.entity_id) AS entity_ids
WHERE size(entity_ids) >= $min_members AND size(entity_ids) <= $max_members
RETURN ph.value AS phone, size(entity_ids) AS members, entity_ids
ORDER BY members DESC, phone
