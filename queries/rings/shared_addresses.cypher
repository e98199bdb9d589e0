// name: shared_addresses
// description: Addresses that several people live at, ship equipment to, or register a company at.
// params: min_members=2, max_members=20
// returns: address, members, entity_ids
MATCH (e)-[:LIVES_AT|SHIPS_TO|REGISTERED_AT]->(ad:Address)
WHERE e:Person OR e:Company
WITH ad, collect(DISTINCT e.entity_id) AS entity_ids
WHERE size(entity_ids) >= $min_members AND size(entity_ids) <= $max_members
RETURN ad.value AS address, size(entity_ids) AS members, entity_ids
ORDER BY members DESC, address
