// name: laptop_farms
// description: Addresses receiving equipment for several people who say they live elsewhere.
// params: min_members=3, max_members=20
// returns: address, members, entity_ids
MATCH (p:Person)-[:SHIPS_TO]->(ad:Address)
WHERE NOT (p)-[:LIVES_AT]->(ad)
WITH ad, collect(DISTINCT p.entity_id) AS entity_ids
WHERE size(entity_ids) >= $min_members AND size(entity_ids) <= $max_members
RETURN ad.value AS address, size(entity_ids) AS members, entity_ids
ORDER BY members DESC, address
